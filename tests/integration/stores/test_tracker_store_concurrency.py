"""Twenty messages to one conversation at once: all processed, one at a time, in arrival order."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tracker_store_helpers import StoreKit, action, bot, user

from stratus.stores import LockSettings, LockToken, TrackerStore

SENDERS = 20
# Poll briskly: the turns here are short, and the test should show hand-over, not sleep.
FAST = LockSettings(backoff_base_seconds=0.002, backoff_cap_seconds=0.02, turn_grace_seconds=2.0)


def _run_turns(
    kit: StoreKit, turn: Callable[[int, TrackerStore], tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """Each sender in its own thread with its own store instance (like separate containers)."""
    stores = [kit.make(lock_settings=FAST) for _ in range(SENDERS)]
    start = threading.Barrier(SENDERS)
    done: list[tuple[int, int, int]] = []
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            start.wait()
            done.append(turn(i, stores[i]))
        except BaseException as error:  # surface a thread's failure in the test
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(done) == SENDERS
    return done


def _one_turn(store: TrackerStore, token: LockToken, arrival: int) -> tuple[int, int]:
    conversation = store.load("busy")
    events = [
        user(f"message {arrival}", float(arrival)),
        action("utter_reply", float(arrival)),
        bot(f"reply {arrival}", float(arrival)),
    ]
    new_version = store.append(
        "busy", events, conversation.version, {"last_arrival": arrival}, lock=token
    )
    return conversation.version, new_version


def _check_history(store: TrackerStore, arrivals: list[int]) -> None:
    conversation = store.load_all("busy")
    events = conversation.events
    assert len(events) == 3 * SENDERS and conversation.version == 3 * SENDERS
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert len(set(texts)) == SENDERS  # none lost, none twice
    assert texts == [f"message {a}" for a in arrivals]
    # each turn's three events stayed together: no turn ran inside another
    for k, a in enumerate(arrivals):
        assert [e["event"] for e in events[3 * k : 3 * k + 3]] == ["user", "action", "bot"]
        assert events[3 * k + 2]["text"] == f"reply {a}"
    assert conversation.head == {"last_arrival": arrivals[-1]}


def test_concurrent_messages_run_one_at_a_time_in_arrival_order(kit: StoreKit) -> None:
    # Arrival is when a sender takes its place in the queue. The mutex makes
    # "record the arrival number" and "take the ticket" one step, so the recorded
    # order is the true arrival order the lock must honour.
    arrival_mutex = threading.Lock()
    arrivals: list[int] = []

    def turn(i: int, store: TrackerStore) -> tuple[int, int, int]:
        with arrival_mutex:
            arrival = len(arrivals)
            arrivals.append(arrival)
            ticket = store.enqueue("busy")
        with store.lock("busy", timeout=60, ticket=ticket) as token:
            before, after = _one_turn(store, token, arrival)
        return arrival, before, after

    done = _run_turns(kit, turn)
    # versions are contiguous: each turn started where the previous one ended
    assert sorted((before, after) for _, before, after in done) == [
        (3 * k, 3 * k + 3) for k in range(SENDERS)
    ]
    _check_history(kit.make(), list(range(SENDERS)))


def test_racing_senders_without_coordination_lose_nothing(kit: StoreKit) -> None:
    # No test-side ordering at all: every sender just takes the lock. The arrival
    # order is then the order the store issued tickets, which the history must follow.
    def turn(i: int, store: TrackerStore) -> tuple[int, int, int]:
        with store.lock("busy", timeout=60) as token:
            _, after = _one_turn(store, token, i)
        return token.ticket, i, after

    done = _run_turns(kit, turn)
    by_ticket = sorted(done)
    assert [ticket for ticket, _, _ in by_ticket] == list(range(1, SENDERS + 1))
    assert [after for _, _, after in by_ticket] == [3 * k for k in range(1, SENDERS + 1)]
    _check_history(kit.make(), [sender for _, sender, _ in by_ticket])
