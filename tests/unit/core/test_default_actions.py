"""Each default action's events (RASA-REFERENCE.md section 5)."""

from __future__ import annotations

from core_helpers import context_for, event_names, tracker_with, user

from stratus.core.actions import action_for_name
from stratus.core.actions.forms import FormAction
from stratus.core.actions.loops import TwoStageFallbackAction
from stratus.core.actions.remote import RemoteAction
from stratus.core.actions.responses import ActionBotResponse, ActionEndToEndResponse
from stratus.shared.domain import domain_from_yaml
from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)

DOMAIN_YAML = """
version: "3.1"
intents: [greet, affirm]
slots:
  name: {type: text, mappings: []}
forms:
  a_form: {required_slots: [name]}
responses:
  utter_restart: [{text: "restarted"}]
  utter_default: [{text: "sorry?"}]
  utter_back: [{text: "going back"}]
  utter_ask_rephrase: [{text: "please rephrase"}]
  utter_greet: [{text: "hi"}]
actions: [action_custom]
"""
DOMAIN = domain_from_yaml(DOMAIN_YAML)
BARE = domain_from_yaml('version: "3.1"\nintents: [greet]\n')


def run(name: str, *events, domain=DOMAIN):  # type: ignore[no-untyped-def]
    tracker = tracker_with(domain, *events)
    return action_for_name(name, domain).run(tracker, context_for(domain))


def test_action_listen_and_unlikely_intent_do_nothing() -> None:
    assert run("action_listen") == []
    assert run("action_unlikely_intent") == []


def test_restart_utters_if_defined_then_restarts() -> None:
    assert event_names(run("action_restart")) == ["bot:restarted", "restart"]
    assert event_names(run("action_restart", domain=BARE)) == ["restart"]
    assert isinstance(run("action_restart")[-1], Restarted)


def test_session_start_carries_slots_over() -> None:
    events = run("action_session_start", SlotSet("name", "Ada"), SlotSet("name", "Bob"))
    assert isinstance(events[0], SessionStarted)
    assert event_names(events) == [
        "session_started",
        "slot:name='Ada'",
        "slot:name='Bob'",
        "action:action_listen",
    ]


def test_session_start_without_carry_over() -> None:
    domain = domain_from_yaml(
        DOMAIN_YAML + "session_config: {carry_over_slots_to_new_session: false}\n"
    )
    events = run("action_session_start", SlotSet("name", "Ada"), domain=domain)
    assert event_names(events) == ["session_started", "action:action_listen"]


def test_default_fallback_utters_and_rewinds() -> None:
    events = run("action_default_fallback", user("greet"))
    assert event_names(events) == ["bot:sorry?", "rewind"]
    assert isinstance(events[-1], UserUtteranceReverted)
    assert event_names(run("action_default_fallback", domain=BARE)) == ["rewind"]


def test_deactivate_loop_resets_requested_slot() -> None:
    events = run("action_deactivate_loop", ActiveLoop("a_form"), SlotSet("requested_slot", "name"))
    assert event_names(events) == ["loop:None", "slot:requested_slot=None"]


def test_back_utters_and_rewinds_twice() -> None:
    assert event_names(run("action_back")) == ["bot:going back", "rewind", "rewind"]


def test_ask_affirmation_asks_about_the_runner_up_of_a_fallback() -> None:
    message = UserUttered(
        text="hmm",
        parse_data={
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.3},
                {"name": "greet", "confidence": 0.25},
            ],
        },
    )
    (event,) = run("action_default_ask_affirmation", message)
    assert isinstance(event, BotUttered)
    assert event.text == "Did you mean 'greet'?"
    assert event.data["buttons"] == [
        {"title": "Yes", "payload": "/greet"},
        {"title": "No", "payload": "/out_of_scope"},
    ]
    assert event.metadata == {"utter_action": "action_default_ask_affirmation"}


def test_ask_rephrase_utters_if_defined() -> None:
    assert event_names(run("action_default_ask_rephrase")) == ["bot:please rephrase"]
    assert run("action_default_ask_rephrase", domain=BARE) == []


def fallback_message(text: str = "blah") -> UserUttered:
    return UserUttered(
        text=text,
        parse_data={
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.3},
                {"name": "greet", "confidence": 0.2},
            ],
        },
    )


def test_two_stage_fallback_asks_to_affirm_first() -> None:
    events = run("action_two_stage_fallback", fallback_message())
    assert event_names(events) == ["loop:action_two_stage_fallback", "bot:Did you mean 'greet'?"]


def test_two_stage_fallback_asks_to_rephrase_after_a_denial() -> None:
    events = run(
        "action_two_stage_fallback",
        fallback_message(),
        ActionExecuted("action_two_stage_fallback"),
        ActiveLoop("action_two_stage_fallback"),
        ActionExecuted("action_listen"),
        user("out_of_scope"),
    )
    assert event_names(events) == ["bot:please rephrase"]


def test_two_stage_fallback_gives_up_after_two_fallbacks() -> None:
    events = run(
        "action_two_stage_fallback",
        fallback_message(),
        ActionExecuted("action_two_stage_fallback"),
        ActiveLoop("action_two_stage_fallback"),
        ActionExecuted("action_listen"),
        fallback_message("still blah"),
    )
    assert event_names(events) == ["loop:None", "bot:sorry?", "rewind"]


def test_two_stage_fallback_replays_the_clarified_message() -> None:
    events = run(
        "action_two_stage_fallback",
        fallback_message(),
        ActionExecuted("action_two_stage_fallback"),
        ActiveLoop("action_two_stage_fallback"),
        ActionExecuted("action_listen"),
        UserUttered(text="hello", parse_data={"intent": {"name": "greet", "confidence": 0.6}}),
    )
    assert event_names(events) == ["loop:None", "rewind", "action:action_listen", "user:greet"]
    assert isinstance(events[-1], UserUttered)
    assert events[-1].intent["confidence"] == 1.0


def test_revert_fallback_events_after_affirmation() -> None:
    events = run(
        "action_revert_fallback_events",
        user("greet", text="hi?"),
        ActionExecuted("action_default_ask_affirmation"),
        ActionExecuted("action_listen"),
        user("affirm"),
    )
    assert event_names(events) == ["rewind", "rewind", "action:action_listen", "user:affirm"]
    assert events[-1].intent["confidence"] == 1.0  # type: ignore[attr-defined]


def test_revert_fallback_events_does_nothing_otherwise() -> None:
    assert run("action_revert_fallback_events", user("greet")) == []


def test_action_lookup_by_name() -> None:
    domain = DOMAIN.with_action_texts(["Hello there!"])
    assert isinstance(action_for_name("utter_greet", domain), ActionBotResponse)
    assert isinstance(action_for_name("a_form", domain), FormAction)
    assert isinstance(action_for_name("action_custom", domain), RemoteAction)
    assert isinstance(action_for_name("action_two_stage_fallback", domain), TwoStageFallbackAction)
    assert isinstance(action_for_name("Hello there!", domain), ActionEndToEndResponse)
