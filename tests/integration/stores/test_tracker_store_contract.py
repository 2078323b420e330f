"""The tracker store contract, run against SQLite, DynamoDB on moto server, and dynalite."""

from __future__ import annotations

import threading

import pytest
from tracker_store_helpers import StoreKit, action, bot, session_start, turn, user

from stratus.shared.exceptions import TrackerConflictError
from stratus.stores import LockLostError, LockSettings, LockTimeoutError, TrackerStore


def test_an_unknown_conversation_is_empty(store: TrackerStore) -> None:
    conversation = store.load("nobody")
    assert conversation.events == [] and conversation.version == 0
    assert not conversation.exists and conversation.head == {}


def test_appended_events_come_back_exactly_in_order(store: TrackerStore) -> None:
    odd = {
        "event": "slot",
        "timestamp": 1712345678.123456,
        "name": "städte",
        "value": [0.1 + 0.2, None, True, {"nested": ["ü", "😀", ""]}, 10**15],
    }
    first = [*session_start(), user("hi"), odd]
    assert store.append("c1", first, 0, {"slots": {"städte": odd["value"]}}) == 5
    assert store.append("c1", [bot("hello")], 5) == 6
    conversation = store.load_all("c1")
    assert conversation.events == [*first, bot("hello")]
    assert conversation.version == 6 and conversation.exists
    assert conversation.head == {"slots": {"städte": odd["value"]}}


def test_load_reads_from_the_latest_session_start_and_load_all_reads_everything(
    store: TrackerStore,
) -> None:
    version = store.append("c", [*session_start(1), *turn("one", 2)], 0)
    version = store.append("c", [*session_start(3), *turn("two", 4)], version)
    current = store.load("c")
    assert current.events == [*session_start(3)[1:], *turn("two", 4)]
    assert current.first_seq == current.session_start == 9
    assert len(store.load_all("c").events) == version == 14
    # `restart` is a boundary too, and a later turn keeps it as the start
    version = store.append(
        "c", [action("action_restart"), {"event": "restart", "timestamp": 5}], version
    )
    version = store.append("c", turn("three", 6), version)
    assert store.load("c").events == [{"event": "restart", "timestamp": 5}, *turn("three", 6)]


def test_the_session_position_names_what_load_would_read(store: TrackerStore) -> None:
    def position_of_load(conversation_id: str) -> tuple[int, int]:
        loaded = store.load(conversation_id)
        return loaded.version, loaded.first_seq

    assert store.session_position("p") == position_of_load("p") == (0, 1)
    version = store.append("p", [*session_start(1), *turn("one", 2)], 0)
    assert store.session_position("p") == position_of_load("p")
    version = store.append("p", turn("two", 3), version)
    assert store.session_position("p") == position_of_load("p")
    store.append("p", [*session_start(4), *turn("three", 5)], version)
    assert store.session_position("p") == position_of_load("p")
    before = store.session_position("p")
    store.delete("p")  # the version stays, but what a load reads does not
    assert store.session_position("p") == position_of_load("p") != before
    store.replace("p", turn("four", 6))
    assert store.session_position("p") == position_of_load("p")


def test_head_updates_merge_key_by_key(store: TrackerStore) -> None:
    version = store.append("c", turn("a"), 0, {"slots": {"x": 1}, "active_loop": {"name": "f"}})
    store.append("c", turn("b"), version, {"active_loop": {}, "latest_input_channel": "rest"})
    assert store.load("c").head == {
        "slots": {"x": 1},
        "active_loop": {},
        "latest_input_channel": "rest",
    }


def test_a_stale_version_conflicts_and_stores_nothing(store: TrackerStore) -> None:
    store.append("c", turn("a"), 0)
    with pytest.raises(TrackerConflictError):
        store.append("c", turn("late"), 0)
    with pytest.raises(TrackerConflictError):
        store.append("c", turn("early"), 9)
    assert store.load_all("c").events == turn("a")


