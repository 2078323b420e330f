"""The tracker store contract: one record per event, a head record, a fair lock.

Every event of a conversation is stored as its own record under a sequence number
(1, 2, 3, ... per conversation, never reused), so a turn writes only its new events and
a conversation has no size limit. A head record per conversation carries:

- `version`: the sequence number of the newest committed event. Records above it are
  invisible (a writer that lost a race may leave some; the winner overwrites them),
  which is what lets a commit be a single conditional write of the head.
- `base`: the first visible sequence number. Replacing or deleting the history moves it
  past the old events instead of rewinding `version`, so a stale writer's
  `expected_version` can never match again (no ABA).
- `session_start`: the sequence number of the latest `session_started` or `restart`
  event, so loading the current session is one range read, not a scan.
- the caller's snapshot (`head`: slots, active loop, ...), `updated_at`, `expires_at`.

With a TTL, the head expires `ttl_seconds` after the conversation's last commit and
each event `ttl_seconds` after it was written (rewriting old events on every turn
would defeat writing only the new ones). A conversation is therefore forgotten after
`ttl_seconds` of silence, and an active one keeps a rolling `ttl_seconds` of history;
keep `ttl_seconds` well above Rasa's `session_expiration_time` so the current session
is always whole. Expiry is lazy: DynamoDB deletes within days, SQLite on
`purge_expired()`.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stratus.shared.events import compact_json
from stratus.shared.exceptions import StratusError
from stratus.stores.locking import (
    ConversationLocks,
    LockBackend,
    LockSettings,
    LockToken,
    Ticket,
)

Event = dict[str, Any]

logger = logging.getLogger(__name__)

# Events after which the next turn no longer needs the history before them.
SESSION_BOUNDARIES = frozenset({"session_started", "restart"})


class TrackerStoreError(StratusError):
    """The tracker store cannot do what was asked (not a lost race)."""


class EventTooLargeError(TrackerStoreError):
    """One event does not fit in one stored record, even compressed."""


@dataclass(frozen=True)
class StoredConversation:
    """What `load` read: the events asked for and the head they belong to."""

    conversation_id: str
    events: list[Event]
    version: int  # pass this as `expected_version` to the next `append`
    head: dict[str, Any]  # the caller's snapshot as last committed
    first_seq: int  # sequence number of events[0] (version + 1 when there are none)
    session_start: int  # sequence number of the latest session boundary, 0 if none
    exists: bool  # False for never-seen and deleted conversations
    updated_at: float | None = None
    expires_at: int | None = None


def empty_conversation(conversation_id: str, version: int = 0) -> StoredConversation:
    """A conversation with nothing (visible) stored."""
    return StoredConversation(
        conversation_id=conversation_id,
        events=[],
        version=version,
        head={},
        first_seq=version + 1,
        session_start=0,
        exists=False,
    )


def encode_event(event: Mapping[str, Any]) -> str:
    """Event JSON as stored: compact, UTF-8 kept as is (smaller records)."""
    if not isinstance(event, Mapping) or not isinstance(event.get("event"), str):
        raise TypeError("a tracker event is a mapping with an 'event' name")
    return compact_json(event)


def latest_boundary(events: Sequence[Mapping[str, Any]], first_seq: int) -> int | None:
    """The sequence number of the last session boundary among `events`, if any."""
    for offset in range(len(events) - 1, -1, -1):
        if events[offset].get("event") in SESSION_BOUNDARIES:
            return first_seq + offset
    return None


def check_conversation_id(conversation_id: str) -> None:
    """Refuse ids that cannot be keys (DynamoDB rejects empty strings; 1 KB is its limit)."""
    if not isinstance(conversation_id, str) or not conversation_id:
        raise ValueError("a conversation id is a non-empty string")
    if len(conversation_id.encode("utf-8")) > 1024:
        raise ValueError("a conversation id is at most 1024 bytes")


def check_expected_version(expected_version: int) -> None:
    """Versions are sequence numbers: non-negative integers."""
    if not isinstance(expected_version, int) or expected_version < 0:
        raise ValueError("expected_version is a non-negative integer")


class TrackerStore(ABC):
    """Stores conversations as event records plus a head; see the module docstring."""

    def __init__(
        self,
        *,
        ttl_seconds: float | None,
        lock_settings: LockSettings | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.locks = ConversationLocks(
            self._lock_backend(), lock_settings or LockSettings(), clock=clock
        )

    @abstractmethod
    def _lock_backend(self) -> LockBackend:
        """The storage primitives of this store's locks."""

    def expiry(self, now: float) -> int | None:
        """The TTL timestamp (whole epoch seconds, as DynamoDB wants it) for a write at `now`."""
        return None if self.ttl_seconds is None else int(now + self.ttl_seconds)

    @abstractmethod
    def load(self, conversation_id: str, since_session_start: bool = True) -> StoredConversation:
        """Read the head and the events a turn needs (all visible ones if not since_session_start)."""

    def session_position(self, conversation_id: str) -> tuple[int, int]:
        """`(version, first_seq)` of what `load` would read now: the same pair means the
        same events, so a caller that kept them need not read them again. Stores
        override this with a read of the head alone."""
        stored = self.load(conversation_id)
        return stored.version, stored.first_seq

    def load_all(self, conversation_id: str) -> StoredConversation:
        """Every visible event of the conversation (`include_events=ALL`, story export)."""
        return self.load(conversation_id, since_session_start=False)

    @abstractmethod
    def append(
        self,
        conversation_id: str,
        new_events: Sequence[Mapping[str, Any]],
        expected_version: int,
        head_update: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        """Store `new_events` after `expected_version` and return the new version.

        `head_update` is merged (shallowly) into the head snapshot. Raises
        TrackerConflictError if the version moved on, LockLostError if `lock` is no
        longer the current grant.
        """

    @abstractmethod
    def replace(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        expected_version: int | None = None,
        head: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        """Make `events` the whole history (`PUT .../tracker/events`); `head` replaces the snapshot.

        `expected_version=None` replaces whatever is there.
        """

    @abstractmethod
    def delete(self, conversation_id: str) -> None:
        """Forget the conversation's events and snapshot (it no longer exists or lists)."""

    @abstractmethod
    def list_conversations(self) -> list[str]:
        """Ids of the stored conversations, oldest first, without scanning the events."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to close
        """Release connections."""

    # --- locking ---------------------------------------------------------------------

    def enqueue(self, conversation_id: str) -> Ticket:
        """Take a place in the conversation's queue now; wait for it later with `lock`."""
        check_conversation_id(conversation_id)
        return self.locks.enqueue(conversation_id)

    @contextmanager
    def lock(
        self, conversation_id: str, timeout: float | None = None, ticket: Ticket | None = None
    ) -> Iterator[LockToken]:
        """Hold the conversation's lock for the block; pass the token to `append`."""
        check_conversation_id(conversation_id)
        token = self.locks.acquire(conversation_id, timeout=timeout, ticket=ticket)
        try:
            yield token
        finally:
            if not self.locks.release(token):
                # Harmless for what was committed (the fence refused any late commit),
                # but a sign that lease_seconds is shorter than some turns take.
                logger.warning(
                    "The lock of conversation '%s' expired and was taken over before "
                    "its holder released it (ticket %d).",
                    conversation_id,
                    token.ticket,
                )

    def renew(self, token: LockToken) -> LockToken:
        """Extend the lease (a turn running longer than `lease_seconds`)."""
        return self.locks.renew(token)
