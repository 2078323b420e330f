"""EventBridge: events routed by a rule to an SQS target, read back with their
detail-types; `type: aws` publishes to the stream and the bus at once."""

from __future__ import annotations

import json
from typing import Any

import boto3
from stream_helpers import drain_queue, read_stream

from stratus.brokers import CompositeEventBroker, broker_for
from stratus.shared.endpoints import endpoints_from_dict


def bus_to_queue(aws: boto3.session.Session, bus: str, source: str) -> str:
    """A rule on the bus sending every event of `source` to a new SQS queue."""
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"{bus}-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = aws.client("events")
    events.put_rule(
        Name="all-turns", EventBusName=bus, EventPattern=json.dumps({"source": [source]})
    )
    events.put_targets(Rule="all-turns", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return str(queue_url)


def turn(n: int) -> list[dict[str, Any]]:
    kinds = ["user", "action", "bot", "action"]
    return [{"event": kinds[i % 4], "timestamp": 1700000000.0 + i, "i": i} for i in range(n)]


def test_rule_delivers_each_event_with_its_detail_type(
    aws: boto3.session.Session, event_bus: str
) -> None:
    queue = bus_to_queue(aws, event_bus, "stratus.test")
    section = endpoints_from_dict(
        {
            "event_broker": {
                "type": "eventbridge",
                "event_bus_name": event_bus,
                "source": "stratus.test",
            }
        }
    ).event_broker
    broker = broker_for(section, session=aws)
    broker.publish("erin", turn(13), model_id="v9")  # two PutEvents calls (10 + 3)
    messages = drain_queue(aws.client("sqs"), queue, expected=13)
    envelopes = sorted((json.loads(m["Body"]) for m in messages), key=lambda e: e["detail"]["i"])
    assert [e["detail-type"] for e in envelopes] == [e["event"] for e in turn(13)]
    assert {e["source"] for e in envelopes} == {"stratus.test"}
    first = envelopes[0]["detail"]
    assert first == {**turn(1)[0], "sender_id": "erin", "metadata": {"model_id": "v9"}}
    assert envelopes[0]["time"].startswith("2023-11-14T22:13:20")


def test_aws_type_publishes_to_stream_and_bus(
    aws: boto3.session.Session, event_stream: str, event_bus: str
) -> None:
    queue = bus_to_queue(aws, event_bus, "stratus")
    section = endpoints_from_dict(
        {"event_broker": {"type": "aws", "stream_name": event_stream, "event_bus_name": event_bus}}
    ).event_broker
    broker = broker_for(section, session=aws)
    assert isinstance(broker, CompositeEventBroker)
    broker.publish("frank", turn(4))
    on_stream = [json.loads(r["Data"]) for r in read_stream(aws.client("kinesis"), event_stream)]
    on_bus = [
        json.loads(m["Body"])["detail"] for m in drain_queue(aws.client("sqs"), queue, expected=4)
    ]
    assert on_stream == [{**e, "sender_id": "frank"} for e in turn(4)]
    assert sorted(on_bus, key=lambda e: e["i"]) == on_stream
