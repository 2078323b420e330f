"""Loading valid domains: the values Rasa 3.6 gives them, checked field by field."""

from __future__ import annotations

from pathlib import Path

from stratus.shared.domain import (
    DEFAULT_INTENTS,
    Domain,
    MappingCondition,
    ResponseCondition,
    SlotMapping,
    domain_from_yaml,
    load_domain,
)


def test_categorical_slot_gets_other_and_lowercased_values(test_domains: Path) -> None:
    domain = load_domain(test_domains / "domain_with_categorical_slot.yml")
    slot = domain.slot("category_slot")
    assert slot is not None
    assert slot.type == "categorical"
    assert slot.values == ("value_one", "value_two", "__other__")
    assert slot.mappings == (SlotMapping("custom"),)

    mixed = domain_from_yaml(
        "slots:\n  c:\n    type: categorical\n    values: [Low, HIGH, true, 3]\n"
        "    mappings: [{type: custom}]\n"
    )
    assert mixed.slot("c").values == ("low", "high", "true", "3", "__other__")  # type: ignore[union-attr]


def test_slot_defaults_per_type() -> None:
    domain = domain_from_yaml(
        """
slots:
  f: {type: float, mappings: []}
  g: {type: float, min_value: -5, max_value: 10, initial_value: 2.5, mappings: []}
  a: {type: any, mappings: []}
  t: {type: text, mappings: []}
  b: {type: bool, initial_value: false, influence_conversation: false, mappings: []}
  l: {type: list, shared_for_coexistence: true, mappings: []}
"""
    )
    f, g, a, t, b, lst = (domain.slot(n) for n in "fgatbl")
    assert f is not None and (f.min_value, f.max_value, f.initial_value) == (0.0, 1.0, None)
    assert g is not None and (g.min_value, g.max_value, g.initial_value) == (-5, 10, 2.5)
    assert a is not None and a.influence_conversation is False  # `any` never featurizes
    assert t is not None and t.influence_conversation is True
    assert b is not None and (b.initial_value, b.influence_conversation) == (False, False)
    assert lst is not None and lst.shared_for_coexistence is True


def test_custom_slot_keeps_class_path_and_extra_options(test_domains: Path) -> None:
    slot = load_domain(test_domains / "custom_slot_domain.yml").slot("limit")
    assert slot is not None and slot.is_custom
    assert slot.type == "data.test_classes.custom_slots.LimitSlot"
    assert dict(slot.options) == {"limit": 1000}
    assert slot.mappings == (SlotMapping("from_entity", entity="limit"),)


def test_rasa_class_paths_name_builtin_slot_types() -> None:
    domain = domain_from_yaml(
        "slots:\n  s:\n    type: rasa.shared.core.slots.FloatSlot\n    mappings: []\n"
    )
    assert domain.slot("s").type == "float"  # type: ignore[union-attr]


def test_every_mapping_type_with_conditions(examples: Path) -> None:
    domain = load_domain(examples / "formbot" / "domain.yml")
    seating = domain.slot("outdoor_seating")
    assert seating is not None
    assert seating.mappings == (
        SlotMapping("from_entity", entity="seating"),
        SlotMapping(
            "from_intent",
            intent=("affirm",),
            value=True,
            conditions=(MappingCondition("restaurant_form", "outdoor_seating"),),
        ),
        SlotMapping(
            "from_intent",
            intent=("deny",),
            value=False,
            conditions=(MappingCondition("restaurant_form", "outdoor_seating"),),
        ),
    )
    preferences = domain.slot("preferences")
    assert preferences is not None
    assert preferences.mappings[1] == SlotMapping(
        "from_text",
        not_intent=("deny",),
        conditions=(MappingCondition("restaurant_form", "preferences"),),
    )
    people = domain.slot("num_people")
    assert people is not None
    assert people.mappings[0].intent == ("inform", "request_restaurant")

    more = domain_from_yaml(
        """
entities: [GPE]
slots:
  origin:
    type: text
    mappings:
    - {type: from_entity, entity: GPE, role: origin, group: g1, not_intent: chitchat}
    - {type: from_trigger_intent, intent: book, value: yes, conditions: [{active_loop: null}]}
    - {type: custom, action: action_fill_origin}
"""
    )
    origin = more.slot("origin")
    assert origin is not None
    entity, trigger, custom = origin.mappings
    assert (entity.role, entity.group, entity.not_intent) == ("origin", "g1", ("chitchat",))
    assert trigger == SlotMapping(
        "from_trigger_intent", intent=("book",), value="yes", conditions=(MappingCondition(None),)
    )
    assert custom.action == "action_fill_origin"


