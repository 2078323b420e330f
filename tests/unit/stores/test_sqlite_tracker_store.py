"""What only the SQLite store has: several processes on one file, schema versions, purging."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from stratus.stores import LockSettings, SQLiteTrackerStore, TrackerStoreError

PROCESSES = 4
TURNS_EACH = 5


def _send_messages(path: str, worker: int) -> None:
    # Runs in a separate process: its own store instance on the shared file.
    store = SQLiteTrackerStore(
        path, lock_settings=LockSettings(backoff_base_seconds=0.001, backoff_cap_seconds=0.01)
    )
    for n in range(TURNS_EACH):
        with store.lock("shared", timeout=30) as token:
            version = store.load("shared").version
            events = [
                {"event": "user", "timestamp": 1.0, "text": f"{worker}.{n}"},
                {"event": "bot", "timestamp": 1.0, "text": f"re {worker}.{n}"},
            ]
            store.append("shared", events, version, lock=token)
    store.close()


def test_processes_sharing_one_file_take_turns_without_losing_events(tmp_path: Path) -> None:
    path = str(tmp_path / "trackers.db")
    SQLiteTrackerStore(path).close()  # create the schema once
    context = multiprocessing.get_context("spawn")  # no fork of a threaded pytest
    workers = [context.Process(target=_send_messages, args=(path, w)) for w in range(PROCESSES)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=60)
        assert p.exitcode == 0
    events = SQLiteTrackerStore(path).load_all("shared").events
    assert len(events) == 2 * PROCESSES * TURNS_EACH
    texts = [e["text"] for e in events]
    assert sorted(texts[0::2]) == sorted(
        f"{w}.{n}" for w in range(PROCESSES) for n in range(TURNS_EACH)
    )
    assert texts[1::2] == [f"re {t}" for t in texts[0::2]]  # no turn interleaved another


def test_a_file_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trackers.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(TrackerStoreError, match="newer"):
        SQLiteTrackerStore(path)


def test_purge_expired_drops_conversations_past_their_ttl(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SQLiteTrackerStore(tmp_path / "t.db", ttl_seconds=100, clock=lambda: now[0])
    store.append("old", [{"event": "user", "timestamp": 1.0, "text": "a"}], 0)
    now[0] += 60
    store.append("new", [{"event": "user", "timestamp": 2.0, "text": "b"}], 0)
    now[0] += 50
    assert store.purge_expired() == 1
    assert store.list_conversations() == ["new"]
    assert store.load_all("old").events == [] and not store.load("old").exists
    assert len(store.load_all("new").events) == 1
