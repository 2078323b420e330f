"""Forms end to end through the processor: formbot's domain, its validation action as an
in-process handler, and a scripted stand-in for RulePolicy."""

from __future__ import annotations

from typing import Any

import pytest
from core_helpers import ScriptedPredictor, event_names, make_processor, tracker_with, user

from stratus.core.actions.forms import FormAction
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain, domain_from_yaml
from stratus.shared.events import LoopInterrupted
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

CUISINES = {"italian", "mexican", "chinese"}


def slots_to_validate(event: dict[str, Any], form: str) -> dict[str, Any]:
    """As rasa_sdk: the slots set after the form's latest run."""
    events = event["tracker"]["events"]
    last = max(i for i, e in enumerate(events) if e["event"] == "action" and e["name"] == form)
    return {e["name"]: e["value"] for e in events[last + 1 :] if e["event"] == "slot"}


def validate_restaurant_form(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """formbot's validation action, written after its domain."""
    assert "domain" in event and event["next_action"] == "validate_restaurant_form"
    out: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    for name, value in slots_to_validate(event, "restaurant_form").items():
        if name == "cuisine" and str(value).lower() not in CUISINES:
            responses.append({"response": "utter_wrong_cuisine"})
            out.append({"event": "slot", "name": "cuisine", "value": None})
        elif name == "num_people":
            try:
                ok = int(value) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                responses.append({"response": "utter_wrong_num_people"})
                out.append({"event": "slot", "name": "num_people", "value": None})
    return {"events": out, "responses": responses}


def formbot_rules(tracker: DialogueStateTracker, rejected: str | None) -> Any:
    """The part of RulePolicy the formbot conversations need."""
    last = tracker.latest_action_name
    intent = tracker.latest_message.intent_name
    loop = tracker.active_loop_name
    interrupted = [LoopInterrupted(is_interrupted=True)]
    if last == "action_listen":
        if loop and not tracker.is_active_loop_rejected:
            return loop
        if loop and intent == "chitchat":
            return "utter_chitchat", ActionPrediction("RulePolicy", 1.0, events=interrupted)
        if loop and intent == "stop":
            return "utter_ask_continue", ActionPrediction("RulePolicy", 1.0, events=interrupted)
        if loop and intent == "deny":
            return "action_deactivate_loop"
        if intent == "request_restaurant":
            return "restaurant_form"
        return "action_listen"
    if last == "restaurant_form" and loop is None:
        return "utter_submit"
    if last == "utter_submit":
        return "utter_slots_values"
    if last == "utter_chitchat" and loop:
        return loop
    return "action_listen"


@pytest.fixture
def formbot(formbot_domain: Domain, store: SQLiteTrackerStore) -> MessageProcessor:
    return make_processor(
        formbot_domain,
        ScriptedPredictor(formbot_rules),
        store,
        {"validate_restaurant_form": validate_restaurant_form},
    )


def say(processor: MessageProcessor, text: str) -> list[str]:
    result = processor.handle_message(UserMessage(text, sender_id="diner"))
    return [m.get("text", "") for m in result.messages]


def test_happy_path_fills_every_slot_and_submits(formbot: MessageProcessor) -> None:
    assert say(formbot, "/request_restaurant") == ["What cuisine?"]
    assert say(formbot, '/inform{"cuisine": "italian"}') == ["How many people?"]
    assert say(formbot, '/inform{"number": "2"}') == ["Do you want to sit outside?"]
    assert say(formbot, "/affirm") == ["Please provide additional preferences"]
    assert say(formbot, "/deny") == ["Please give your feedback on your experience so far"]
    assert say(formbot, "/inform") == [
        "All done!",
        "I am going to run a restaurant search using the following parameters:\n"
        " - cuisine: italian\n - num_people: 2\n - outdoor_seating: True\n"
        " - preferences: no additional preferences\n - feedback: /inform",
    ]
    tracker = formbot.tracker("diner")
    assert tracker.active_loop_name is None
    assert tracker.get_slot("requested_slot") is None
    assert tracker.get_slot("num_people") == "2"  # stored without type coercion


def test_validation_action_rejects_a_value_and_the_form_asks_again(
    formbot: MessageProcessor,
) -> None:
    say(formbot, "/request_restaurant")
    assert say(formbot, '/inform{"cuisine": "klingon"}') == [
        "Cuisine type is not in the database, please try again",
        "What cuisine?",
    ]
    assert formbot.tracker("diner").get_slot("cuisine") is None


def test_unhappy_path_rejection_then_return_to_the_form(formbot: MessageProcessor) -> None:
    say(formbot, "/request_restaurant")
    result = formbot.handle_message(UserMessage("/chitchat", sender_id="diner"))
    assert event_names(result.events) == [
        "user:chitchat",
        "rejected:restaurant_form",
        "loop_interrupted",
        "action:utter_chitchat",
        "bot:chitchat",
        "action:restaurant_form",
        "slot:requested_slot='cuisine'",
        "bot:What cuisine?",
        "action:action_listen",
    ]
    predictor = formbot.loop.predictor
    assert isinstance(predictor, ScriptedPredictor)
    assert ("action_listen", "restaurant_form") in predictor.calls
    # back on the happy path
    assert say(formbot, '/inform{"cuisine": "mexican"}') == ["How many people?"]


def test_stop_then_deny_deactivates_without_filling_the_requested_slot(
    formbot: MessageProcessor,
) -> None:
    say(formbot, "/request_restaurant")
    say(formbot, '/inform{"cuisine": "italian"}')
    say(formbot, '/inform{"number": "4"}')
    assert say(formbot, "/stop") == ["Do you want to continue?"]
    result = formbot.handle_message(UserMessage("/deny", sender_id="diner"))
    # 10.3: the rejection sticks for `outdoor_seating`, so "no" does not set it false
    assert "slot:outdoor_seating=False" not in event_names(result.events)
    assert event_names(result.events)[-3:] == [
        "loop:None",
        "slot:requested_slot=None",
        "action:action_listen",
    ]
    assert formbot.tracker("diner").get_slot("outdoor_seating") is None


def test_any_mapped_slot_is_overwritten_while_another_is_requested(
    formbot: MessageProcessor,
) -> None:
    say(formbot, "/request_restaurant")
    say(formbot, '/inform{"cuisine": "italian"}')
    # 10.1: a correction of an earlier answer while num_people is asked
    assert say(formbot, '/inform{"cuisine": "mexican"}') == ["How many people?"]
    assert formbot.tracker("diner").get_slot("cuisine") == "mexican"


def test_prefilled_slots_are_validated_at_activation(
    formbot_domain: Domain, store: SQLiteTrackerStore
) -> None:
    seen: list[dict[str, Any]] = []

    def validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(slots_to_validate(event, "restaurant_form"))
        return validate_restaurant_form(event, context)

    processor = make_processor(
        formbot_domain,
        ScriptedPredictor(formbot_rules),
        store,
        {"validate_restaurant_form": validate},
    )
    assert say(processor, '/request_restaurant{"cuisine": "italian", "number": "0"}') == [
        "Number of people should be a positive integer, please try again",
        "How many people?",
    ]
    assert seen[0] == {"cuisine": "italian", "num_people": "0"}


DYNAMIC = domain_from_yaml(
    """
version: "3.1"
intents: [order, inform]
entities: [size]
slots:
  size:
    type: text
    mappings: [{type: from_entity, entity: size}]
  gift_note:
    type: text
    mappings:
    - type: from_text
      conditions: [{active_loop: order_form, requested_slot: gift_note}]
forms:
  order_form: {required_slots: [size]}
responses:
  utter_ask_size: [{text: "Which size?"}]
  utter_ask_gift_note: [{text: "What should the gift note say?"}]
  utter_done: [{text: "Ordered {size} with note {gift_note}"}]
actions: [validate_order_form]
"""
)


def validate_order_form(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A dynamic form: a large order also needs a gift note (rasa_sdk's `required_slots`
    override answers with the next slot to request)."""
    slots = event["tracker"]["slots"]
    required = ["size", "gift_note"] if slots.get("size") == "large" else ["size"]
    missing = next((s for s in required if slots.get(s) is None), None)
    return {"events": [{"event": "slot", "name": "requested_slot", "value": missing}]}


def order_rules(tracker: DialogueStateTracker, rejected: str | None) -> str:
    last = tracker.latest_action_name
    if last == "action_listen":
        if tracker.active_loop_name:
            return tracker.active_loop_name
        return "order_form" if tracker.latest_message.intent_name == "order" else "action_listen"
    if last == "order_form" and tracker.active_loop_name is None:
        return "utter_done"
    return "action_listen"


def test_dynamic_form_asks_for_a_slot_the_validator_adds(store: SQLiteTrackerStore) -> None:
    processor = make_processor(
        DYNAMIC, ScriptedPredictor(order_rules), store, {"validate_order_form": validate_order_form}
    )
    assert say(processor, "/order") == ["Which size?"]
    assert say(processor, '/inform{"size": "large"}') == ["What should the gift note say?"]
    assert say(processor, "Happy birthday") == ["Ordered large with note Happy birthday"]


def test_dynamic_form_finishes_early_when_nothing_more_is_needed(store: SQLiteTrackerStore) -> None:
    processor = make_processor(
        DYNAMIC, ScriptedPredictor(order_rules), store, {"validate_order_form": validate_order_form}
    )
    say(processor, "/order")
    assert say(processor, '/inform{"size": "small"}') == ["Ordered small with note None"]


ASKS = """
version: "3.1"
slots:
  s: {type: text, mappings: []}
forms:
  f: {required_slots: [s]}
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "actions: [action_ask_f_s, action_ask_s]\nresponses: {utter_ask_f_s: [{text: a}]}",
            "action_ask_f_s",
        ),
        (
            "actions: [action_ask_s]\nresponses: {utter_ask_f_s: [{text: a}], utter_ask_s: [{text: b}]}",
            "utter_ask_f_s",
        ),
        ("actions: [action_ask_s]\nresponses: {utter_ask_s: [{text: b}]}", "action_ask_s"),
        ("responses: {utter_ask_s: [{text: b}]}", "utter_ask_s"),
        ("responses: {utter_other: [{text: c}]}", None),
    ],
)
def test_ask_action_lookup_order(extra: str, expected: str | None) -> None:
    domain = domain_from_yaml(ASKS + extra)
    assert FormAction("f").ask_action_name("s", domain) == expected


