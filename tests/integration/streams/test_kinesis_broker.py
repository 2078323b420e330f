"""Kinesis: a turn's events in order under the conversation's partition key, read back
with GetRecords; undeliverable events land in the SQS dead-letter queue; the stream
consumer's metrics from the records as Lambda would receive them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
from stream_helpers import drain_queue, read_stream

from stratus.analytics import summarize_kinesis_event
from stratus.brokers import broker_for
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain
from stratus.shared.domain.loader import domain_from_yaml
from stratus.shared.endpoints import endpoints_from_dict
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

DOMAIN = """
version: "3.1"
intents: [greet, goodbye]
responses:
  utter_greet: [{text: "Hey!"}]
  utter_goodbye: [{text: "Bye!"}]
"""


class Reply:
    def predict_next_action(
        self, tracker: DialogueStateTracker, domain: Domain, rejected_action: str | None = None
    ) -> tuple[str, ActionPrediction]:
        if tracker.latest_action_name == "action_listen":
            return f"utter_{tracker.latest_message.intent_name}", ActionPrediction("Rule", 1.0)
        return "action_listen", ActionPrediction("Rule", 1.0)


def kinesis_broker(aws: boto3.session.Session, stream: str, **extra: Any) -> Any:
    section = endpoints_from_dict(
        {"event_broker": {"type": "kinesis", "stream_name": stream, "region": "us-east-1", **extra}}
    ).event_broker
    return broker_for(section, session=aws)


def test_events_are_read_back_in_order_per_conversation(
    aws: boto3.session.Session, event_stream: str
) -> None:
    broker = kinesis_broker(aws, event_stream)
    alice = [{"event": "user", "timestamp": 1.0 + i, "text": f"a{i}"} for i in range(30)]
    bob = [{"event": "bot", "timestamp": 2.0 + i, "text": f"b{i}"} for i in range(5)]
    broker.publish("alice", alice[:10], model_id="v1")
    broker.publish("bob", bob)
    broker.publish("alice", alice[10:], model_id="v1")
    records = read_stream(aws.client("kinesis"), event_stream)
    assert len(records) == 35
    by_key: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_key.setdefault(record["PartitionKey"], []).append(json.loads(record["Data"]))
    assert [e["text"] for e in by_key["alice"]] == [f"a{i}" for i in range(30)]
    assert [e["text"] for e in by_key["bob"]] == [f"b{i}" for i in range(5)]
    assert by_key["alice"][0] == {**alice[0], "sender_id": "alice", "metadata": {"model_id": "v1"}}
    assert by_key["bob"][0] == {**bob[0], "sender_id": "bob"}
    assert len({r["ShardId"] for r in records if r["PartitionKey"] == "alice"}) == 1


def test_a_processor_turn_reaches_the_stream_and_the_consumer_metrics(
    aws: boto3.session.Session, event_stream: str, tmp_path: Path
) -> None:
    store = SQLiteTrackerStore(tmp_path / "trackers.db")
    processor = MessageProcessor(
        domain_from_yaml(DOMAIN),
        Reply(),
        store,
        event_broker=kinesis_broker(aws, event_stream),
        model_id="v3",
    )
    first = processor.handle_message(UserMessage("/greet", sender_id="carol"))
    second = processor.handle_message(UserMessage("/goodbye", sender_id="carol"))
    records = read_stream(aws.client("kinesis"), event_stream)
    published = [json.loads(r["Data"]) for r in records]
    expected = [e.as_dict() for e in [*first.events, *second.events]]
    assert [
        {k: v for k, v in e.items() if k not in ("sender_id", "metadata")} for e in published
    ] == [{k: v for k, v in e.items() if k != "metadata"} for e in expected]
    assert {e["sender_id"] for e in published} == {"carol"}
    assert {e["metadata"]["model_id"] for e in published} == {"v3"}
    assert store.load_all("carol").events == expected

    # The stream consumer, given the records as Lambda delivers them
    lambda_event = {
        "Records": [
            {
                "eventSource": "aws:kinesis",
                "kinesis": {
                    "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"],
                    "data": base64.b64encode(r["Data"]).decode(),
                },
            }
            for r in records
        ]
    }
    summary = summarize_kinesis_event(lambda_event)
    assert summary.response() == {"batchItemFailures": []}
    assert summary.metric("Messages") == 2
    assert summary.metric("BotMessages") == 2
    assert summary.metric("ConversationsStarted") == 1
    assert summary.metric("ConversationsCompleted") == 1
    assert summary.metric("FallbackRate") == 0.0
    assert summary.metric("Messages", ModelId="v3") == 2


def test_undeliverable_events_go_to_the_dead_letter_queue(
    aws: boto3.session.Session, dead_letter_queue: str
) -> None:
    broker = kinesis_broker(aws, "no-such-stream", dead_letter_queue_url=dead_letter_queue)
    events = [{"event": "user", "timestamp": float(i), "text": f"t{i}"} for i in range(12)]
    broker.publish("dave", events, model_id="v1")  # must not raise
    messages = drain_queue(aws.client("sqs"), dead_letter_queue, expected=12)
    letters = [json.loads(m["Body"]) for m in messages]
    assert sorted(letter["payload"]["text"] for letter in letters) == sorted(
        f"t{i}" for i in range(12)
    )
    assert {letter["destination"] for letter in letters} == {"kinesis:no-such-stream"}
    assert all("ResourceNotFoundException" in letter["reason"] for letter in letters)
    assert all(letter["payload"]["sender_id"] == "dave" for letter in letters)
