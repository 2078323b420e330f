"""A turn publishes its events after the commit, outside the lock, and a broken broker
never costs the turn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from stratus.brokers import FileEventBroker
from stratus.brokers.file import read_events_file
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain
from stratus.shared.domain.loader import domain_from_yaml
from stratus.shared.events import ActionExecuted, SlotSet
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

DOMAIN = """
version: "3.1"
intents: [greet]
slots:
  mood:
    type: text
    mappings: [{type: custom}]
responses:
  utter_greet:
  - text: "Hey there!"
"""


class GreetThenListen:
    def predict_next_action(
        self, tracker: DialogueStateTracker, domain: Domain, rejected_action: str | None = None
    ) -> tuple[str, ActionPrediction]:
        if tracker.latest_action_name == "action_listen":
            return "utter_greet", ActionPrediction("TestPolicy", 0.9)
        return "action_listen", ActionPrediction("TestPolicy", 0.9)


class Witness:
    """A broker that looks at the store while publishing."""

    def __init__(self, store: SQLiteTrackerStore) -> None:
        self.store = store
        self.published: list[tuple[str, list[dict[str, Any]], str | None]] = []
        self.stored_at_publish: list[int] = []
        self.lock_was_free: list[bool] = []

    def publish(
        self, sender_id: str, events: Sequence[dict[str, Any]], *, model_id: str | None = None
    ) -> None:
        self.published.append((sender_id, list(events), model_id))
        self.stored_at_publish.append(len(self.store.load_all(sender_id).events))
        try:
            with self.store.lock(sender_id, timeout=0.2):
                self.lock_was_free.append(True)
        except Exception:
            self.lock_was_free.append(False)

    def close(self) -> None:
        pass


class Broken:
    def publish(
        self, sender_id: str, events: Sequence[dict[str, Any]], *, model_id: str | None = None
    ) -> None:
        raise ConnectionError("the stream is down")

    def close(self) -> None:
        pass


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(tmp_path / "trackers.db")


def processor(store: SQLiteTrackerStore, **kwargs: Any) -> MessageProcessor:
    return MessageProcessor(domain_from_yaml(DOMAIN), GreetThenListen(), store, **kwargs)


def test_turn_events_are_published_after_the_commit_outside_the_lock(
    store: SQLiteTrackerStore,
) -> None:
    witness = Witness(store)
    result = processor(store, event_broker=witness, model_id="v2").handle_message(
        UserMessage("/greet", sender_id="alice")
    )
    ((sender, events, model_id),) = witness.published
    assert sender == "alice" and model_id == "v2"
    assert events == [event.as_dict() for event in result.events]
    assert [e["event"] for e in events] == [
        "action",
        "session_started",
        "action",
        "user",
        "action",
        "bot",
        "action",
    ]
    assert witness.stored_at_publish == [len(events)]  # already committed
    assert witness.lock_was_free == [True]


def test_a_failing_broker_neither_fails_nor_loses_the_turn(
    store: SQLiteTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    bot = processor(store, event_broker=Broken())
    first = bot.handle_message(UserMessage("/greet", sender_id="bob"))
    assert first.messages == [{"recipient_id": "bob", "text": "Hey there!"}]
    second = bot.handle_message(UserMessage("/greet", sender_id="bob"))
    assert second.messages == [{"recipient_id": "bob", "text": "Hey there!"}]
    stored = store.load_all("bob").events
    assert len(stored) == len(first.events) + len(second.events)
    assert "publishing" in caplog.text and "they are stored" in caplog.text


def test_events_posted_through_the_http_api_path_are_published(
    store: SQLiteTrackerStore, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    bot = processor(store, event_broker=FileEventBroker(path), model_id="v1")
    bot.publish_events("carol", [SlotSet("mood", "great"), ActionExecuted("action_listen")])
    bot.publish_events("carol", [])
    lines = read_events_file(path)
    assert [(line["event"], line["sender_id"]) for line in lines] == [
        ("slot", "carol"),
        ("action", "carol"),
    ]
    assert lines[0]["value"] == "great" and lines[0]["metadata"] == {"model_id": "v1"}


def test_without_a_broker_nothing_is_published(store: SQLiteTrackerStore) -> None:
    result = processor(store).handle_message(UserMessage("/greet", sender_id="dave"))
    assert result.messages  # and no error for the missing broker
