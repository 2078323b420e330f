"""Rasa's serialized trackers (rasa-fixtures/test_trackers) load and render back the same.

Slots: the fixtures carry no domain, and none of their events sets a slot (asserted
below), so each fixture's slot values are its slots' initial values.

tracker_moodbot_with_new_utterances.json was made by appending events to
tracker_moodbot.json by hand, without updating the derived fields: its `latest_message`
and `latest_event_time` still describe the shorter conversation, and its `action`
events predate the `action_text` field. Rasa 3.6.21 itself renders that tracker with
the last user message, the last event's time and `"action_text": null` (checked against
it); those three differences are asserted explicitly, everything else must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stratus.shared.events import SlotSet, event_from_dict
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TRACKERS = SHARED / "rasa-fixtures" / "test_trackers"
STALE = "tracker_moodbot_with_new_utterances.json"


def fixture_files() -> list[Path]:
    if not TRACKERS.is_dir():
        pytest.fail(f"{TRACKERS} is missing: clone the repository next to shared/")
    files = sorted(TRACKERS.glob("*.json"))
    assert files, f"no serialized trackers in {TRACKERS}"
    return files


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def as_rasa_36_writes_it(event: dict[str, Any]) -> dict[str, Any]:
    """Rasa 3.6 writes `action_text` on every action event, null when unset."""
    if event["event"] == "action" and "action_text" not in event:
        return {**event, "action_text": None}
    return event


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_every_event_round_trips(path: Path) -> None:
    events = load(path)["events"]
    assert events

    for index, data in enumerate(events):
        assert event_from_dict(data).as_dict() == as_rasa_36_writes_it(data), f"events[{index}]"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_tracker_state_renders_back_as_the_fixture(path: Path) -> None:
    fixture = load(path)
    tracker = DialogueStateTracker.from_dict(fixture, slots=fixture["slots"])
    assert not any(isinstance(e, SlotSet) for e in tracker.events)

    state = json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))

    expected = dict(fixture)
    expected["events"] = [as_rasa_36_writes_it(e) for e in fixture["events"]]
    if path.name == STALE:
        last_user = [e for e in fixture["events"] if e["event"] == "user"][-1]
        assert state["latest_message"] == last_user["parse_data"]
        assert state["latest_message"]["text"] == "my mood is so great!"
        assert state["latest_event_time"] == fixture["events"][-1]["timestamp"] == 1517821750.211042
        for derived in ("latest_message", "latest_event_time"):
            del state[derived], expected[derived]
    assert state == expected


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_applied_and_after_restart_views_of_a_plain_conversation(path: Path) -> None:
    fixture = load(path)
    tracker = DialogueStateTracker.from_dict(fixture, slots=fixture["slots"])

    # No restart, rewind, undo or loop: every view holds every event.
    all_events = tracker.current_state(EventVerbosity.ALL)["events"]
    assert tracker.current_state(EventVerbosity.APPLIED)["events"] == all_events
    assert tracker.current_state(EventVerbosity.AFTER_RESTART)["events"] == all_events
    assert tracker.current_state(EventVerbosity.NONE)["events"] is None
