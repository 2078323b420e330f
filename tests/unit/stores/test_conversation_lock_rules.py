"""The lock's rules and waiting loop, on an in-memory backend and a controllable clock."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from stratus.stores.locking import (
    Advance,
    ConversationLocks,
    LockLostError,
    LockSettings,
    LockState,
    LockTimeoutError,
    Requeue,
    Take,
    Wait,
    next_step,
)

SETTINGS = LockSettings(
    lease_seconds=10.0,
    wait_timeout_seconds=5.0,
    backoff_base_seconds=0.001,
    backoff_cap_seconds=0.002,
    turn_grace_seconds=1.0,
)


class MemoryLockBackend:
    """The four primitives over a dict, atomic under one mutex (as a table item is)."""

    def __init__(self) -> None:
        self.records: dict[str, LockState] = {}
        self.mutex = threading.Lock()

    def issue_ticket(self, conversation_id: str, now: float) -> tuple[int, LockState]:
        with self.mutex:
            state = self.records.get(conversation_id, LockState())
            state = replace(state, issued=state.issued + 1)
            self.records[conversation_id] = state
            return state.issued, state

    def read_lock(self, conversation_id: str) -> LockState:
        with self.mutex:
            return self.records.get(conversation_id, LockState())

    def write_lock(
        self,
        conversation_id: str,
        expected_rev: int,
        new: LockState,
        prune: frozenset[int],
        now: float,
    ) -> bool:
        with self.mutex:
            current = self.records.get(conversation_id, LockState())
            if current.rev != expected_rev:
                return False
            self.records[conversation_id] = replace(
                new, issued=current.issued, abandoned=current.abandoned - prune
            )
            return True

    def abandon_ticket(self, conversation_id: str, ticket: int) -> None:
        with self.mutex:
            state = self.records[conversation_id]
            self.records[conversation_id] = replace(state, abandoned=state.abandoned | {ticket})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def locks(clock: Clock) -> ConversationLocks:
    return ConversationLocks(MemoryLockBackend(), SETTINGS, clock=clock)


def test_the_first_ticket_takes_a_free_lock_and_each_grant_raises_the_fence() -> None:
    step = next_step(LockState(issued=1), 1, 0.0, SETTINGS, "me")
    assert isinstance(step, Take)
    assert step.state.held and step.state.serving == 1 and step.state.fence == 1
    assert step.state.deadline == SETTINGS.lease_seconds


def test_a_waiter_behind_a_live_holder_waits() -> None:
    held = LockState(serving=1, held=True, deadline=50.0, fence=1, issued=2)
    assert isinstance(next_step(held, 2, 49.9, SETTINGS, "me"), Wait)


def test_the_next_waiter_takes_over_when_the_holders_lease_ran_out() -> None:
    held = LockState(serving=1, held=True, deadline=50.0, fence=1, issued=3)
    step = next_step(held, 2, 50.0, SETTINGS, "me")
    assert isinstance(step, Take) and step.state.serving == 2 and step.state.fence == 2
    # ticket 3 must not jump ahead of ticket 2: it only hands the dead turn to ticket 2
    step3 = next_step(held, 3, 50.0, SETTINGS, "other")
    assert isinstance(step3, Advance)
    assert step3.state.serving == 2 and not step3.state.held
    assert step3.state.deadline == 50.0 + SETTINGS.turn_grace_seconds


def test_a_turn_that_started_before_its_ticket_arrived_gets_the_full_grace() -> None:
    # The queue was empty when ticket 5's turn began at t=9; 5 arrived at t=100 and
    # 6 right after. 6 must give 5 the grace period from its own arrival, not from t=9.
    state = LockState(serving=5, held=False, deadline=10.0, issued=6)
    assert isinstance(next_step(state, 6, 100.5, SETTINGS, "me", arrived_at=100.0), Wait)
    assert isinstance(next_step(state, 6, 101.0, SETTINGS, "me", arrived_at=100.0), Take)


def test_abandoned_tickets_are_skipped_without_waiting_for_their_grace() -> None:
    state = LockState(serving=2, held=False, deadline=99.0, abandoned=frozenset({2, 3}), issued=4)
    step = next_step(state, 4, 10.0, SETTINGS, "me")
    assert isinstance(step, Take) and step.state.serving == 4


def test_a_waiter_whose_turn_was_skipped_requeues() -> None:
    assert isinstance(next_step(LockState(serving=5, issued=6), 3, 0.0, SETTINGS, "me"), Requeue)


def test_settings_refuse_a_grace_shorter_than_the_poll_interval() -> None:
    with pytest.raises(ValueError):
        LockSettings(backoff_cap_seconds=1.0, turn_grace_seconds=3.5)


def test_locks_are_granted_in_ticket_order(locks: ConversationLocks) -> None:
    first = locks.acquire("c", timeout=1)
    tickets = [locks.enqueue("c") for _ in range(3)]
    order: list[int] = []

    def wait(i: int) -> None:
        token = locks.acquire("c", timeout=5, ticket=tickets[i])
        order.append(token.ticket)
        locks.release(token)

    # Start the waiters in reverse: the order they are served in must not care.
    threads = [threading.Thread(target=wait, args=(i,)) for i in reversed(range(3))]
    for t in threads:
        t.start()
    locks.release(first)
    for t in threads:
        t.join()
    assert order == [2, 3, 4]


def test_a_crashed_holders_lease_expires_and_its_token_is_then_refused(
    locks: ConversationLocks, clock: Clock
) -> None:
    crashed = locks.acquire("c")
    with pytest.raises(LockTimeoutError):
        locks.acquire("c", timeout=0.02)
    clock.now += SETTINGS.lease_seconds
    successor = locks.acquire("c", timeout=1)
    assert successor.fence == crashed.fence + 1
    assert not locks.release(crashed)  # a stale holder cannot release its successor
    with pytest.raises(LockLostError):
        locks.renew(crashed)
    renewed = locks.renew(successor)
    assert renewed.lease_until == clock.now + SETTINGS.lease_seconds
    assert locks.release(renewed)


def test_a_waiter_that_times_out_does_not_hold_up_the_queue(locks: ConversationLocks) -> None:
    holder = locks.acquire("c")
    quitter = locks.enqueue("c")
    patient = locks.enqueue("c")
    with pytest.raises(LockTimeoutError):
        locks.acquire("c", timeout=0.01, ticket=quitter)
    locks.release(holder)
    # The quitter's turn is skipped at once, without waiting out its grace period
    # (the clock does not move in this test).
    assert locks.acquire("c", timeout=0.5, ticket=patient).ticket == patient.number


def test_a_waiter_that_vanished_forfeits_its_turn_after_the_grace(
    locks: ConversationLocks, clock: Clock
) -> None:
    holder = locks.acquire("c")
    locks.enqueue("c")  # a waiter that crashes before it ever polls
    patient = locks.enqueue("c")
    locks.release(holder)
    with pytest.raises(LockTimeoutError):
        locks.acquire("c", timeout=0.02, ticket=patient)
    late = locks.enqueue("c")  # the timed-out ticket was abandoned: queue again
    clock.now += SETTINGS.turn_grace_seconds
    assert locks.acquire("c", timeout=0.5, ticket=late).ticket == late.number


def test_a_ticket_for_another_conversation_is_refused(locks: ConversationLocks) -> None:
    with pytest.raises(ValueError):
        locks.acquire("c", ticket=locks.enqueue("d"))


class LostRepliesBackend(MemoryLockBackend):
    """Applies every write but reports failure: a network retry after a lost reply."""

    def write_lock(
        self,
        conversation_id: str,
        expected_rev: int,
        new: LockState,
        prune: frozenset[int],
        now: float,
    ) -> bool:
        super().write_lock(conversation_id, expected_rev, new, prune, now)
        return False


def test_a_grant_and_a_release_whose_replies_were_lost_still_count(clock: Clock) -> None:
    locks = ConversationLocks(LostRepliesBackend(), SETTINGS, clock=clock)
    token = locks.acquire("c", timeout=0.5)  # recognised by its owner, not waited out
    assert token.fence == 1
    assert locks.release(token)
    assert locks.acquire("c", timeout=0.5).ticket == 2
