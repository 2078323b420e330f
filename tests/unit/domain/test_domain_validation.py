"""Invalid domains: every problem is named with file, line and field, and nothing crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.domain import domain_from_dict, domain_from_yaml, load_domain
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem


def problems_of(text: str, file: str = "domain.yml") -> list[Problem]:
    with pytest.raises(ProjectError) as raised:
        domain_from_yaml(text, file)
    return raised.value.problems


def lines(text: str) -> list[str]:
    return [str(p) for p in problems_of(text)]


def test_misspelt_slot_type_names_file_line_field_and_fix() -> None:
    text = "intents: [greet]\nslots:\n  cuisine:\n    type: txt\n    mappings: []\n"
    assert lines(text) == [
        "domain.yml:4: error: slots.cuisine.type: unknown slot type 'txt'. Did you mean "
        "'text'? Known types: text, bool, categorical, float, list, any, or a custom slot "
        "class as `module.ClassName`."
    ]


def test_all_problems_of_a_file_are_reported_together() -> None:
    text = """
intents: greet
slots:
  a:
    type: float
    min_value: 3
    max_value: 1
    mappings: []
  b:
    type: text
  c:
    type: any
    influence_conversation: true
    mappings: []
responses:
  utter_x:
    - text: hi
      buttons: [{title: 1}]
