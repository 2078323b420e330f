"""A fair per-conversation lock built from conditional writes on one lock record.

The record holds a ticket counter and a "now serving" number, like a bakery queue:
arrivals take numbered tickets (an atomic increment) and the lock is handed to the
lowest live ticket, so concurrent messages to one conversation run in arrival order.
The holder's right is a lease (owner, deadline) with a fencing token that grows with
every grant; a commit checks the token, so a holder that stalled past its lease and was
replaced cannot overwrite its successor. A holder that crashes simply lets its lease
run out; a waiter that crashes or gives up forfeits its turn after a grace period (or at
once, if it managed to mark its ticket abandoned).

The rules live here as pure functions over `LockState`; each store supplies the
four primitive operations of `LockBackend` (SQLite rows, DynamoDB items), so both
stores queue, hand over and fence identically.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from stratus.shared.exceptions import TrackerConflictError


class LockTimeoutError(TrackerConflictError):
    """Waited longer than the timeout for a conversation's lock."""


class LockLostError(TrackerConflictError):
    """The lease ran out and another holder took the lock (the fencing token is stale)."""


# Lock records outlive their conversation's TTL by a day, so a queue never vanishes
# under a waiter when the conversation expires.
LOCK_TTL_MARGIN_SECONDS = 86_400


@dataclass(frozen=True)
class LockSettings:
    """How long leases last and how waiters poll."""

    lease_seconds: float = 60.0
    wait_timeout_seconds: float = 20.0
    backoff_base_seconds: float = 0.004
    # The next waiter in line polls at most this far apart: it bounds the hand-over
    # latency. Waiters further back poll more slowly (see _Pacer), so a long queue
    # costs a bounded number of reads (DynamoDB bills each one).
    backoff_cap_seconds: float = 0.1
    # How long the ticket whose turn it is may take to claim the lock before the next
    # waiter skips it. No waiter sleeps longer than a quarter of it, so live waiters
    # are never skipped.
    turn_grace_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.turn_grace_seconds < 4 * self.backoff_cap_seconds:
            raise ValueError("turn_grace_seconds must be at least 4 x backoff_cap_seconds")
        if min(self.lease_seconds, self.wait_timeout_seconds, self.backoff_base_seconds) <= 0:
            raise ValueError("lock durations must be positive")


@dataclass(frozen=True)
class LockState:
    """One conversation's lock record as last read."""

    rev: int = 0  # bumped by every grant/advance/release; the compare-and-set key
    serving: int = 1  # the ticket entitled to hold the lock now
    held: bool = False  # whether `serving` has claimed it
    # held: the lease's end; not held: when `serving` forfeits its turn
    deadline: float = 0.0
    fence: int = 0  # fencing token of the latest grant
    owner: str = ""
    abandoned: frozenset[int] = field(default_factory=frozenset)
    issued: int = 0  # the last ticket handed out


@dataclass(frozen=True)
class Ticket:
    """A place in a conversation's queue."""

    conversation_id: str
    number: int
    state: LockState  # the record as the ticket was issued (saves one read)
    issued_at: float  # on the store's clock


@dataclass(frozen=True)
class LockToken:
    """Proof of holding a conversation's lock; pass it to `append` to fence the commit."""

    conversation_id: str
    ticket: int
    fence: int
    owner: str
    lease_until: float


class LockBackend(Protocol):
    """The storage primitives a lock needs; each must be atomic on its own."""

    def issue_ticket(self, conversation_id: str, now: float) -> tuple[int, LockState]:
        """Increment the ticket counter (creating the record) and return it with the record."""
        ...

    def read_lock(self, conversation_id: str) -> LockState:
        """Read the record with strong consistency."""
        ...

    def write_lock(
        self,
        conversation_id: str,
        expected_rev: int,
        new: LockState,
        prune: frozenset[int],
        now: float,
    ) -> bool:
        """Store `new`'s serving/held/deadline/fence/owner and rev if rev is still `expected_rev`.

        Drop the `prune` tickets from the abandoned set without touching tickets added
        concurrently; return False when the rev moved on.
        """
        ...

    def abandon_ticket(self, conversation_id: str, ticket: int) -> None:
        """Add `ticket` to the abandoned set (atomically, alongside concurrent writers)."""
        ...


