"""The lock's storage primitives on DynamoDB: single-item conditional updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from stratus.stores.dynamo.models import LOCK_SK, TableModels
from stratus.stores.locking import LockState


def is_condition_failure(error: Exception) -> bool:
    """Whether a pynamodb error is DynamoDB refusing a condition (decided by error code)."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class DynamoLockBackend:
    """`LockBackend` on the lock item (sk = LOCK_SK) of each conversation."""

    def __init__(self, models: TableModels, expiry: Callable[[float], int | None]) -> None:
        self.models = models
        self.expiry = expiry

    def issue_ticket(self, conversation_id: str, now: float) -> tuple[int, LockState]:
        item = self.models.lock(conversation_id, LOCK_SK)
        lock = self.models.lock
        # One UpdateItem both increments the counter (ADD is atomic, so tickets are
        # unique and follow arrival order at the table) and creates the record's fields
        # on first use; ALL_NEW hands back the whole record, sparing a read.
        actions: list[Any] = [
            lock.issued.add(1),
            lock.rev.set(lock.rev | 0),
            lock.serving.set(lock.serving | 1),
            lock.held.set(lock.held | False),
            lock.deadline.set(lock.deadline | 0),
            lock.fence.set(lock.fence | 0),
        ]
        expires_at = self.expiry(now)
        if expires_at is not None:
            actions.append(lock.expires_at.set(expires_at))
        item.update(actions=actions)
        state = _state(item)
        return state.issued, state

    def read_lock(self, conversation_id: str) -> LockState:
        try:
            item = self.models.lock.get(conversation_id, LOCK_SK, consistent_read=True)
        except DoesNotExist:
            return LockState()
        return _state(item)

    def write_lock(
        self,
        conversation_id: str,
        expected_rev: int,
        new: LockState,
        prune: frozenset[int],
        now: float,
    ) -> bool:
        lock = self.models.lock
        actions: list[Any] = [
            lock.rev.set(new.rev),
            lock.serving.set(new.serving),
            lock.held.set(new.held),
            lock.deadline.set(new.deadline),
            lock.fence.set(new.fence),
            lock.owner.set(new.owner) if new.owner else lock.owner.remove(),
        ]
        if prune:
            # DELETE removes just these tickets, keeping any abandoned meanwhile.
            actions.append(lock.abandoned.delete(set(prune)))
        expires_at = self.expiry(now)
        if expires_at is not None:
            actions.append(lock.expires_at.set(expires_at))
        try:
            lock(conversation_id, LOCK_SK).update(
                actions=actions, condition=lock.rev == expected_rev
            )
        except UpdateError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def abandon_ticket(self, conversation_id: str, ticket: int) -> None:
        lock = self.models.lock
        lock(conversation_id, LOCK_SK).update(actions=[lock.abandoned.add({ticket})])


def _state(item: Any) -> LockState:
    return LockState(
        rev=int(item.rev or 0),
        serving=int(item.serving or 1),
        held=bool(item.held),
        deadline=float(item.deadline or 0),
        fence=int(item.fence or 0),
        owner=item.owner or "",
        abandoned=frozenset(int(t) for t in (item.abandoned or ())),
        issued=int(item.issued or 0),
    )
