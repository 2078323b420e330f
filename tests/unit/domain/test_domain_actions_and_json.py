"""The ordered action list, selective domain, and the GET /domain JSON with its round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.shared.domain import (
    DEFAULT_ACTIONS,
    Domain,
    Intent,
    domain_from_dict,
    domain_from_yaml,
    load_domain,
)

RASA_DEFAULT_ACTIONS = [
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "...",
    "action_extract_slots",
]


def test_action_order_is_rasas(test_domains: Path) -> None:
    # Rasa 3.6.21 gives exactly this list for valid_actions.yml.
    domain = load_domain(test_domains / "valid_actions.yml")
    assert list(domain.action_names) == [
        *RASA_DEFAULT_ACTIONS,
        "utter_default",
        "action_send_mail",
        "action_send_mail2",
        "action_send_mail3",
        "action_hello",
        "utter_goodbye",
        "utter_greet",
    ]
    assert list(DEFAULT_ACTIONS) == RASA_DEFAULT_ACTIONS


def test_forms_retrieval_actions_and_e2e_texts_come_last() -> None:
    domain = domain_from_yaml(
        """
intents: [faq, greet]
actions: [action_b, action_a, validate_f1]
responses:
  utter_z: [{text: z}]
  utter_faq/ask_a: [{text: a}]
  utter_a: [{text: a}]
forms:
  f1: {required_slots: []}
e2e_actions: [Hello there, abc]
"""
    )
    assert list(domain.action_names_or_texts[len(RASA_DEFAULT_ACTIONS) :]) == [
        "action_b",
        "action_a",
        "validate_f1",
        "utter_faq",
        "utter_a",
        "utter_faq/ask_a",
        "utter_z",
        "f1",
        "Hello there",
        "abc",
    ]
    assert domain.action_index("action_listen") == 0
    assert domain.action_index("abc") == len(domain.action_names_or_texts) - 1
    with pytest.raises(KeyError):
        domain.action_index("action_unknown")


def test_overriding_a_default_action_keeps_its_index() -> None:
    domain = domain_from_yaml("actions: [action_default_fallback, action_mine]\n")
    assert domain.action_names.index("action_default_fallback") == 3
    assert domain.action_names.count("action_default_fallback") == 1
    assert domain.action_names[-1] == "action_mine"


def test_selective_domain(test_domains: Path) -> None:
    domain = load_domain(test_domains / "valid_actions.yml")
    assert domain.sends_domain("utter_default")
    assert domain.sends_domain("action_send_mail2")
    assert not domain.sends_domain("action_send_mail")
    assert not domain.sends_domain("action_hello")
    validation = domain_from_yaml("actions: [validate_restaurant_form]\n")
    assert validation.sends_domain("validate_restaurant_form")


def test_as_dict_shape(examples: Path) -> None:
    domain = load_domain(examples / "formbot" / "domain.yml")
    data = domain.as_dict()
    assert list(data) == [
        "version",
        "intents",
        "entities",
        "slots",
        "responses",
        "actions",
        "forms",
        "e2e_actions",
        "session_config",
        "config",
    ]
    assert data["version"] == "3.1"
    assert data["intents"][:3] == [
        "affirm",
        "bot_challenge",
        {"chitchat": {"use_entities": []}},
    ]
    assert "nlu_fallback" not in data["intents"]  # default intents stay implicit
    assert data["slots"]["num_people"] == {
        "type": "float",
        "initial_value": None,
        "influence_conversation": False,
        "mappings": [
            {"type": "from_entity", "entity": "number", "intent": ["inform", "request_restaurant"]}
        ],
        "min_value": 0.0,
        "max_value": 1.0,
    }
    assert "requested_slot" not in data["slots"]
    assert "session_started_metadata" not in data["slots"]
    assert data["forms"]["restaurant_form"]["ignored_intents"] == ["chitchat"]
    assert data["actions"] == ["validate_restaurant_form"]
    assert data["session_config"] == {
        "session_expiration_time": 60,
        "carry_over_slots_to_new_session": True,
    }
    assert data["config"] == {"store_entities_as_slots": True}
    json.dumps(data)  # plain JSON


def test_as_dict_of_entities_actions_and_categorical(test_domains: Path) -> None:
    data = load_domain(test_domains / "travel_form.yml").as_dict()
    assert data["entities"] == [{"GPE": {"roles": ["destination", "origin"]}}, "name"]
    assert data["intents"] == [
        {"greet": {"ignore_entities": ["GPE"]}},
        {"inform": {"use_entities": ["GPE"]}},
    ]
    assert data["slots"]["requested_slot"]["mappings"] == [{"type": "custom"}]  # user's own
    actions = load_domain(test_domains / "valid_actions.yml").as_dict()["actions"]
    assert actions[:2] == [{"utter_default": {"send_domain": True}}, "action_send_mail"]
    categorical = load_domain(test_domains / "domain_with_categorical_slot.yml").as_dict()
    assert categorical["slots"]["category_slot"]["values"] == ["value_one", "value_two"]


@pytest.mark.parametrize(
    "name",
    [
        "conditional_response_variations.yml",
        "custom_slot_domain.yml",
        "default_unfeaturized_entities.yml",
        "mixed_retrieval_intents.yml",
        "restaurant_form.yml",
        "travel_form.yml",
        "valid_actions.yml",
        "test_domain_from_multiple_files",
    ],
)
def test_round_trip(test_domains: Path, name: str) -> None:
    domain = load_domain(test_domains / name)
    again = domain_from_dict(json.loads(json.dumps(domain.as_dict())))
    assert again == domain
    assert again.action_names_or_texts == domain.action_names_or_texts
    assert again.warnings == ()


def test_round_trip_keeps_non_default_properties() -> None:
    domain = domain_from_yaml(
        """
intents:
- restart: {use_entities: false}
entities:
- e: {influence_conversation: false, groups: [g]}
slots:
  session_started_metadata: {type: any, initial_value: {a: 1}, mappings: []}
  c: {type: categorical, values: [x], initial_value: x, mappings: [{type: custom, action: a}]}
config: {store_entities_as_slots: false}
e2e_actions: [hi]
"""
    ).with_retrieval_intents(["faq"])
    again = domain_from_dict(domain.as_dict())
    assert again == domain
    assert again.intent("restart") == Intent("restart", use_entities=())
    assert again.intent("faq") == Intent("faq", is_retrieval_intent=True)
    assert again.slot("session_started_metadata").initial_value == {"a": 1}  # type: ignore[union-attr]


def test_fingerprint_is_stable_and_sensitive(test_domains: Path) -> None:
    domain = load_domain(test_domains / "default.yml")
    same = load_domain(test_domains / "default.yml")
    assert domain.fingerprint() == same.fingerprint()
    changed = domain.with_action_texts(["new bot text"])
    assert changed.fingerprint() != domain.fingerprint()
    assert domain.to_json() == json.dumps(domain.as_dict(), sort_keys=True, ensure_ascii=False)


def test_empty_domain_has_only_rasas_additions() -> None:
    domain = Domain()
    assert domain.intent_names == (
        "back",
        "nlu_fallback",
        "out_of_scope",
        "restart",
        "session_start",
    )
    assert domain.slot_names == ("session_started_metadata",)
    assert list(domain.action_names) == RASA_DEFAULT_ACTIONS
    assert domain_from_dict(domain.as_dict()) == domain
