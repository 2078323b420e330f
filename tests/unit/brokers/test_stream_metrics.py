"""Stream consumer metrics from Lambda's Kinesis and EventBridge event shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from stratus.analytics import (
    MetricSettings,
    summarize_eventbridge_event,
    summarize_events,
    summarize_kinesis_event,
)


def user(
    sender: str, intent: str, confidence: float, model: str | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": "user",
        "sender_id": sender,
        "text": "...",
        "parse_data": {"intent": {"name": intent, "confidence": confidence}},
        **extra,
    }
    if model:
        event["metadata"] = {**event.get("metadata", {}), "model_id": model}
    return event


def action(sender: str, name: str, model: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "action", "sender_id": sender, "name": name}
    if model:
        event["metadata"] = {"model_id": model}
    return event


def conversation() -> list[dict[str, Any]]:
    return [
        {"event": "session_started", "sender_id": "a"},
        {"event": "session_started", "sender_id": "b"},
        user("a", "greet", 0.95, "v1"),
        action("a", "utter_greet", "v1"),
        {"event": "bot", "sender_id": "a", "text": "hi"},
        user("b", "nlu_fallback", 0.3, "v2"),
        action("b", "action_default_fallback", "v2"),  # same turn: one fallback turn
        user("a", "mood_unhappy", 0.55, "v1"),
        action("a", "action_default_fallback", "v1"),
        user("a", "goodbye", 0.85, "v1"),
        action("a", "utter_goodbye", "v1"),
        action("a", "utter_goodbye", "v1"),  # once per session
        user("a", "EXTERNAL", 1.0, "v1", metadata={"is_external": True}),
    ]


def test_counts_rates_and_histogram() -> None:
    metrics = {
        (m.name, tuple(sorted(m.dimensions.items()))): m for m in summarize_events(conversation())
    }

    def value(name: str, **dims: str) -> float:
        return metrics[(name, tuple(sorted(dims.items())))].value

    assert value("Messages") == 4
    assert value("BotMessages") == 1
    assert value("FallbackTurns") == 2
    assert value("FallbackRate") == pytest.approx(50.0)
    assert metrics[("FallbackRate", ())].unit == "Percent"
    assert value("IntentConfidence") == pytest.approx((0.95 + 0.3 + 0.55 + 0.85) / 4)
    assert value("IntentConfidenceBucket", Bucket="0.8-1.0") == 2
    assert value("IntentConfidenceBucket", Bucket="0.4-0.6") == 1
    assert value("IntentConfidenceBucket", Bucket="0.2-0.4") == 1
    assert value("IntentConfidenceBucket", Bucket="0.0-0.2") == 0
    assert value("ConversationsStarted") == 2
    assert value("ConversationsCompleted") == 1
    assert value("CompletionRate") == pytest.approx(50.0)
    # per model version (an A/B split's arms)
    assert value("Messages", ModelId="v1") == 3
    assert value("FallbackRate", ModelId="v1") == pytest.approx(100 / 3)
    assert value("FallbackRate", ModelId="v2") == pytest.approx(100.0)
    assert ("IntentConfidenceBucket", (("Bucket", "0.8-1.0"), ("ModelId", "v1"))) not in metrics


def test_completion_actions_are_configurable() -> None:
    settings = MetricSettings(completion_actions=frozenset({"utter_greet"}))
    summary = {
        m.name: m.value for m in summarize_events(conversation(), settings) if not m.dimensions
    }
    assert summary["ConversationsCompleted"] == 1  # conversation a, by utter_greet


def kinesis_record(sequence: int, data: bytes) -> dict[str, Any]:
    return {
        "eventSource": "aws:kinesis",
        "eventID": f"shardId-000000000000:{sequence}",
        "kinesis": {
            "partitionKey": "a",
            "sequenceNumber": str(sequence),
            "data": base64.b64encode(data).decode(),
        },
    }


def test_kinesis_batch_reports_undecodable_records_and_counts_only_before_them() -> None:
    events = conversation()
    records = [kinesis_record(100 + i, json.dumps(e).encode()) for i, e in enumerate(events[:5])]
    records.insert(3, kinesis_record(50_000, b"\xff not json"))
    records.append(kinesis_record(60_000, json.dumps({"event": "user"}).encode()))  # no sender_id
    summary = summarize_kinesis_event({"Records": records})
    assert summary.response() == {
        "batchItemFailures": [{"itemIdentifier": "50000"}, {"itemIdentifier": "60000"}]
    }
    assert summary.records == 7
    assert summary.events == 5  # all decoded records precede the first failure here
    assert summary.metric("Messages") == 1 and summary.metric("BotMessages") == 1


def test_kinesis_records_after_the_checkpoint_are_left_for_the_retry() -> None:
    events = conversation()
    records = [kinesis_record(10 + i, json.dumps(e).encode()) for i, e in enumerate(events)]
    records[6]["kinesis"]["data"] = "!!!"  # not base64
    summary = summarize_kinesis_event({"Records": records})
    assert summary.batch_item_failures == ["16"]
    assert summary.events == 6  # records 10..15
    assert summary.metric("Messages") == 2


def test_eventbridge_envelopes() -> None:
    envelopes = [
        {"id": str(i), "source": "stratus", "detail-type": e["event"], "detail": e}
        for i, e in enumerate(conversation())
    ]
    one = summarize_eventbridge_event(envelopes[2])
    assert (
        one.events == 1
        and one.metric("Messages") == 1
        and one.response() == {"batchItemFailures": []}
    )
    many = summarize_eventbridge_event([*envelopes, {"id": "x", "detail": "garbage"}])
    assert many.records == len(envelopes) + 1 and many.events == len(envelopes)
    assert many.metric("FallbackTurns") == 2