# --- the rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Take:
    """Claim the lock: write `state` (the grant) conditionally."""

    state: LockState


@dataclass(frozen=True)
class Granted:
    """The record shows our own grant: a retried write succeeded although its reply was lost."""

    state: LockState


@dataclass(frozen=True)
class Advance:
    """Skip a dead turn: hand it to the next live ticket, which is not us yet."""

    state: LockState


@dataclass(frozen=True)
class Wait:
    """Someone ahead of us is alive: poll again later."""


@dataclass(frozen=True)
class Requeue:
    """Our turn came and went while we stalled: take a new ticket."""


Step = Take | Granted | Advance | Wait | Requeue


def next_live(start: int, abandoned: frozenset[int]) -> int:
    """The first ticket from `start` on that was not abandoned."""
    while start in abandoned:
        start += 1
    return start


def next_step(
    state: LockState,
    ticket: int,
    now: float,
    settings: LockSettings,
    owner: str,
    arrived_at: float | None = None,
) -> Step:
    """What waiter `ticket` (queued at `arrived_at`) should do given the record it just read."""
    if state.serving > ticket:
        return Requeue()

    def grant() -> Take:
        return Take(
            replace(
                state,
                rev=state.rev + 1,
                serving=ticket,
                held=True,
                deadline=now + settings.lease_seconds,
                fence=state.fence + 1,
                owner=owner,
            )
        )

    if state.serving == ticket:
        if not state.held:
            return grant()
        # Held under our ticket: by us if the owner is ours (owners are unique per
        # acquire), since a network retry can apply our write and still report failure.
        return Granted(state) if state.owner == owner else Wait()
    # Someone is ahead of us. Their turn is over when the holder's lease ran out, or
    # when the entitled waiter never claimed it in time or said it gave up. "In time"
    # counts from the later of the turn's start and our own arrival: the entitled
    # ticket arrived before us, perhaps after the turn started (the queue was empty),
    # so it has had at least the grace period since our arrival.
    if state.held:
        turn_over = now >= state.deadline
    else:
        patience = state.deadline
        if arrived_at is not None:
            patience = max(patience, arrived_at + settings.turn_grace_seconds)
        turn_over = now >= patience or state.serving in state.abandoned
    if not turn_over:
        return Wait()
    successor = next_live(state.serving + 1, state.abandoned)
    if successor >= ticket:
        # Everyone between the dead turn and us has abandoned their tickets.
        return grant()
    return Advance(
        replace(
            state,
            rev=state.rev + 1,
            serving=successor,
            held=False,
            deadline=now + settings.turn_grace_seconds,
            owner="",
        )
    )


def released(state: LockState, token: LockToken, now: float, settings: LockSettings) -> LockState:
    """The record after the holder of `token` hands the lock to the next ticket."""
    return replace(
        state,
        rev=state.rev + 1,
        serving=next_live(token.ticket + 1, state.abandoned),
        held=False,
        deadline=now + settings.turn_grace_seconds,
        owner="",
    )


def holds(state: LockState, token: LockToken) -> bool:
    """Whether `token` is still the current grant."""
    return state.held and state.serving == token.ticket and state.fence == token.fence


# --- the waiting loop -----------------------------------------------------------------


class _Pacer:
    """How long a waiter sleeps before it reads the lock record again."""

    def __init__(self, settings: LockSettings, rng: random.Random) -> None:
        self.settings = settings
        self.random = rng
        self.attempt = 0
        self.mark: tuple[float, int] | None = None  # (when, serving) last seen to move
        self.turn: float | None = None  # estimated seconds per turn

    def observe(self, serving: int) -> None:
        now = time.monotonic()
        if self.mark is None or serving < self.mark[1]:
            self.mark = (now, serving)
        elif serving > self.mark[1]:
            per_turn = (now - self.mark[0]) / (serving - self.mark[1])
            self.turn = per_turn if self.turn is None else (self.turn + per_turn) / 2
            self.mark = (now, serving)
            self.attempt = 0  # the queue moved: poll briskly again

    def delay(self, position: int) -> float:
        s = self.settings
        if position > 1 and self.turn is not None:
            # A waiter k places back has about k - 1 turns to spare before it is next
            # in line: look again halfway through them.
            step = max(s.backoff_cap_seconds, (position - 1) * self.turn / 2)
        else:
            cap = s.backoff_cap_seconds * max(position, 1)
            step = min(cap, s.backoff_base_seconds * 2 ** min(self.attempt, 16))
        step = min(step, s.turn_grace_seconds / 4)
        self.attempt += 1
        # "Equal jitter": at least half the step, so the poll rate stays bounded, and a
        # random other half, so waiters that woke together spread out.
        return step / 2 + self.random.uniform(0, step / 2)


