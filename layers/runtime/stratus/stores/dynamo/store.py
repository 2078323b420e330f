"""The DynamoDB tracker store (pynamodb): one item per event, a head item, a lock item.

A turn's commit is one TransactWriteItems: the new event items, the head update
conditioned on the version the turn loaded (and on no live claim), and, when the turn
holds the lock, a check that its fencing token is still current. Appends too big for
one transaction (100 items / 4 MB), `replace`, and DynamoDB implementations without
transactions (dynalite) use a claim instead: a conditional update of the head claims
the next versions, the events are batch-written where no reader looks yet (above
`version`), and a second conditional update publishes them. See stratus.stores.base.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from stratus.shared.events import compact_json
from stratus.shared.exceptions import TrackerConflictError
from stratus.stores.base import (
    EventTooLargeError,
    StoredConversation,
    TrackerStore,
    check_conversation_id,
    check_expected_version,
    empty_conversation,
    encode_event,
    latest_boundary,
)
from stratus.stores.dynamo.locks import DynamoLockBackend, is_condition_failure
from stratus.stores.dynamo.models import HEAD_SK, LOCK_SK, EventItem, bind_models
from stratus.stores.locking import (
    LOCK_TTL_MARGIN_SECONDS,
    LockLostError,
    LockSettings,
    LockToken,
    holds,
)

# Events larger than this are stored zlib-compressed (DynamoDB bills per KB).
COMPRESS_OVER_BYTES = 64 * 1024
# An item may hold 400 KB including attribute names; leave room for the keys.
MAX_EVENT_BYTES = 399 * 1024
# TransactWriteItems takes at most 100 actions and 4 MB; the head and the lock
# check take two of the actions.
MAX_TRANSACTION_EVENTS = 98
MAX_TRANSACTION_BYTES = 3_500_000


class DynamoTrackerStore(TrackerStore):
    """Tracker store in one DynamoDB table (see stratus.stores.dynamo.models for the keys)."""

    def __init__(
        self,
        table_name: str,
        *,
        region: str,
        host: str | None = None,
        ttl_seconds: float | None = None,
        lock_settings: LockSettings | None = None,
        list_shards: int = 16,
        use_transactions: bool = True,
        claim_seconds: float = 30.0,
        connect_timeout_seconds: float = 2.0,
        read_timeout_seconds: float = 5.0,
        max_retry_attempts: int = 3,
        max_pool_connections: int = 32,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if list_shards < 1:
            raise ValueError("list_shards must be at least 1")
        self.table_name = table_name
        # The listing index is sharded so that conversations created at a high rate do
        # not all write one index partition; every reader and writer must agree on it.
        self.list_shards = list_shards
        self.use_transactions = use_transactions
        self.claim_seconds = claim_seconds
        self.models = bind_models(
            table_name,
            host=host,
            region=region,
            connect_timeout_seconds=connect_timeout_seconds,
            read_timeout_seconds=read_timeout_seconds,
            max_retry_attempts=max_retry_attempts,
            max_pool_connections=max_pool_connections,
        )
        super().__init__(ttl_seconds=ttl_seconds, lock_settings=lock_settings, clock=clock)

    def _lock_backend(self) -> DynamoLockBackend:
        def lock_expiry(now: float) -> int | None:
            expiry = self.expiry(now)
            return None if expiry is None else expiry + LOCK_TTL_MARGIN_SECONDS

        return DynamoLockBackend(self.models, lock_expiry)

    def list_shard(self, conversation_id: str) -> str:
        """The index shard of a conversation (crc32: stable across processes, unlike hash())."""
        return str(zlib.crc32(conversation_id.encode("utf-8")) % self.list_shards)

    # --- reading -----------------------------------------------------------------------

    def _head(self, conversation_id: str) -> Any | None:
        try:
            return self.models.head.get(conversation_id, HEAD_SK, consistent_read=True)
        except DoesNotExist:
            return None

    def load(self, conversation_id: str, since_session_start: bool = True) -> StoredConversation:
        check_conversation_id(conversation_id)
        head = self._head(conversation_id)
        while True:
            if head is None or head.version is None:
                return empty_conversation(conversation_id)
            version, base = int(head.version), int(head.base or 1)
            session_start = int(head.session_start or 0)
            first = max(base, session_start) if since_session_start else base
            events = self._events(conversation_id, first, version)
            if len(events) == version - first + 1:
                break
            # Missing events: either a concurrent replace/delete is removing them (the
            # head moved on: read again) or TTL retention already dropped them.
            again = self._head(conversation_id)
            if again is None or (again.version, again.base) == (head.version, head.base):
                break
            head = again
        return StoredConversation(
            conversation_id=conversation_id,
            events=events,
            version=version,
            head=_snapshot(head.state),
            first_seq=first,
            session_start=session_start,
            exists=not head.deleted and version > 0,
            updated_at=None if head.updated_at is None else float(head.updated_at),
            expires_at=None if head.expires_at is None else int(head.expires_at),
        )

    def session_position(self, conversation_id: str) -> tuple[int, int]:
        check_conversation_id(conversation_id)
        head = self._head(conversation_id)
        if head is None or head.version is None:
            return 0, 1  # as `empty_conversation`
        version, base = int(head.version), int(head.base or 1)
        return version, max(base, int(head.session_start or 0))

    def _events(self, conversation_id: str, first: int, last: int) -> list[dict[str, Any]]:
        if first > last:
            return []
        items = self.models.event.query(
            conversation_id,
            self.models.event.sk.between(first, last),
            consistent_read=True,
        )
        return [_decode(item) for item in items]

    def list_conversations(self) -> list[str]:
        found: list[tuple[float, str]] = []
        for shard in range(self.list_shards):
            for item in self.models.list_index.query(str(shard)):
                found.append((float(item.created_at), item.pk))
        return [pk for _, pk in sorted(found)]

    # --- writing -----------------------------------------------------------------------

    def append(
        self,
        conversation_id: str,
        new_events: Sequence[Mapping[str, Any]],
        expected_version: int,
        head_update: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        check_conversation_id(conversation_id)
        check_expected_version(expected_version)
        now = self.clock()
        items = self._items(conversation_id, new_events, expected_version + 1, now)
        if not items and not head_update:
            self._check_unchanged(conversation_id, expected_version, lock)
            return expected_version
        new_version = expected_version + len(items)
        boundary = latest_boundary(new_events, expected_version + 1)
        # A new head gets its whole snapshot; an existing one only the keys that changed.
        state = dict(head_update or {})
        commit_id = uuid.uuid4().hex
        commit = self._commit_actions(
            conversation_id,
            new_version,
            now,
            commit_id,
            state=state,
            whole_state=expected_version == 0,
            base=None,
            session_start=boundary,
        )
        size = sum(len(i.e.encode("utf-8")) if i.e is not None else len(i.z) for i in items)
        if (
            self.use_transactions
            and len(items) <= MAX_TRANSACTION_EVENTS
            and size <= MAX_TRANSACTION_BYTES
        ):
            self._transact(conversation_id, items, expected_version, commit, commit_id, lock, now)
        else:
            self._append_claimed(
                conversation_id, items, expected_version, commit, commit_id, lock, now
            )
        return new_version

    def replace(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        expected_version: int | None = None,
        head: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        check_conversation_id(conversation_id)
        if expected_version is None:
            current = self._head(conversation_id)
            expected_version = int(current.version or 0) if current is not None else 0
        check_expected_version(expected_version)
        now = self.clock()
        items = self._items(conversation_id, events, expected_version + 1, now)
        new_version = expected_version + len(items)
        boundary = latest_boundary(events, expected_version + 1)
        commit_id = uuid.uuid4().hex
        commit = self._commit_actions(
            conversation_id,
            new_version,
            now,
            commit_id,
            state=dict(head or {}),
            whole_state=True,
            # The old events stay below the new base, invisible, until deleted below.
            base=expected_version + 1,
            session_start=boundary or 0,
        )
        old_base = self._append_claimed(
            conversation_id, items, expected_version, commit, commit_id, lock, now
        )
        self._delete_events(conversation_id, old_base, expected_version)
        return new_version

    def delete(self, conversation_id: str) -> None:
        check_conversation_id(conversation_id)
        model = self.models.head
        while True:
            head = self._head(conversation_id)
            if head is None or head.version is None:
                return
            version, base = int(head.version), int(head.base or 1)
            try:
                # A tombstone, not a deletion: the version stays, so stale writers conflict.
                head.update(
                    actions=[
                        model.deleted.set(True),
                        model.base.set(version + 1),
                        model.session_start.set(0),
                        model.state.set({}),
                        model.list_shard.remove(),
                        model.created_at.remove(),
                        model.updated_at.set(self.clock()),
                    ],
                    condition=(model.version == version) & self._claim_free(self.clock()),
                )
            except UpdateError as error:
                if is_condition_failure(error):
                    continue  # a commit got in first: delete what it wrote too
                raise
            self._delete_events(conversation_id, base, version)
            return

    def _items(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        first_seq: int,
        now: float,
    ) -> list[EventItem]:
        expires_at = self.expiry(now)
        return [
            self.models.event(conversation_id, first_seq + i, expires_at=expires_at, **_encode(e))
            for i, e in enumerate(events)
        ]

    def _commit_actions(
        self,
        conversation_id: str,
        new_version: int,
        now: float,
        commit_id: str,
        *,
        state: dict[str, Any],
        whole_state: bool,
        base: int | None,
        session_start: int | None,
    ) -> list[Any]:
        h = self.models.head
        encoded = {k: compact_json(v) for k, v in state.items()}
        actions: list[Any] = [
            h.version.set(new_version),
            h.base.set(h.base | 1) if base is None else h.base.set(base),
            h.session_start.set(h.session_start | 0)
            if session_start is None
            else h.session_start.set(session_start),
            h.deleted.remove(),
            h.list_shard.set(self.list_shard(conversation_id)),
            h.created_at.set(h.created_at | now),
            h.updated_at.set(now),
            # Lets a writer recognise its own commit when a retried request reports
            # a condition failure although the first attempt went through.
            h.commit_id.set(commit_id),
            h.claim.remove(),
            h.claim_until.remove(),
        ]
        if whole_state:
            actions.append(h.state.set(encoded))
        else:
            actions.extend(h.state[key].set(text) for key, text in encoded.items())
        expires_at = self.expiry(now)
        actions.append(
            h.expires_at.remove() if expires_at is None else h.expires_at.set(expires_at)
        )
        return actions

    def _version_is(self, expected_version: int) -> Condition:
        h = self.models.head
        if expected_version == 0:
            return h.version.does_not_exist() | (h.version == 0)
        return h.version == expected_version

    def _claim_free(self, now: float) -> Condition:
        h = self.models.head
        return h.claim.does_not_exist() | (h.claim_until < now)

    def _fence_holds(self, lock: LockToken) -> Condition:
        m = self.models.lock
        return (m.fence == lock.fence) & (m.held == True) & (m.serving == lock.ticket)  # noqa: E712

    def _transact(
        self,
        conversation_id: str,
        items: list[EventItem],
        expected_version: int,
        commit: list[Any],
        commit_id: str,
        lock: LockToken | None,
        now: float,
    ) -> None:
        m = self.models
        try:
            with TransactWrite(connection=m.connection) as tx:
                if lock is not None:
                    tx.condition_check(
                        m.lock, conversation_id, LOCK_SK, condition=self._fence_holds(lock)
                    )
                tx.update(
                    m.head(conversation_id, HEAD_SK),
                    actions=commit,
                    condition=self._version_is(expected_version) & self._claim_free(now),
                )
                for item in items:
                    tx.save(item)
        except TransactWriteError as error:
            if self._committed(conversation_id, commit_id):
                return
            reasons = [r.code if r else None for r in error.cancellation_reasons]
            if lock is not None and reasons and reasons[0] == "ConditionalCheckFailed":
                raise LockLostError(
                    f"The lock of conversation '{conversation_id}' was taken over."
                ) from error
            # TransactionConflict: another transaction on the head at the same moment.
            if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons):
                raise TrackerConflictError(
                    f"Conversation '{conversation_id}' moved past version {expected_version}."
                ) from error
            raise

    def _append_claimed(
        self,
        conversation_id: str,
        items: list[EventItem],
        expected_version: int,
        commit: list[Any],
        nonce: str,
        lock: LockToken | None,
        now: float,
    ) -> int:
        """Claim the head, write the events, publish them; return the base before."""
        h = self.models.head
        head: Any = h(conversation_id, HEAD_SK)
        try:
            head.update(
                actions=[h.claim.set(nonce), h.claim_until.set(now + self.claim_seconds)],
                condition=self._version_is(expected_version) & self._claim_free(now),
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            head = self._head(conversation_id)
            if head is None or head.claim != nonce:  # else a retry of ours reported failure
                raise TrackerConflictError(
                    f"Conversation '{conversation_id}' moved past version {expected_version}."
                ) from error
        old_base = int(head.base or 1)
        published = False
        try:
            # Without a transaction the fence is checked while we hold the claim: a
            # holder that takes over after this check meets our claim and conflicts.
            if lock is not None and not holds(self.locks.backend.read_lock(conversation_id), lock):
                raise LockLostError(f"The lock of conversation '{conversation_id}' was taken over.")
            with self.models.event.batch_write() as batch:
                for item in items:
                    batch.save(item)
            try:
                head.update(actions=commit, condition=h.claim == nonce)
            except UpdateError as error:
                if not is_condition_failure(error):
                    raise
                if not self._committed(conversation_id, nonce):
                    raise TrackerConflictError(
                        f"The claim on conversation '{conversation_id}' expired before its commit."
                    ) from error
            published = True
        finally:
            if not published:
                self._drop_claim(conversation_id, nonce)
        return old_base

    def _committed(self, conversation_id: str, commit_id: str) -> bool:
        head = self._head(conversation_id)
        return head is not None and head.commit_id == commit_id

    def _drop_claim(self, conversation_id: str, nonce: str) -> None:
        h = self.models.head
        try:
            h(conversation_id, HEAD_SK).update(
                actions=[h.claim.remove(), h.claim_until.remove()], condition=h.claim == nonce
            )
        except UpdateError as error:
            if not is_condition_failure(error):
                raise

    def _check_unchanged(
        self, conversation_id: str, expected_version: int, lock: LockToken | None
    ) -> None:
        head = self._head(conversation_id)
        version = 0 if head is None else int(head.version or 0)
        if version != expected_version:
            raise TrackerConflictError(
                f"Conversation '{conversation_id}' is at version {version}, not {expected_version}."
            )
        if lock is not None and not holds(self.locks.backend.read_lock(conversation_id), lock):
            raise LockLostError(f"The lock of conversation '{conversation_id}' was taken over.")

    def _delete_events(self, conversation_id: str, first: int, last: int) -> None:
        # The range is below the visible history already; deleting it only frees space.
        with self.models.event.batch_write() as batch:
            for seq in range(first, last + 1):
                batch.delete(self.models.event(conversation_id, seq))


def _encode(event: Mapping[str, Any]) -> dict[str, Any]:
    text = encode_event(event)
    raw = text.encode("utf-8")
    if len(raw) <= COMPRESS_OVER_BYTES:
        return {"e": text}
    packed = zlib.compress(raw, 6)
    if len(packed) > MAX_EVENT_BYTES:
        raise EventTooLargeError(
            f"A '{event.get('event')}' event is {len(raw)} bytes ({len(packed)} compressed); "
            f"one stored event holds at most {MAX_EVENT_BYTES}."
        )
    return {"z": packed}


def _decode(item: Any) -> dict[str, Any]:
    if item.e is not None:
        return dict(json.loads(item.e))
    return dict(json.loads(zlib.decompress(item.z)))


def _snapshot(state: Any) -> dict[str, Any]:
    if state is None:
        return {}
    return {key: json.loads(text) for key, text in state.as_dict().items()}
