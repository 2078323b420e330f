"""What only the DynamoDB store has: its item layout, compression, claims, TTL, the table."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tracker_store_helpers import bot, session_start, template_table, turn, user

from stratus.shared.exceptions import TrackerConflictError
from stratus.stores import EventTooLargeError
from stratus.stores.dynamo import DynamoTrackerStore, create_table

REGION = "us-east-1"


@pytest.fixture
def table(moto_endpoint: str) -> str:
    name = f"trackers-{uuid.uuid4().hex[:12]}"
    create_table(template_table(), table_name=name, region=REGION, host=moto_endpoint)
    return name


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_endpoint)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(table: str, moto_endpoint: str, clock: Clock) -> Iterator[DynamoTrackerStore]:
    made = DynamoTrackerStore(
        table, region=REGION, host=moto_endpoint, ttl_seconds=86_400, clock=clock
    )
    yield made
    made.close()


def _items(client: Any, table: str, conversation_id: str) -> dict[int, dict[str, Any]]:
    found = client.query(
        TableName=table,
        KeyConditionExpression="pk = :c",
        ExpressionAttributeValues={":c": {"S": conversation_id}},
        ConsistentRead=True,
    )["Items"]
    return {int(item["sk"]["N"]): item for item in found}


def test_each_event_is_its_own_item_beside_a_head_and_a_lock(
    store: DynamoTrackerStore, client: Any, table: str, clock: Clock
) -> None:
    version = store.append("c", [*session_start(), user("hi")], 0, {"slots": {"n": 1}})
    with store.lock("c", timeout=1) as token:
        store.append("c", [bot("hello")], version, lock=token)
    items = _items(client, table, "c")
    assert sorted(items) == [-2, -1, 1, 2, 3, 4, 5]
    head, lock = items[-1], items[-2]
    assert head["version"] == {"N": "5"} and head["session_start"] == {"N": "2"}
    assert head["list_shard"] == {"S": store.list_shard("c")}
    assert head["expires_at"] == {"N": str(int(clock.now) + 86_400)}
    assert head["state"]["M"]["slots"] == {"S": '{"n":1}'}
    assert lock["fence"] == {"N": "1"} and lock["held"] == {"BOOL": False}
    # every event item expires a TTL after it was written
    assert {items[seq]["expires_at"]["N"] for seq in range(1, 6)} == {str(int(clock.now) + 86_400)}


def test_a_turn_writes_only_its_new_events(
    store: DynamoTrackerStore, client: Any, table: str, clock: Clock
) -> None:
    version = store.append("c", turn("first"), 0)
    clock.now += 60
    store.append("c", turn("second"), version)
    written = {
        seq: item["expires_at"]["N"] for seq, item in _items(client, table, "c").items() if seq > 0
    }
    # the first turn's items were not rewritten (their TTL stamp is the old one)
    assert [written[seq] for seq in range(1, 9)] == [str(1_800_086_400)] * 4 + [
        str(1_800_086_460)
    ] * 4


def test_large_events_are_compressed_and_oversized_ones_refused(
    store: DynamoTrackerStore, client: Any, table: str
) -> None:
    long_text = "the same words again and again " * 20_000  # 620 KB, compresses well
    store.append("c", [user(long_text)], 0)
    assert store.load("c").events == [user(long_text)]
    assert "z" in _items(client, table, "c")[1]
    noise = base64.b64encode(os.urandom(600_000)).decode()  # ~800 KB that will not shrink enough
    with pytest.raises(EventTooLargeError):
        store.append("c", [user(noise)], 1)
    assert store.load("c").version == 1


def test_a_crashed_large_append_blocks_writers_only_until_its_claim_expires(
    store: DynamoTrackerStore, clock: Clock
) -> None:
    version = store.append("c", turn("a"), 0)
    head_model = store.models.head
    # what a writer leaves behind when it dies between claiming and publishing
    head_model("c", -1).update(
        actions=[head_model.claim.set("dead"), head_model.claim_until.set(clock.now + 30)]
    )
    stray = store.models.event("c", version + 1, e='{"event":"bot","text":"stray"}')
    stray.save()
    with pytest.raises(TrackerConflictError):
        store.append("c", turn("blocked"), version)
    assert store.load("c").events == turn("a")  # the stray item stays invisible
    clock.now += 31
    store.append("c", turn("b"), version)
    assert store.load("c").events == [*turn("a"), *turn("b")]


def test_appends_beyond_one_transaction_are_published_at_once(store: DynamoTrackerStore) -> None:
    events = [e for i in range(40) for e in turn(f"m{i}")]  # 160 events: over 100 items
    assert store.append("c", events, 0, {"big": True}) == 160
    assert store.load("c").events == events
    with pytest.raises(TrackerConflictError):
        store.append("c", events, 0)


def test_the_listing_index_works_with_one_shard_or_many(table: str, moto_endpoint: str) -> None:
    one = DynamoTrackerStore(table, region=REGION, host=moto_endpoint, list_shards=1)
    many = DynamoTrackerStore(table, region=REGION, host=moto_endpoint, list_shards=32)
    one.append("a", turn("x"), 0)
    many.append("b", turn("x"), 0)
    assert set(many.list_conversations()) == {"a", "b"}  # shard "0" is among the 32


def test_create_table_turns_on_ttl_for_expires_at(client: Any, table: str) -> None:
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    described = client.describe_table(TableName=table)["Table"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["conversations"]


def test_a_commit_retried_after_a_lost_reply_is_recognised(
    store: DynamoTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = store.models.connection
    send = connection.transact_write_items

    def lost_reply_then_retry(*args: Any, **kwargs: Any) -> Any:
        send(*args, **kwargs)  # applied, but the reply never arrives ...
        return send(*args, **kwargs)  # ... and the retry fails its version condition

    monkeypatch.setattr(connection, "transact_write_items", lost_reply_then_retry)
    assert store.append("c", turn("once"), 0) == 4
    monkeypatch.undo()
    assert store.load("c").events == turn("once")
    with pytest.raises(TrackerConflictError):  # a real conflict is still one
        store.append("c", turn("stale"), 0)
