"""`action_extract_slots`: the slot mapping rules of RASA-REFERENCE.md sections 7 and 10."""

from __future__ import annotations

from typing import Any

from core_helpers import context_for, event_names, tracker_with, user

from stratus.core.actions import ActionExtractSlots
from stratus.shared.domain import domain_from_yaml
from stratus.shared.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)

DOMAIN = domain_from_yaml(
    """
version: "3.1"
intents: [inform, book, chitchat, deny, affirm, greet]
entities:
  - city: {roles: [from, to]}
  - size
  - topping
slots:
  departure:
    type: text
    mappings:
    - {type: from_entity, entity: city, role: from}
    - {type: from_entity, entity: city}
  destination:
    type: text
    mappings:
    - {type: from_entity, entity: city, role: to}
    - {type: from_entity, entity: city}
  plain_city:
    type: text
    mappings:
    - {type: from_entity, entity: city}
  size:
    type: text
    mappings:
    - {type: from_entity, entity: size, not_intent: chitchat}
  toppings:
    type: list
    mappings:
    - {type: from_entity, entity: topping}
  confirmed:
    type: bool
    mappings:
    - type: from_intent
      intent: affirm
      value: true
      conditions: [{active_loop: pizza_form, requested_slot: confirmed}]
    - type: from_intent
      intent: deny
      value: false
      conditions: [{active_loop: pizza_form, requested_slot: confirmed}]
  outside_forms:
    type: text
    mappings:
    - type: from_text
      intent: greet
      conditions: [{active_loop: null}]
  note:
    type: text
    mappings:
    - type: from_text
      conditions: [{active_loop: pizza_form, requested_slot: note}]
  booked_via:
    type: text
    mappings:
    - type: from_trigger_intent
      intent: book
      value: booking
      conditions: [{active_loop: trip_form}]
  unknown_entity:
    type: text
    mappings:
    - {type: from_entity, entity: not_in_domain}
forms:
  trip_form:
    required_slots: [departure, destination]
  pizza_form:
    ignored_intents: [chitchat]
    required_slots: [size, toppings, confirmed, note]
"""
)


def extract(*events: Event, handlers: dict[str, Any] | None = None) -> list[str]:
    tracker = tracker_with(DOMAIN, *events)
    return event_names(ActionExtractSlots().run(tracker, context_for(DOMAIN, handlers)))