def test_forms_and_requested_slot(examples: Path) -> None:
    domain = load_domain(examples / "formbot" / "domain.yml")
    form = domain.form("restaurant_form")
    assert form is not None
    assert form.required_slots == (
        "cuisine",
        "num_people",
        "outdoor_seating",
        "preferences",
        "feedback",
    )
    assert form.ignored_intents == ("chitchat",)
    requested = domain.slot("requested_slot")
    assert requested is not None
    assert (requested.type, requested.influence_conversation) == ("text", False)
    assert domain.slot_names[-2:] == ("requested_slot", "session_started_metadata")


def test_no_requested_slot_without_forms_but_always_session_metadata(test_domains: Path) -> None:
    domain = load_domain(test_domains / "default.yml")
    assert domain.slot("requested_slot") is None
    metadata = domain.slot("session_started_metadata")
    assert metadata is not None
    assert (metadata.type, metadata.influence_conversation, metadata.mappings) == ("any", False, ())


def test_users_own_requested_slot_is_kept(test_domains: Path) -> None:
    domain = load_domain(test_domains / "travel_form.yml")
    requested = domain.slot("requested_slot")
    assert requested is not None and requested.mappings == (SlotMapping("custom"),)
    assert domain.slot_names.count("requested_slot") == 1


def test_knowledge_base_action_adds_its_slots(examples: Path) -> None:
    domain = load_domain(examples / "knowledgebasebot" / "domain.yml")
    assert domain.slot_names[-4:] == (
        "knowledge_base_listed_objects",
        "knowledge_base_last_object",
        "knowledge_base_last_object_type",
        "session_started_metadata",
    )


def test_form_with_null_or_empty_body() -> None:
    domain = domain_from_yaml("forms:\n  a:\n  b: {}\n  c:\n    required_slots: []\n")
    assert [(f.name, f.required_slots) for f in domain.forms] == [("a", ()), ("b", ()), ("c", ())]


def test_conditional_response_variations(test_domains: Path) -> None:
    domain = load_domain(test_domains / "conditional_response_variations.yml")
    withdraw = domain.response("utter_withdraw")
    assert withdraw is not None and len(withdraw.variations) == 3
    assert withdraw.variations[0].condition == (ResponseCondition("can_withdraw", False),)
    assert withdraw.variations[1].condition == (
        ResponseCondition("can_withdraw", True),
        ResponseCondition("account_type", "primary"),
    )
    balance = domain.response("utter_check_balance")
    assert balance is not None
    assert [v.channel for v in balance.variations] == ["os", "app"]


def test_response_parts() -> None:
    domain = domain_from_yaml(
        """
responses:
  utter_menu:
  - text: "Pick one"
    buttons:
    - {title: Pizza, payload: '/order{"dish": "pizza"}'}
    button_type: vertical
    id: menu_1
    metadata: {rephrase: true}
  - image: "https://example.com/a.png"
  - custom: {blocks: [1, 2]}
  - attachment: {type: video, payload: {src: x}}
  - quick_replies: [{title: Yes, payload: /affirm}]
  - elements: [{title: card}]
"""
    )
    response = domain.response("utter_menu")
    assert response is not None
    first, image, custom, attachment, quick, elements = response.variations
    assert first.text == "Pick one"
    assert first.buttons == ({"title": "Pizza", "payload": '/order{"dish": "pizza"}'},)
    assert (first.button_type, first.id, first.metadata) == (
        "vertical",
        "menu_1",
        {"rephrase": True},
    )
    assert image.image == "https://example.com/a.png" and image.text is None
    assert custom.custom == {"blocks": [1, 2]}
    assert attachment.attachment == {"type": "video", "payload": {"src": "x"}}
    assert quick.quick_replies == ({"title": "Yes", "payload": "/affirm"},)
    assert elements.elements == ({"title": "card"},)


