"""Remembering which platform deliveries were seen, so a redelivery is processed once.

Platforms redeliver a webhook they think failed (Slack after 3 s, Telegram and
Messenger on errors). Marking happens at acknowledgement, before the turn runs, so a
delivery is processed at most once: a turn that then fails is not retried by a
redelivery (the user writes again), which beats answering twice.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

DEFAULT_TTL_SECONDS = 24 * 3600.0


class Deduplicator(Protocol):
    """Marks a delivery seen; True the first time, False for every repeat in the TTL."""

    def first_seen(self, channel: str, delivery_id: str) -> bool: ...


class InMemoryDeduplicator:
    """Deduplication in this process: an LRU of at most `max_entries`, each kept `ttl_seconds`.

    Enough for one server; Lambda containers do not share it (use DynamoDeduplicator).
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def first_seen(self, channel: str, delivery_id: str) -> bool:
        key = (channel, delivery_id)
        now = self.clock()
        with self._lock:
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = now + self.ttl_seconds
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
            return True


class DynamoDeduplicator:
    """Deduplication shared by every Lambda container: a conditional put on the tracker table.

    The item is `pk = dedup#<channel>#<id>`, `sk = 0` (conversations use sk -2, -1
    and >= 1, and carry no `dedup#` ids from a platform), with `expires_at` for the
    table's TTL. DynamoDB deletes expired items lazily, so the condition also lets an
    expired item be overwritten. `client` is a boto3 DynamoDB client the door made.
    """

    SORT_KEY = 0

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def first_seen(self, channel: str, delivery_id: str) -> bool:
        now = int(self.clock())
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": dedup_key(channel, delivery_id)},
                    "sk": {"N": str(self.SORT_KEY)},
                    "expires_at": {"N": str(now + int(self.ttl_seconds))},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def dedup_key(channel: str, delivery_id: str) -> str:
    """The partition key of a delivery's marker item."""
    return f"dedup#{channel}#{delivery_id}"