def default_owner() -> str:
    """A name for this holder that says which container, process and thread it is."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


class ConversationLocks:
    """Queue for, wait for, renew and release conversation locks on a `LockBackend`."""

    def __init__(
        self,
        backend: LockBackend,
        settings: LockSettings,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._random = random.Random()

    def enqueue(self, conversation_id: str) -> Ticket:
        """Take a ticket: this fixes the caller's place in the arrival order."""
        now = self.clock()
        number, state = self.backend.issue_ticket(conversation_id, now)
        return Ticket(conversation_id, number, state, now)

    def acquire(
        self, conversation_id: str, timeout: float | None = None, ticket: Ticket | None = None
    ) -> LockToken:
        """Wait (bounded exponential backoff with jitter) until our ticket is served."""
        settings = self.settings
        # Timeouts are measured on the monotonic clock so a wall-clock step cannot
        # cut a wait short; lease deadlines use `self.clock`, shared between machines.
        give_up_at = time.monotonic() + (
            settings.wait_timeout_seconds if timeout is None else timeout
        )
        if ticket is None:
            ticket = self.enqueue(conversation_id)
        elif ticket.conversation_id != conversation_id:
            raise ValueError("the ticket belongs to another conversation")
        number, state, arrived_at = ticket.number, ticket.state, ticket.issued_at
        owner = default_owner()
        pacer = _Pacer(settings, self._random)
        while True:
            step = next_step(state, number, self.clock(), settings, owner, arrived_at)
            if isinstance(step, Granted):
                return LockToken(
                    conversation_id, number, step.state.fence, owner, step.state.deadline
                )
            if isinstance(step, Take | Advance):
                won = self.backend.write_lock(
                    conversation_id, state.rev, step.state, frozenset(), self.clock()
                )
                if won and isinstance(step, Take):
                    return LockToken(
                        conversation_id, number, step.state.fence, owner, step.state.deadline
                    )
                # Lost the compare-and-set or skipped a dead turn: look again at once.
                state = self.backend.read_lock(conversation_id)
                continue
            if isinstance(step, Requeue):
                arrived_at = self.clock()
                number, state = self.backend.issue_ticket(conversation_id, arrived_at)
                continue
            remaining = give_up_at - time.monotonic()
            if remaining <= 0:
                # Tell the waiters behind us not to wait out our turn's grace period.
                self.backend.abandon_ticket(conversation_id, number)
                raise LockTimeoutError(
                    f"Timed out waiting for the lock of conversation '{conversation_id}' "
                    f"(ticket {number}, now serving {state.serving})."
                )
            pacer.observe(state.serving)
            self.sleep(min(remaining, pacer.delay(number - state.serving)))
            state = self.backend.read_lock(conversation_id)

    def release(self, token: LockToken) -> bool:
        """Hand the lock to the next ticket; False if the lease had already been taken over."""
        while True:
            state = self.backend.read_lock(token.conversation_id)
            if not holds(state, token):
                # Every grant raises the fence, so an unchanged fence on a free lock
                # means our release went through (a retried write that reported failure).
                return not state.held and state.fence == token.fence
            now = self.clock()
            new = released(state, token, now, self.settings)
            prune = frozenset(t for t in state.abandoned if t < new.serving)
            if self.backend.write_lock(token.conversation_id, state.rev, new, prune, now):
                return True

    def renew(self, token: LockToken) -> LockToken:
        """Extend the lease of a long turn; raises LockLostError if it was taken over."""
        while True:
            state = self.backend.read_lock(token.conversation_id)
            if not holds(state, token):
                raise LockLostError(
                    f"The lock of conversation '{token.conversation_id}' was taken over."
                )
            now = self.clock()
            new = replace(state, rev=state.rev + 1, deadline=now + self.settings.lease_seconds)
            if self.backend.write_lock(token.conversation_id, state.rev, new, frozenset(), now):
                return replace(token, lease_until=new.deadline)