def city(value: str, role: str | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {"entity": "city", "value": value}
    if role:
        entity["role"] = role
    return entity


def test_role_must_equal_none_included() -> None:
    # A role-less mapping ignores an entity that has a role (10.5).
    assert extract(user("inform", [city("Paris", "from")])) == ["slot:departure='Paris'"]
    assert extract(user("inform", [city("Rome", "to")])) == ["slot:destination='Rome'"]
    assert extract(user("inform", [city("Oslo")])) == [
        "slot:departure='Oslo'",
        "slot:destination='Oslo'",
        "slot:plain_city='Oslo'",
    ]


def test_group_must_equal() -> None:
    grouped = {"entity": "size", "value": "large", "group": "1"}
    assert extract(user("inform", [grouped])) == []


def test_not_intent_and_list_slots() -> None:
    assert extract(user("chitchat", [{"entity": "size", "value": "s"}])) == []
    toppings = [{"entity": "topping", "value": v} for v in ("ham", "olives")]
    assert extract(user("inform", toppings)) == ["slot:toppings=['ham', 'olives']"]


def test_non_list_slot_takes_the_last_value() -> None:
    sizes = [{"entity": "size", "value": v} for v in ("small", "large")]
    assert extract(user("inform", sizes)) == ["slot:size='large'"]


def test_form_ignored_intents_block_mappings_while_it_runs() -> None:
    message = user("chitchat", [{"entity": "topping", "value": "ham"}])
    assert extract(message) == ["slot:toppings=['ham']"]
    assert extract(ActiveLoop("pizza_form"), SlotSet("requested_slot", "size"), message) == []


def test_conditions_on_active_loop_and_requested_slot() -> None:
    running = [ActiveLoop("pizza_form"), SlotSet("requested_slot", "confirmed")]
    assert extract(*running, user("affirm")) == ["slot:confirmed=True"]
    assert extract(*running, user("deny")) == ["slot:confirmed=False"]
    # another slot requested: the condition fails
    assert extract(ActiveLoop("pizza_form"), SlotSet("requested_slot", "size"), user("deny")) == []
    # no form: the mapping is off
    assert extract(user("affirm")) == []


def test_active_loop_null_condition_applies_only_without_a_form() -> None:
    assert extract(user("greet", text="hello")) == ["slot:outside_forms='hello'"]
    assert extract(ActiveLoop("pizza_form"), user("greet", text="hello")) == []


def test_rejected_form_keeps_its_requested_slot_mappings_off() -> None:
    # 10.3: after the form was rejected for `confirmed`, "no" does not fill it.
    events = [
        ActiveLoop("pizza_form"),
        SlotSet("requested_slot", "confirmed"),
        ActionExecuted("action_listen"),
        user("chitchat"),
        ActionExecutionRejected("pizza_form"),
        ActionExecuted("utter_ask_continue"),
        ActionExecuted("action_listen"),
        user("deny"),
    ]
    assert extract(*events) == []


def test_unique_entity_rule_while_a_form_runs() -> None:
    running = [ActiveLoop("trip_form"), SlotSet("requested_slot", "departure")]
    # `city` without role is mapped by both required slots: only the requested one fills.
    assert extract(*running, user("inform", [city("Oslo")])) == [
        "slot:departure='Oslo'",
        "slot:plain_city='Oslo'",
    ]
    # a role makes the mapping unique: fills the slot that is not requested
    assert extract(*running, user("inform", [city("Rome", "to")])) == ["slot:destination='Rome'"]


def test_from_trigger_intent_fills_only_while_its_form_runs() -> None:
    assert extract(user("book")) == []
    assert extract(ActiveLoop("pizza_form"), user("book")) == []
    assert extract(ActiveLoop("trip_form"), user("book")) == ["slot:booked_via='booking'"]


def test_unknown_entity_mapping_is_skipped() -> None:
    assert extract(user("inform", [{"entity": "not_in_domain", "value": "x"}])) == []


def test_from_text_stores_the_raw_text() -> None:
    running = [ActiveLoop("pizza_form"), SlotSet("requested_slot", "note")]
    assert extract(
        *running, UserUttered(text="no onions", parse_data={"intent": {"name": "inform"}})
    ) == ["slot:note='no onions'"]


CUSTOM = domain_from_yaml(
    """
version: "3.1"
intents: [inform]
entities: [amount]
slots:
  amount:
    type: float
    mappings: [{type: from_entity, entity: amount}]
  computed:
    type: text
    mappings: [{type: custom, action: action_compute}]
  also_computed:
    type: text
    mappings: [{type: custom, action: action_compute}]
actions: [action_compute, action_validate_slot_mappings]
"""
)


def test_custom_mapping_runs_its_action_once_and_validation_corrects() -> None:
    calls: list[str] = []

    def compute(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event["next_action"])
        return {
            "events": [
                {"event": "slot", "name": "computed", "value": "yes"},
                {"event": "restart"},  # not allowed in slot extraction: dropped
            ],
            "responses": [],
        }

    def validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event["next_action"])
        assert event["tracker"]["slots"]["amount"] == "-3"
        return {"events": [{"event": "slot", "name": "amount", "value": None}], "responses": []}

    tracker = tracker_with(CUSTOM, user("inform", [{"entity": "amount", "value": "-3"}]))
    handlers = {"action_compute": compute, "action_validate_slot_mappings": validate}
    events = ActionExtractSlots().run(tracker, context_for(CUSTOM, handlers))
    assert calls == ["action_compute", "action_validate_slot_mappings"]
    assert event_names(events) == ["slot:amount=None", "slot:computed='yes'"]


def test_failing_custom_mapping_action_fills_nothing() -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("database down")

    tracker = tracker_with(CUSTOM, user("inform"))
    handlers = {"action_compute": broken, "action_validate_slot_mappings": lambda e, c: {}}
    assert ActionExtractSlots().run(tracker, context_for(CUSTOM, handlers)) == []
