"""In-process deduplication and the job dispatch plumbing."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from stratus.channels.dedup import InMemoryDeduplicator
from stratus.channels.dispatch import (
    ChannelJobError,
    ThreadDispatcher,
    is_channel_job,
    run_channel_job,
)


def test_in_memory_dedup_expires_after_the_ttl() -> None:
    now = [100.0]
    dedup = InMemoryDeduplicator(ttl_seconds=10, clock=lambda: now[0])
    assert dedup.first_seen("slack", "a") is True
    assert dedup.first_seen("slack", "a") is False
    assert dedup.first_seen("telegram", "a") is True  # channels do not share ids
    now[0] += 10.5
    assert dedup.first_seen("slack", "a") is True


def test_in_memory_dedup_forgets_the_least_recently_seen() -> None:
    dedup = InMemoryDeduplicator(max_entries=2)
    assert dedup.first_seen("c", "1") and dedup.first_seen("c", "2")
    assert dedup.first_seen("c", "1") is False  # 1 is now the most recent
    assert dedup.first_seen("c", "3") is True  # evicts 2
    assert dedup.first_seen("c", "1") is False
    assert dedup.first_seen("c", "2") is True


def test_in_memory_dedup_has_one_winner_per_id() -> None:
    dedup = InMemoryDeduplicator()
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        wins.append(dedup.first_seen("slack", "same"))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_thread_dispatcher_runs_jobs_and_survives_a_failing_one() -> None:
    ran: list[dict[str, Any]] = []

    def runner(job: dict[str, Any]) -> None:
        if job["payload"].get("boom"):
            raise RuntimeError("boom")
        ran.append(job)

    dispatcher = ThreadDispatcher(runner, workers=2)
    dispatcher.submit({"channel": "slack", "payload": {"boom": True}})
    for n in range(5):
        dispatcher.submit({"channel": "slack", "payload": {"n": n}})
    assert dispatcher.drain(timeout=10)
    assert sorted(job["payload"]["n"] for job in ran) == [0, 1, 2, 3, 4]


def test_thread_dispatcher_needs_a_runner_and_json_jobs() -> None:
    with pytest.raises(RuntimeError, match="bind"):
        ThreadDispatcher().submit({"channel": "slack", "payload": {}})
    dispatcher = ThreadDispatcher(lambda job: None)
    with pytest.raises(TypeError):
        dispatcher.submit({"channel": "slack", "payload": {"when": object()}})


def test_run_channel_job_names_the_bad_field() -> None:
    with pytest.raises(ChannelJobError, match="'channel'"):
        run_channel_job({}, {"channel": "slack", "payload": {}})
    with pytest.raises(ChannelJobError, match="'payload'"):
        run_channel_job({"slack": object()}, {"channel": "slack", "payload": []})  # type: ignore[dict-item]


def test_is_channel_job() -> None:
    assert is_channel_job({"channel": "slack", "payload": {}})
    assert not is_channel_job({"version": "2.0", "routeKey": "POST /x", "body": "{}"})
    assert not is_channel_job([1])


def test_thread_dispatcher_keeps_a_conversations_order() -> None:
    seen: dict[str, list[int]] = {}
    lock = threading.Lock()

    def runner(job: dict[str, Any]) -> None:
        payload = job["payload"]
        with lock:
            seen.setdefault(payload["sender_id"], []).append(payload["n"])

    dispatcher = ThreadDispatcher(runner, workers=3)
    for n in range(50):
        for sender in ("a", "b", "c", "d"):
            dispatcher.submit({"channel": "slack", "payload": {"sender_id": sender, "n": n}})
    assert dispatcher.drain(timeout=10)
    assert seen == {sender: list(range(50)) for sender in "abcd"}
