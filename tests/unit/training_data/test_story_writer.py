"""Conversations exported as YAML test stories, compared byte for byte with what Rasa
3.6.21's `GET /conversations/{id}/story` returned for the same events (goldens written by
data/make_rasa36_story_golden.py), and read back by Stratus' own story reader."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    events_from_dicts,
)
from stratus.shared.training_data import (
    ActionStep,
    ActiveLoopStep,
    BotStep,
    SlotValue,
    SlotWasSetStep,
    Step,
    StoryEntity,
    UserStep,
    read_story_file,
)
from stratus.shared.training_data.story_writer import StoryExportError, conversation_story_yaml

DATA = Path(__file__).parent / "data"
GOLDEN: dict[str, dict[str, Any]] = json.loads((DATA / "rasa36_stories.json").read_text())
HEADER_ONLY = 'version: "3.1"\n'


def export(case: dict[str, Any]) -> str:
    return conversation_story_yaml(
        events_from_dicts(case["events"]),
        case["sender_id"],
        all_sessions=case["all_sessions"],
        until=case["until"],
    )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_story_matches_rasa_byte_for_byte(name: str) -> None:
    case = GOLDEN[name]
    if "story" in case:
        assert export(case) == case["story"]
    elif case["error"] == "AttributeError":
        # Rasa crashes (HTTP 500) exporting all sessions of a conversation it never saw;
        # Stratus answers with a document holding no stories.
        assert case["events"] == [] and case["all_sessions"]
        assert export(case) == HEADER_ONLY
    else:
        with pytest.raises(StoryExportError):
            export(case)


def test_goldens_cover_what_the_brief_asks_for() -> None:
    """The golden set really exercises the formatting corners (guards against a
    regenerated golden file that lost its interesting cases)."""
    stories = "\n".join(c.get("story", "") for c in GOLDEN.values())
    for fragment in (
        '[LA]{"entity": "city", "role": "from", "value": "Los Angeles"}',
        '[NYC]{"entity": "city", "role": "to", "group": "1"}',
        "[big][",  # several entities on one span
        "intent: faq/ask_name",
        "- bot: Hello there!",
        "- active_loop: null",
        "user: |2-",  # indentation indicator
        "user: |+",  # keep chomping
        "? kkkkk",  # complex key
        "- s0: yes",
        "- s5: 'null'",
        "\\\n",  # a double-quoted line folded at column 4096
        "- story: c1, story 2",
    ):
        assert fragment in stories, fragment
    assert sum("error" in c for c in GOLDEN.values()) >= 4
    assert any(c["until"] is not None for c in GOLDEN.values())


def test_errors_name_the_event_and_field() -> None:
    bad_markup = GOLDEN["invalid_markup_json"]
    with pytest.raises(StoryExportError, match=r"events\[3\] 'user': field 'text'.*not valid JSON"):
        export(bad_markup)
    spans = GOLDEN["same_start_different_end"]
    with pytest.raises(StoryExportError, match=r"events\[3\].*'parse_data.entities'"):
        export(spans)
    intent = {**bad_markup, "events": [dict(bad_markup["events"][3])]}
    intent["events"][0]["parse_data"] = {"intent": {"name": "a/b/c"}}
    with pytest.raises(StoryExportError, match=r"'parse_data.intent.name'.*'a/b/c'"):
        export(intent)


def test_until_keeps_events_up_to_the_first_later_one() -> None:
    events = events_from_dicts(GOLDEN["two_sessions_all"]["events"])
    cut = events[4].timestamp  # after the bot's answer in the first session
    story = yaml.safe_load(conversation_story_yaml(events, "u", all_sessions=True, until=cut))
    # The second session is empty at that time: one story left, named without a number.
    assert story["stories"] == [
        {"story": "u", "steps": [{"intent": "greet", "user": "hi"}, {"action": "utter_greet"}]}
    ]
    # The latest session alone has nothing before `cut`.
    assert conversation_story_yaml(events, "u", until=cut) == HEADER_ONLY


# --- Round trip: the exported story, read back, gives the conversation's steps ----------


def expected_steps(events: list[Event]) -> list[Step]:
    """What a story step reader should find for each written event (texts without markup,
    entities with offsets)."""
    steps: list[Step] = []
    for event in events:
        if isinstance(event, UserUttered):
            intent = event.full_retrieval_intent_name or event.intent_name
            base, _, key = (intent or "").partition("/")
            entities = tuple(
                StoryEntity(
                    e["entity"], e["value"], e.get("role"), e.get("group"), e["start"], e["end"]
                )
                for e in sorted(event.entities or [], key=lambda e: e["start"])
            )
            steps.append(UserStep(base or None, (event.text or "").strip(), entities, key or None))
        elif isinstance(event, ActionExecuted):
            if event.action_name in ("action_listen", "action_session_start"):
                continue
            steps.append(
                ActionStep(event.action_name)
                if event.action_name
                else BotStep(event.action_text or "")
            )
        elif isinstance(event, SlotSet):
            steps.append(SlotWasSetStep((SlotValue(event.key, event.value),)))
        elif isinstance(event, ActiveLoop):
            steps.append(ActiveLoopStep(event.name))
    return steps


def without_location(step: Step) -> Step:
    if isinstance(step, SlotWasSetStep):
        slots = tuple(dataclasses.replace(s, line=None) for s in step.slots)
        return SlotWasSetStep(slots)
    return dataclasses.replace(step, file=None, line=None)  # type: ignore[arg-type]


def read_back(text: str, tmp_path: Path) -> list[tuple[str, list[Step]]]:
    path = tmp_path / "test_exported.yml"  # a test stories file, as Rasa names them
    path.write_text(text, encoding="utf-8")
    data = read_story_file(path)
    return [(s.name, [without_location(step) for step in s.steps]) for s in data.stories]


def test_engine_conversation_round_trips(tmp_path: Path) -> None:
    conversation = json.loads((DATA / "restaurantbot_conversation.json").read_text())
    events = events_from_dicts(conversation["events"])
    text = conversation_story_yaml(events, "diner", all_sessions=True)
    sessions = [i for i, e in enumerate(events) if isinstance(e, SessionStarted)]
    assert len(sessions) == 2  # the /restart started a second session
    first, second = events[: sessions[1] - 1], events[sessions[1] - 1 :]
    assert read_back(text, tmp_path) == [
        ("diner, story 1", expected_steps(first)),
        ("diner, story 2", expected_steps(second)),
    ]
    latest = read_back(conversation_story_yaml(events, "diner"), tmp_path)
    assert latest == [("diner", expected_steps(second))]


def _user(
    text: str | None, intent: str | None, entities: list[dict[str, Any]] = ()
) -> dict[str, Any]:  # type: ignore[assignment]
    intent_data: dict[str, Any] = {}
    if intent:
        base, _, key = intent.partition("/")
        intent_data = {"name": base, "confidence": 1.0}
        if key:
            intent_data["full_retrieval_intent_name"] = intent
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {"intent": intent_data, "entities": list(entities), "text": text},
    }


def test_hand_built_conversation_round_trips(tmp_path: Path) -> None:
    listen = {"event": "action", "timestamp": 1.0, "name": "action_listen"}
    raw = [
        {"event": "action", "timestamp": 1.0, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1.0},
        listen,
        _user(
            "fly from LA to New York: 'now' #1",
            "book_flight",
            [
                {"entity": "city", "start": 9, "end": 11, "value": "Los Angeles", "role": "from"},
                {
                    "entity": "city",
                    "start": 15,
                    "end": 23,
                    "value": "New York",
                    "role": "to",
                    "group": "g1",
                },
            ],
        ),
        {"event": "action", "timestamp": 1.0, "name": "flight_form"},
        {"event": "active_loop", "timestamp": 1.0, "name": "flight_form"},
        {"event": "slot", "timestamp": 1.0, "name": "requested_slot", "value": "date"},
        listen,
        _user("  tomorrow\nat 19:00  ", "inform"),
        {"event": "slot", "timestamp": 1.0, "name": "time", "value": "19:00"},
        {"event": "slot", "timestamp": 1.0, "name": "seats", "value": 2.5},
        {"event": "slot", "timestamp": 1.0, "name": "tags", "value": ["a", "yes", None, 3]},
        {
            "event": "slot",
            "timestamp": 1.0,
            "name": "prefs",
            "value": {"meal": "veg", "n": [1, {}]},
        },
        {"event": "slot", "timestamp": 1.0, "name": "ok", "value": True},
        {"event": "slot", "timestamp": 1.0, "name": "city", "value": "Zürich"},
        {"event": "slot", "timestamp": 1.0, "name": "empty", "value": None},
        {"event": "slot", "timestamp": 1.0, "name": "word", "value": "null"},
        {"event": "active_loop", "timestamp": 1.0, "name": None},
        {
            "event": "action",
            "timestamp": 1.0,
            "name": None,
            "action_text": 'Booked: "LA" -> NY\nbye',
        },
        listen,
        _user("what is your name?", "faq/ask_name"),
        {"event": "action", "timestamp": 1.0, "name": "utter_faq"},
        listen,
        _user("just text, no intent", None),
        {"event": "action", "timestamp": 1.0, "name": "utter_ok"},
    ]
    events = events_from_dicts(raw)
    text = conversation_story_yaml(events, "hand built")
    assert read_back(text, tmp_path) == [("hand built", expected_steps(events))]
