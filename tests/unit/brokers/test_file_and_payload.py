"""The published JSON shape, the file broker, the composite broker and sinks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratus.brokers import CompositeEventBroker, FileDeadLetterSink, FileEventBroker, event_payload
from stratus.brokers.dead_letter import read_dead_letters
from stratus.brokers.file import read_events_file


def test_payload_is_the_event_plus_sender_id_with_model_id_in_metadata() -> None:
    event = {"event": "action", "timestamp": 1.5, "name": "action_listen", "policy": None}
    assert event_payload("alice", event) == {**event, "sender_id": "alice"}
    tagged = event_payload("alice", event, model_id="20261122-a")
    assert tagged["metadata"] == {"model_id": "20261122-a"}
    assert "metadata" not in event  # the stored event is left alone
    own = event_payload("a", {**event, "metadata": {"model_id": "old", "x": 1}}, model_id="new")
    assert own["metadata"] == {"model_id": "old", "x": 1}


def test_file_broker_appends_json_lines_in_order(tmp_path: Path) -> None:
    path = tmp_path / ".stratus" / "events.jsonl"
    broker = FileEventBroker(path)
    broker.publish("alice", [{"event": "user", "text": "hi"}, {"event": "bot", "text": "héllo"}])
    broker.publish("bob", [{"event": "action", "name": "action_listen"}], model_id="v1")
    broker.publish("bob", [])
    broker.close()
    assert read_events_file(path) == [
        {"event": "user", "text": "hi", "sender_id": "alice"},
        {"event": "bot", "text": "héllo", "sender_id": "alice"},
        {
            "event": "action",
            "name": "action_listen",
            "sender_id": "bob",
            "metadata": {"model_id": "v1"},
        },
    ]


def test_unwritable_file_goes_to_the_dead_letter_sink_without_raising(tmp_path: Path) -> None:
    blocked = tmp_path / "dir"
    blocked.mkdir()  # a directory where the file should be
    dead = tmp_path / "dead.jsonl"
    FileEventBroker(blocked, dead_letter=FileDeadLetterSink(dead)).publish("a", [{"event": "user"}])
    (letter,) = read_dead_letters(dead)
    assert letter["destination"] == f"file:{blocked}"
    assert letter["payload"] == {"event": "user", "sender_id": "a"}


class Exploding:
    def publish(self, sender_id: str, events: Any, *, model_id: str | None = None) -> None:
        raise RuntimeError("broken broker")

    def close(self) -> None:
        raise RuntimeError("broken close")


def test_composite_publishes_to_every_broker_even_when_one_raises(tmp_path: Path) -> None:
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    composite = CompositeEventBroker([FileEventBroker(first), Exploding(), FileEventBroker(second)])
    composite.publish("a", [{"event": "user"}], model_id="m")
    composite.close()
    assert read_events_file(first) == read_events_file(second)
    assert read_events_file(first) == [
        {"event": "user", "sender_id": "a", "metadata": {"model_id": "m"}}
    ]
