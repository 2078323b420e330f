"""The pynamodb models of the tracker table, bound to a table and endpoint at run time.

One table, three kinds of item under each conversation's partition key (`pk` = the
conversation id), told apart by the numeric sort key `sk`:

- `sk >= 1`: one event, `sk` its sequence number;
- `sk = -1` (HEAD_SK): the head (version, base, session start, snapshot, TTL, and the
  `list_shard`/`created_at` pair that puts it in the sparse `conversations` index);
- `sk = -2` (LOCK_SK): the lock record (ticket counter, now serving, lease, fence).

Keeping all three in one partition means a turn touches one partition and a
TransactWriteItems never spans conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from stratus.aws_session import CLIENT_LOCK, botocore_session

HEAD_SK = -1
LOCK_SK = -2
LIST_INDEX_NAME = "conversations"


class EventItem(Model):
    """One tracker event. Attribute names are short: they are stored in every item."""

    pk = UnicodeAttribute(hash_key=True)
    sk = NumberAttribute(range_key=True)
    e = UnicodeAttribute(null=True)  # the event's JSON
    z = BinaryAttribute(null=True, legacy_encoding=False)  # or its zlib-compressed JSON
    expires_at = NumberAttribute(null=True)


class ListIndex(GlobalSecondaryIndex["HeadItem"]):
    """The sparse index that lists conversations: only head items carry `list_shard`."""

    class Meta:
        index_name = LIST_INDEX_NAME
        projection = KeysOnlyProjection()

    list_shard = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class HeadItem(Model):
    """A conversation's head; `state` maps each snapshot key to its JSON text."""

    pk = UnicodeAttribute(hash_key=True)
    sk = NumberAttribute(range_key=True)
    version = NumberAttribute(null=True)
    base = NumberAttribute(null=True)
    session_start = NumberAttribute(null=True)
    # Values are JSON text, not DynamoDB maps: numbers round-trip exactly and a key
    # can be updated on its own (SET state.#key) without reading the head first.
    state = MapAttribute(null=True)  # type: ignore[var-annotated]
    deleted = BooleanAttribute(null=True)
    list_shard = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    # A large append's claim on the next versions (see DynamoTrackerStore._append_claimed).
    claim = UnicodeAttribute(null=True)
    claim_until = NumberAttribute(null=True)
    commit_id = UnicodeAttribute(null=True)  # the id of the latest commit
    conversations = ListIndex()


class LockItem(Model):
    """A conversation's lock record (see stratus.stores.locking)."""

    pk = UnicodeAttribute(hash_key=True)
    sk = NumberAttribute(range_key=True)
    issued = NumberAttribute(null=True)
    rev = NumberAttribute(null=True)
    serving = NumberAttribute(null=True)
    held = BooleanAttribute(null=True)
    deadline = NumberAttribute(null=True)
    fence = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    abandoned = NumberSetAttribute(null=True)
    expires_at = NumberAttribute(null=True)


@dataclass(frozen=True)
class TableModels:
    """The three item models bound to one table, and a connection for transactions."""

    event: type[EventItem]
    head: type[HeadItem]
    lock: type[LockItem]
    connection: Connection
    list_index: Any  # the bound GlobalSecondaryIndex


def bind_models(
    table_name: str,
    *,
    host: str | None,
    region: str,
    connect_timeout_seconds: float,
    read_timeout_seconds: float,
    max_retry_attempts: int,
    max_pool_connections: int,
) -> TableModels:
    """Subclass the models for one table: pynamodb reads table and endpoint from `Meta`."""
    settings: dict[str, Any] = {
        "table_name": table_name,
        "host": host,
        "region": region,
        "connect_timeout_seconds": connect_timeout_seconds,
        "read_timeout_seconds": read_timeout_seconds,
        "max_retry_attempts": max_retry_attempts,
        "max_pool_connections": max_pool_connections,
    }
    meta = type("Meta", (), settings)
    event = cast(
        type[EventItem], type("EventItem", (EventItem,), {"Meta": meta, "__module__": __name__})
    )
    head = cast(
        type[HeadItem], type("HeadItem", (HeadItem,), {"Meta": meta, "__module__": __name__})
    )
    lock = cast(
        type[LockItem], type("LockItem", (LockItem,), {"Meta": meta, "__module__": __name__})
    )
    # One botocore client for all three models and the transactions: pynamodb would
    # otherwise build a session and client per model class.
    shared = head._get_connection()  # built from the head's schema, which has the index
    event._connection = lock._connection = shared
    connection = shared.connection
    # The process's session (stratus.aws_session): a botocore session loads the service
    # model once (~170 ms); a client from a warm session takes ~10 ms. pynamodb 6.1
    # keeps its session in `_local`.
    session = botocore_session()
    with CLIENT_LOCK:  # botocore's create_client is not thread-safe
        connection._local.session = session
        connection.client  # noqa: B018 - create it now, in the container's init phase
    # pynamodb gives every model class its own copy of the index, bound to it.
    return TableModels(event, head, lock, connection, head.conversations)