def test_custom_ask_action_runs_through_the_client(store: SQLiteTrackerStore) -> None:
    domain = domain_from_yaml(ASKS + "intents: [go]\nactions: [action_ask_s]\n")

    def ask(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert event["tracker"]["latest_action_name"] == "f"  # the form is running
        return {
            "events": [],
            "responses": [{"text": "tell me s", "buttons": [{"title": "x", "payload": "/go"}]}],
        }

    def rules(tracker: DialogueStateTracker, rejected: str | None) -> str:
        if (
            tracker.latest_action_name == "action_listen"
            and tracker.latest_message.intent_name == "go"
        ):
            return "f"
        return "action_listen"

    processor = make_processor(domain, ScriptedPredictor(rules), store, {"action_ask_s": ask})
    result = processor.handle_message(UserMessage("/go", sender_id="u"))
    assert result.messages == [
        {"recipient_id": "u", "text": "tell me s", "buttons": [{"title": "x", "payload": "/go"}]}
    ]


TRIGGER = domain_from_yaml(
    """
version: "3.1"
intents: [mood_great]
slots:
  test_trigger:
    type: text
    mappings:
    - type: from_trigger_intent
      value: testing123
      intent: mood_great
      conditions: [{active_loop: test_form}]
forms:
  test_form: {required_slots: [test_trigger]}
responses:
  utter_test_trigger: [{text: "The value of test_trigger slot is: {test_trigger}"}]
"""
)


def test_from_trigger_intent_fills_at_activation_and_the_form_completes(
    store: SQLiteTrackerStore,
) -> None:
    def rules(tracker: DialogueStateTracker, rejected: str | None) -> str:
        last = tracker.latest_action_name
        if last == "action_listen" and tracker.latest_message.intent_name == "mood_great":
            return "test_form"
        if last == "test_form" and tracker.active_loop_name is None:
            return "utter_test_trigger"
        return "action_listen"

    processor = make_processor(TRIGGER, ScriptedPredictor(rules), store)
    result = processor.handle_message(UserMessage("/mood_great", sender_id="u"))
    # 10.6: the slot is filled when the form activates; it completes in the same turn
    assert event_names(result.events)[-8:] == [
        "action:test_form",
        "loop:test_form",
        "slot:test_trigger='testing123'",
        "slot:requested_slot=None",
        "loop:None",
        "action:utter_test_trigger",
        "bot:The value of test_trigger slot is: testing123",
        "action:action_listen",
    ]
    assert [m["text"] for m in result.messages] == ["The value of test_trigger slot is: testing123"]


def test_form_without_validation_action_keeps_extracted_values_and_finishes() -> None:
    domain = domain_from_yaml(
        """
version: "3.1"
intents: [inform]
entities: [color]
slots:
  color: {type: text, mappings: [{type: from_entity, entity: color}]}
forms:
  paint_form: {required_slots: [color]}
responses:
  utter_ask_color: [{text: "Which color?"}]
"""
    )
    from core_helpers import context_for

    from stratus.shared.events import ActionExecuted, ActiveLoop, SlotSet

    tracker = tracker_with(
        domain,
        ActionExecuted("paint_form"),
        ActiveLoop("paint_form"),
        SlotSet("requested_slot", "color"),
        ActionExecuted("action_listen"),
        user("inform", [{"entity": "color", "value": "red"}]),
        SlotSet("color", "red"),
    )
    events = FormAction("paint_form").run(tracker, context_for(domain))
    # the extracted value is already set: the form adds no duplicate slot event
    assert event_names(events) == ["slot:requested_slot=None", "loop:None"]