def test_of_two_writers_on_one_version_exactly_one_wins(kit: StoreKit) -> None:
    kit.make().append("c", turn("base"), 0)
    writers = [kit.make() for _ in range(6)]
    start = threading.Barrier(len(writers))
    outcomes: list[str] = []

    def write(i: int) -> None:
        start.wait()
        try:
            writers[i].append("c", turn(f"w{i}"), 4)
            outcomes.append(f"w{i}")
        except TrackerConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1
    assert writers[0].load_all("c").events == [*turn("base"), *turn(winners[0])]


def test_replace_swaps_the_history_and_keeps_versions_growing(store: TrackerStore) -> None:
    version = store.append("c", [*session_start(), *turn("old")], 0, {"slots": {"a": 1}})
    new_history = [*session_start(9), *turn("new", 9)]
    replaced = store.replace("c", new_history, expected_version=version, head={"slots": {}})
    assert replaced == version + len(new_history)
    conversation = store.load_all("c")
    assert conversation.events == new_history and conversation.head == {"slots": {}}
    assert store.load("c").events == new_history[1:]
    # a writer that loaded before the replace cannot write over it
    with pytest.raises(TrackerConflictError):
        store.append("c", turn("stale"), version)
    with pytest.raises(TrackerConflictError):
        store.replace("c", [], expected_version=version)
    assert store.replace("c", turn("any")) == replaced + 4


def test_delete_forgets_the_conversation_and_a_later_message_starts_afresh(
    store: TrackerStore,
) -> None:
    version = store.append("c", turn("a"), 0, {"slots": {"x": 1}})
    store.append("other", turn("b"), 0)
    store.delete("c")
    gone = store.load_all("c")
    assert gone.events == [] and not gone.exists and gone.head == {}
    assert store.list_conversations() == ["other"]
    store.delete("never-existed")
    again = store.append("c", turn("new"), gone.version)
    assert again == version + 4
    assert store.load_all("c").events == turn("new")
    assert store.list_conversations() == ["other", "c"]


def test_list_conversations_in_creation_order(store: TrackerStore) -> None:
    ids = [f"user-{i}" for i in range(7)] + ["a/b c", "ü"]
    for conversation_id in ids:
        store.append(conversation_id, turn("x"), 0)
    store.append("user-0", turn("later"), 4)  # activity does not reorder
    assert store.list_conversations() == ids


def test_the_head_records_when_it_expires(kit: StoreKit) -> None:
    store = kit.make(ttl_seconds=3600, clock=lambda: 1_800_000_000.5)
    store.append("c", turn("a"), 0)
    conversation = store.load("c")
    assert conversation.updated_at == pytest.approx(1_800_000_000.5)
    assert conversation.expires_at == 1_800_003_600
    assert kit.make().load("c").expires_at == 1_800_003_600


def test_a_commit_with_a_taken_over_lock_is_refused(kit: StoreKit) -> None:
    now = [1_000.0]
    settings = LockSettings(lease_seconds=30, turn_grace_seconds=1.0, backoff_cap_seconds=0.01)
    first, second = (kit.make(lock_settings=settings, clock=lambda: now[0]) for _ in range(2))
    with first.lock("c", timeout=1) as stale:
        version = first.load("c").version
        now[0] += 31  # the first holder stalls past its lease ...
        with second.lock("c", timeout=1) as current:  # ... and is replaced
            assert current.fence > stale.fence
            with pytest.raises(LockLostError):
                first.append("c", turn("stale"), version, lock=stale)
            second.append("c", turn("current"), version, lock=current)
    assert first.load_all("c").events == turn("current")
    # the stale holder's exit did not release its successor's lock twice
    with second.lock("c", timeout=1) as token:
        assert token.fence == current.fence + 1


def test_a_waiter_times_out_while_a_holder_is_busy(kit: StoreKit) -> None:
    store = kit.make()
    other = kit.make()
    with store.lock("c", timeout=1), pytest.raises(LockTimeoutError):
        other.locks.acquire("c", timeout=0.05)
    with kit.make().lock("c", timeout=1) as token:
        assert token.ticket == 3  # the timed-out ticket was skipped at once