"""
    found = {(p.line, p.field) for p in problems_of(text)}
    assert found == {
        (2, "intents"),
        (6, "slots.a.min_value"),
        (9, "slots.b.mappings"),
        (13, "slots.c.influence_conversation"),
        (18, "responses.utter_x[0].buttons[0].title"),
    }


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (
            "slots:\n  s:\n    type: text\n    mapings: []\n",
            4,
            "slots.s.mapings",
            "Did you mean 'mappings'?",
        ),
        (
            "slots:\n  s:\n    type: text\n    mappings:\n    - type: from_entty\n",
            5,
            "slots.s.mappings[0].type",
            "Did you mean 'from_entity'",
        ),
        (
            "slots:\n  s:\n    type: text\n    mappings:\n    - {type: from_entity, entiy: x}\n",
            5,
            "slots.s.mappings[0].entiy",
            "Did you mean 'entity'?",
        ),
        (
            "slots:\n  s:\n    type: text\n    mappings:\n    - type: from_entity\n",
            5,
            "slots.s.mappings[0].entity",
            "needs `entity:",
        ),
        (
            "slots:\n  s:\n    type: text\n    mappings:\n    - {type: from_intent, intent: a}\n",
            5,
            "slots.s.mappings[0].value",
            "needs `value:`",
        ),
        (
            "slots:\n  s:\n    type: text\n    mappings:\n    - type: custom\n      conditions:\n"
            "      - {active_loop: f, requested: s}\n",
            7,
            "slots.s.mappings[0].conditions[0].requested",
            "Did you mean 'requested_slot'?",
        ),
        (
            "slots:\n  s:\n    type: text\n    values: [a]\n    mappings: []\n",
            4,
            "slots.s.values",
            "only applies to categorical slots",
        ),
        (
            "slots:\n  s:\n    type: unfeaturized\n    mappings: []\n",
            3,
            "slots.s.type",
            "removed in Rasa 3",
        ),
        (
            "slots:\n  s:\n    type: float\n    initial_value: high\n    mappings: []\n",
            4,
            "slots.s.initial_value",
            "must be a number",
        ),
        (
            "forms:\n  f:\n    required_slot: [a]\n",
            3,
            "forms.f.required_slot",
            "Did you mean 'required_slots'?",
        ),
        (
            "forms:\n  f:\n    required_slots:\n      a:\n      - type: from_text\n",
            3,
            "forms.f.required_slots",
            "list of slot names in Rasa 3",
        ),
        (
            "forms:\n  f:\n    ignored_intents: [a]\n",
            3,
            "forms.f.required_slots",
            "also needs `required_slots`",
        ),
        (
            "responses:\n  utter_a:\n  - txt: hi\n",
            3,
            "responses.utter_a[0].txt",
            "Did you mean 'text'?",
        ),
        (
            "responses:\n  utter_a:\n  - text: hi\n    condition:\n    - {type: slots, name: a}\n",
            5,
            "responses.utter_a[0].condition[0].type",
            "Did you mean 'slot'?",
        ),
        (
            "intents:\n- greet:\n    use_entites: [a]\n",
            3,
            "intents.greet.use_entites",
            "Did you mean 'use_entities'",
        ),
        ("intents:\n- greet:\n", 2, "intents[0].greet", "has no properties"),
        ("entities:\n- city:\n    rolez: [a]\n", 3, "entities.city.rolez", "Did you mean 'roles'?"),
        (
            "actions:\n- action_a: {send_domian: true}\n",
            2,
            "actions.action_a.send_domian",
            "Did you mean 'send_domain'?",
        ),
        ("actions:\n- action_a:\n", 2, "actions.action_a", "has no settings"),
        (
            "session_config:\n  carry_over_slots: false\n",
            2,
            "session_config.carry_over_slots",
            "Did you mean 'carry_over_slots_to_new_session'?",
        ),
        (
            "session_config:\n  session_expiration_time: -1\n",
            2,
            "session_config.session_expiration_time",
            "0 (never expire) or more",
        ),
        (
            "config:\n  store_entities_as_slot: true\n",
            2,
            "config.store_entities_as_slot",
            "Did you mean 'store_entities_as_slots'?",
        ),
        ("version: 3.1\n", 1, "version", "must be text in quotes"),
        ("- intents\n", 1, None, "must be a mapping"),
    ],
)
def test_located_error(text: str, line: int, field: str | None, words: str) -> None:
    found = problems_of(text)
    assert any(p.line == line and p.field == field and words in p.message for p in found), found


def test_response_shapes_rasa_rejects(test_domains: Path) -> None:
    for name, line in (
        ("wrong_response_format.yml", 17),  # `- hey there!`: a string, not a mapping
        ("missing_text_for_templates.yml", 8),
        ("empty_response_format.yml", 16),  # `utter_greet:` with nothing under it
        ("wrong_custom_response_format.yml", 17),  # `- super: cool`: no content key
    ):
        with pytest.raises(ProjectError) as raised:
            load_domain(test_domains / name)
        located = [p for p in raised.value.problems if p.field and p.field.startswith("responses")]
        assert located, name
        assert located[0].line == line, name
        assert located[0].file is not None and located[0].file.endswith(name)


def test_invalid_yaml_names_the_line(test_domains: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        load_domain(test_domains / "invalid_format.yml")
    (problem,) = raised.value.problems
    assert problem.line == 15 and "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_an_error(test_domains: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        load_domain(test_domains / "duplicate_responses.yml")
    assert "duplicate key 'utter_greet'" in str(raised.value)


def test_slot_without_mappings_is_an_error_as_in_rasa_3(test_domains: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        load_domain(test_domains / "form.yml")
    assert [(p.line, p.field) for p in raised.value.problems] == [
        (12, "slots.cuisine.mappings"),
        (14, "slots.location.mappings"),
    ]


def test_duplicates_within_a_file_are_warnings(test_domains: Path) -> None:
    intents = load_domain(test_domains / "duplicate_intents.yml")
    assert [(w.line, w.field) for w in intents.warnings] == [
        (5, "intents.default"),
        (6, "intents.goodbye"),
    ]
    assert all(not w.is_error for w in intents.warnings)
    assert intents.intent_names.count("default") == 1

    entities = load_domain(test_domains / "duplicate_entities.yml")
    assert [e.name for e in entities.entities] == ["name", "cuisine", "location"]
    assert entities.warnings[0].line == 20

    actions = load_domain(test_domains / "duplicate_actions.yml")
    assert [a.name for a in actions.actions] == ["utter_default", "utter_greet", "utter_goodbye"]
    assert actions.warnings[0].line == 35


def test_unknown_top_level_key_is_a_warning_with_suggestion() -> None:
    domain = domain_from_yaml("intent:\n- greet\n", "d.yml")
    (note,) = domain.warnings
    assert str(note) == (
        "d.yml:1: warning: intent: unknown key 'intent' is ignored. Did you mean 'intents'? "
        "Domain keys: intents, entities, slots, forms, responses, actions, e2e_actions, "
        "session_config, version, config."
    )


def test_legacy_triggers_is_a_warning(test_domains: Path) -> None:
    domain = load_domain(test_domains / "default_with_mapping.yml")
    assert [(w.line, w.field) for w in domain.warnings] == [
        (3, "intents.greet.triggers"),
        (5, "intents.default.triggers"),
    ]


def test_ambiguous_entities_and_float_range_warn() -> None:
    domain = domain_from_yaml(
        "entities: [a]\nintents:\n- x: {use_entities: [a], ignore_entities: [a]}\n"
        "slots:\n  f: {type: float, initial_value: 5, mappings: []}\n"
    )
    messages = [w.message for w in domain.warnings]
    assert any("both used and ignored" in m for m in messages)
    assert any("outside min_value" in m for m in messages)
    assert domain.used_entities("x") == ()  # ignoring wins


def test_dict_input_without_lines_still_names_fields() -> None:
    with pytest.raises(ProjectError) as raised:
        domain_from_dict({"slots": {"s": {"type": "txt", "mappings": []}}})
    (problem,) = raised.value.problems
    assert (problem.line, problem.field) == (None, "slots.s.type")


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not found"):
        load_domain(tmp_path / "nope.yml")


def test_non_utf8_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    path.write_bytes(b"intents:\n- caf\xe9\n")
    with pytest.raises(ProjectError) as raised:
        load_domain(path)
    assert raised.value.problems[0].line == 2