def test_retrieval_intents_from_responses(test_domains: Path) -> None:
    domain = load_domain(test_domains / "response_selector_responses_in_domain.yml")
    assert domain.retrieval_intents == ("chitchat",)
    assert [r.name for r in domain.retrieval_responses("chitchat")] == [
        "utter_chitchat/ask_name",
        "utter_chitchat/ask_weather",
    ]
    assert domain.response("utter_chitchat/ask_name").retrieval_intent == "chitchat"  # type: ignore[union-attr]
    # Without such responses an intent is retrieval only once NLU data says so.
    plain = load_domain(test_domains / "default_retrieval_intents.yml")
    assert plain.retrieval_intents == ()
    marked = plain.with_retrieval_intents(["chitchat"])
    assert marked.retrieval_intents == ("chitchat",)
    assert "utter_chitchat" in marked.action_names


def test_used_entities_follow_rasa(test_domains: Path) -> None:
    domain = load_domain(test_domains / "default_unfeaturized_entities.yml")
    everything = ("name", "other", "unrelated_recognized_entity", "used_entity")
    assert domain.used_entities("greet") == ("name", "used_entity")
    assert domain.used_entities("default") == ("name", "other", "used_entity")
    assert domain.used_entities("goodbye") == ()  # use_entities: null
    assert domain.used_entities("thank") == ()  # use_entities: false
    assert domain.used_entities("why") == ()  # use_entities: []
    assert domain.used_entities("ask") == everything  # unused_entity has influence false
    assert domain.used_entities("pure_intent") == everything
    assert domain.used_entities("nlu_fallback") == everything
    assert domain.used_entities("unknown_intent") is None


def test_used_entities_with_roles_and_groups(test_domains: Path) -> None:
    domain = load_domain(test_domains / "travel_form.yml")
    gpe = domain.entity("GPE")
    assert gpe is not None and gpe.roles == ("destination", "origin")
    assert domain.used_entities("inform") == ("GPE", "GPE#destination", "GPE#origin")
    assert domain.used_entities("greet") == ("name",)


def test_default_intents_are_added_and_intents_sorted(test_domains: Path) -> None:
    domain = load_domain(test_domains / "default.yml")
    assert set(DEFAULT_INTENTS) <= set(domain.intent_names)
    assert list(domain.intent_names) == sorted(domain.intent_names)
    assert "greet" in domain.intent_names


def test_session_config_and_store_entities_as_slots() -> None:
    domain = domain_from_yaml(
        "session_config:\n  session_expiration_time: 0\n  carry_over_slots_to_new_session: false\n"
        "config:\n  store_entities_as_slots: false\n"
    )
    assert domain.session_config.session_expiration_time == 0
    assert domain.session_config.carry_over_slots_to_new_session is False
    assert domain.session_config.are_sessions_enabled is False
    assert domain.store_entities_as_slots is False
    default = domain_from_yaml("intents: [greet]\n")
    assert default.session_config.session_expiration_time == 60
    assert default.session_config.carry_over_slots_to_new_session is True
    assert default.store_entities_as_slots is True


def test_version_key_and_data_keys_are_accepted_quietly() -> None:
    domain = domain_from_yaml('version: "3.1"\nintents: [greet]\nnlu: []\nstories: []\n')
    assert domain.warnings == ()
    assert "greet" in domain.intent_names


def test_newer_format_version_is_skipped_with_a_warning() -> None:
    domain = domain_from_yaml('version: "4.0"\nintents: [greet]\n', "d.yml")
    assert "greet" not in domain.intent_names
    assert "newer than the 3.1 format" in str(domain.warnings[0])


def test_empty_file_is_an_empty_domain(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text("")
    domain = load_domain(tmp_path / "domain.yml")
    assert domain == Domain()
    assert domain.is_empty()


def test_every_example_bot_domain_loads(examples: Path) -> None:
    for bot in sorted(p for p in examples.iterdir() if (p / "domain.yml").is_file()):
        domain = load_domain(bot / "domain.yml")
        assert domain.intents and domain.action_names[0] == "action_listen", bot.name
        assert not [w for w in domain.warnings if w.is_error]
