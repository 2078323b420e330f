"""The tracker renders the same states as Rasa 3.6.21 for scripted conversations.

data/rasa36_trackers.json was written by Rasa itself (data/make_rasa36_golden.py): after
every event the state without events, at the end the state with every `include_events`
verbosity plus the answers of the tracker's queries, and the state of the tracker
reloaded the way Rasa's in-memory store reloads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stratus.shared.events import ActionExecuted, UserUttered, events_from_dicts
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity

GOLDEN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "rasa36_trackers.json").read_text()
)


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def queries(tracker: DialogueStateTracker) -> dict[str, Any]:
    """The same questions the generator asked Rasa's tracker."""
    last_action = tracker.get_last_event_for(ActionExecuted, ["action_listen"])
    last_user = tracker.get_last_event_for(UserUttered)
    second_action = tracker.get_last_event_for(
        ActionExecuted, skip=1, event_verbosity=EventVerbosity.ALL
    )
    return as_json(
        {
            "last_action": last_action.as_dict() if last_action else None,
            "last_user": last_user.as_dict() if last_user else None,
            "second_last_action_of_all": second_action.as_dict() if second_action else None,
            "idx_after_latest_restart": tracker.idx_after_latest_restart(),
            "is_active_loop_rejected": tracker.is_active_loop_rejected,
            "is_active_loop_interrupted": tracker.is_active_loop_interrupted,
            "active_loop_name": tracker.active_loop_name,
            "slots_set": {name: tracker.slot_has_been_set(name) for name in tracker.slot_names},
            "latest_entity_values": {
                f"{k}/{r}": list(tracker.get_latest_entity_values(k, r))
                for k, r in [("e", "r"), ("e", None), ("cuisine", None), ("b", None)]
            },
            "use_text_for_featurization": tracker.latest_message.use_text_for_featurization,
            "latest_bot_utterance": tracker.latest_bot_utterance.text,
            "last_executed_action_has_utter_greet": tracker.last_executed_action_has("utter_greet"),
        }
    )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_state_after_every_event_matches_rasa(name: str) -> None:
    scenario = GOLDEN[name]
    tracker = DialogueStateTracker("s1", scenario["slots"], list_slots=scenario["list_slots"])
    events = events_from_dicts(scenario["events"])
    expected_states = scenario["prefix_states"]

    assert as_json(tracker.current_state()) == expected_states[0]
    for step, (event, expected) in enumerate(zip(events, expected_states[1:]), start=1):
        tracker.update(event)
        assert as_json(tracker.current_state()) == expected, f"after event {step}: {event}"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_final_state_with_every_verbosity_and_queries_match_rasa(name: str) -> None:
    scenario = GOLDEN[name]
    tracker = DialogueStateTracker.from_dict(
        {"sender_id": "s1", "events": scenario["events"]},
        scenario["slots"],
        list_slots=scenario["list_slots"],
    )

    for verbosity in ("ALL", "APPLIED", "AFTER_RESTART", "NONE"):
        rendered = as_json(tracker.current_state(EventVerbosity[verbosity]))
        assert rendered == scenario["final"][verbosity], verbosity
    assert queries(tracker) == scenario["final"]["queries"]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_recreated_tracker_matches_rasas_in_memory_store(name: str) -> None:
    scenario = GOLDEN[name]
    tracker = DialogueStateTracker.recreate(
        "s1",
        events_from_dicts(scenario["events"]),
        scenario["slots"],
        list_slots=scenario["list_slots"],
    )

    assert (
        as_json(tracker.current_state(EventVerbosity.APPLIED)) == scenario["recreated"]["APPLIED"]
    )
    assert queries(tracker) == scenario["recreated"]["queries"]


def test_golden_data_covers_the_semantics_that_matter() -> None:
    # Guards against a regenerated golden file that silently lost scenarios.
    assert {
        "rewind_after_slot",
        "undo",
        "restart",
        "restart_then_session",
        "session_carry_over",
        "form_happy",
        "form_rejected_unhappy",
        "form_training_unhappy",
        "two_loops",
        "misc",
        "list_slots",
    } <= set(GOLDEN)
