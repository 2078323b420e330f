"""Kinesis and EventBridge brokers: batching, retry of refused entries, dead letters.

The clients here are small fakes that answer as the real APIs do: a provoked partial
failure (FailedRecordCount / FailedEntryCount with per-entry ErrorCode) is not
something moto can produce on demand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stratus.brokers import (
    EventBridgeEventBroker,
    FileDeadLetterSink,
    KinesisEventBroker,
    RetryPolicy,
)
from stratus.brokers.dead_letter import read_dead_letters
from stratus.brokers.kinesis import partition_key


def events(n: int, text: str = "hi") -> list[dict[str, Any]]:
    return [
        {"event": "user", "timestamp": 1700000000.0 + i, "text": f"{text} {i}"} for i in range(n)
    ]


class FakeKinesis:
    """put_records that refuses the records whose text is in `refuse` for the first
    `times` attempts of each (or always, with times=None)."""

    def __init__(
        self,
        refuse: set[str] = frozenset(),
        times: int | None = 1,
        code: str = "ProvisionedThroughputExceededException",
    ) -> None:  # type: ignore[assignment]
        self.refuse = set(refuse)
        self.times = times
        self.code = code
        self.calls: list[list[dict[str, Any]]] = []
        self.refusals: dict[str, int] = {}
        self.stored: list[dict[str, Any]] = []

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Records)
        results: list[dict[str, Any]] = []
        for record in Records:
            text = json.loads(record["Data"])["text"]
            count = self.refusals.get(text, 0)
            if text in self.refuse and (self.times is None or count < self.times):
                self.refusals[text] = count + 1
                results.append({"ErrorCode": self.code, "ErrorMessage": "slow down"})
            else:
                self.stored.append(record)
                results.append({"SequenceNumber": str(len(self.stored)), "ShardId": "shardId-0"})
        failed = sum("ErrorCode" in r for r in results)
        return {"FailedRecordCount": failed, "Records": results}


class RaisingClient:
    def __init__(self, code: str) -> None:
        self.code = code
        self.calls = 0

    def put_records(self, **kwargs: Any) -> Any:
        self.calls += 1
        raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "PutRecords")

    put_events = put_records


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.1, max_delay=0.25, sleep=sleeps.append)


def texts(records: list[dict[str, Any]]) -> list[str]:
    return [json.loads(r["Data"])["text"] for r in records]


def test_kinesis_retries_only_the_refused_records(
    retry: RetryPolicy, sleeps: list[float], tmp_path: Path
) -> None:
    client = FakeKinesis(refuse={"hi 1", "hi 3"}, times=2)
    dead = tmp_path / "dead.jsonl"
    broker = KinesisEventBroker("events", client, retry=retry, dead_letter=FileDeadLetterSink(dead))
    broker.publish("alice", events(5))
    assert [len(call) for call in client.calls] == [5, 2, 2]
    assert texts(client.calls[1]) == ["hi 1", "hi 3"]
    assert sorted(texts(client.stored)) == [f"hi {i}" for i in range(5)]
    assert {r["PartitionKey"] for r in client.stored} == {"alice"}
    assert len(sleeps) == 2 and all(0 < s <= 0.25 for s in sleeps)
    assert read_dead_letters(dead) == []


def test_kinesis_dead_letters_what_keeps_failing(
    retry: RetryPolicy, sleeps: list[float], tmp_path: Path
) -> None:
    client = FakeKinesis(refuse={"hi 2"}, times=None)
    dead = tmp_path / "dead.jsonl"
    broker = KinesisEventBroker("events", client, retry=retry, dead_letter=FileDeadLetterSink(dead))
    broker.publish("alice", events(3), model_id="v7")  # must not raise
    assert len(client.calls) == 4  # the first try and three retries, no more
    assert len(sleeps) == 3 and max(sleeps) <= 0.25
    letters = read_dead_letters(dead)
    assert len(letters) == 1
    assert letters[0]["destination"] == "kinesis:events"
    assert "ProvisionedThroughputExceededException" in letters[0]["reason"]
    assert letters[0]["payload"]["text"] == "hi 2"
    assert letters[0]["payload"]["sender_id"] == "alice"
    assert letters[0]["payload"]["metadata"] == {"model_id": "v7"}


def test_permanent_call_errors_are_not_retried(
    retry: RetryPolicy, sleeps: list[float], tmp_path: Path
) -> None:
    client = RaisingClient("ResourceNotFoundException")
    dead = tmp_path / "dead.jsonl"
    broker = KinesisEventBroker("gone", client, retry=retry, dead_letter=FileDeadLetterSink(dead))
    broker.publish("bob", events(2))
    assert client.calls == 1 and sleeps == []
    assert [letter["payload"]["text"] for letter in read_dead_letters(dead)] == ["hi 0", "hi 1"]


def test_transient_call_errors_are_retried_then_dead_lettered(
    retry: RetryPolicy, tmp_path: Path
) -> None:
    client = RaisingClient("ThrottlingException")
    dead = tmp_path / "dead.jsonl"
    broker = EventBridgeEventBroker(
        "bus", client, retry=retry, dead_letter=FileDeadLetterSink(dead)
    )
    broker.publish("bob", events(1))
    assert client.calls == 4
    (letter,) = read_dead_letters(dead)
    assert letter["destination"] == "eventbridge:bus" and "gave up after 4" in letter["reason"]


def test_kinesis_batches_hold_at_most_500_records_and_5_mb(retry: RetryPolicy) -> None:
    client = FakeKinesis()
    KinesisEventBroker("events", client, retry=retry).publish("c", events(1201))
    assert [len(call) for call in client.calls] == [500, 500, 201]

    client = FakeKinesis()
    big = [{"event": "bot", "text": f"{i} " + "x" * 900_000} for i in range(12)]
    KinesisEventBroker("events", client, retry=retry).publish("c", big)
    sizes = [sum(len(r["Data"]) + len(r["PartitionKey"]) for r in call) for call in client.calls]
    assert len(client.calls) == 3 and max(sizes) <= 5 * 1024 * 1024
    assert [json.loads(r["Data"])["text"][:3] for r in client.stored] == [
        f"{i} x"[:3] for i in range(12)
    ]


def test_an_event_over_the_record_limit_is_dead_lettered_not_sent(
    retry: RetryPolicy, tmp_path: Path
) -> None:
    client = FakeKinesis()
    dead = tmp_path / "dead.jsonl"
    huge = {"event": "bot", "text": "x" * (1024 * 1024)}
    broker = KinesisEventBroker("events", client, retry=retry, dead_letter=FileDeadLetterSink(dead))
    broker.publish("c", [huge, *events(1)])
    assert texts(client.stored) == ["hi 0"]
    (letter,) = read_dead_letters(dead)
    assert "exceeds the limit" in letter["reason"]


def test_long_conversation_ids_get_a_stable_hashed_partition_key() -> None:
    assert partition_key("alice") == "alice"
    long_id = "x" * 300
    assert partition_key(long_id) == partition_key(long_id) and len(partition_key(long_id)) == 64


class FakeEventBridge:
    def __init__(self, refuse_codes: dict[str, str]) -> None:
        self.refuse_codes = refuse_codes  # text -> error code on the first try
        self.calls: list[list[dict[str, Any]]] = []
        self.seen: set[str] = set()
        self.stored: list[dict[str, Any]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        results: list[dict[str, Any]] = []
        for entry in Entries:
            text = json.loads(entry["Detail"])["text"]
            code = self.refuse_codes.get(text)
            if code and (code != "InternalFailure" or text not in self.seen):
                self.seen.add(text)
                results.append({"ErrorCode": code, "ErrorMessage": "nope"})
            else:
                self.stored.append(entry)
                results.append({"EventId": str(len(self.stored))})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_eventbridge_batches_of_ten_retry_transient_and_bury_permanent(
    retry: RetryPolicy, tmp_path: Path
) -> None:
    client = FakeEventBridge({"hi 4": "InternalFailure", "hi 12": "MalformedDetail"})
    dead = tmp_path / "dead.jsonl"
    broker = EventBridgeEventBroker(
        "bus", client, source="test.stratus", retry=retry, dead_letter=FileDeadLetterSink(dead)
    )
    broker.publish("carol", events(23), model_id="m1")
    assert [len(call) for call in client.calls] == [10, 10, 3, 1]
    stored_texts = [json.loads(e["Detail"])["text"] for e in client.stored]
    assert sorted(stored_texts) == sorted(f"hi {i}" for i in range(23) if i != 12)
    entry = client.stored[0]
    assert entry["Source"] == "test.stratus" and entry["DetailType"] == "user"
    assert entry["EventBusName"] == "bus"
    detail = json.loads(entry["Detail"])
    assert detail["sender_id"] == "carol" and detail["metadata"] == {"model_id": "m1"}
    (letter,) = read_dead_letters(dead)
    assert letter["reason"] == "MalformedDetail" and letter["payload"]["text"] == "hi 12"


def test_retry_policy_backs_off_exponentially_within_bounds() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=6, base_delay=0.1, max_delay=0.5, sleep=sleeps.append)
    assert len(list(policy.pauses())) == 6
    assert len(sleeps) == 5
    caps = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert all(cap / 2 <= s <= cap for s, cap in zip(sleeps, caps))
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
