"""Each consistency check of `stratus validate`, on small projects a user could write."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.project import ProjectPaths, load_project
from stratus.shared.validator import summarize, validate

DOMAIN = """\
version: "3.1"
intents: [greet, inform, affirm]
entities: [cuisine]
slots:
  cuisine:
    type: categorical
    values: [italian, thai]
    mappings:
      - type: from_entity
        entity: cuisine
forms:
  order_form:
    required_slots: [cuisine]
responses:
  utter_greet:
    - text: hi
  utter_ask_cuisine:
    - text: which cuisine?
actions: [action_order]
"""
NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
- intent: inform
  examples: |
    - [thai](cuisine) please
    - italian
- intent: affirm
  examples: |
    - yes
"""


def project(tmp_path: Path, stories: str = "", domain: str = DOMAIN, nlu: str = NLU):
    (tmp_path / "domain.yml").write_text(domain)
    (tmp_path / "config.yml").write_text("assistant_id: t\n")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "nlu.yml").write_text(nlu)
    if stories:
        (data / "stories.yml").write_text('version: "3.1"\n' + stories)
    return load_project(ProjectPaths.discover(tmp_path))


def messages(tmp_path: Path, **kw: str) -> list[str]:
    return [str(p) for p in validate(project(tmp_path, **kw))]


def test_clean_project_has_no_problems_and_counts(tmp_path: Path) -> None:
    p = project(
        tmp_path, "stories:\n- story: s\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
    )
    assert validate(p) == []
    s = summarize(p)
    assert (s.intents, s.entities, s.slots, s.forms, s.responses, s.stories, s.examples) == (
        3,
        1,
        1,
        1,
        2,
        1,
        5,
    )


def test_unknown_intent_action_and_response_in_story(tmp_path: Path) -> None:
    stories = (
        "stories:\n- story: s\n  steps:\n  - intent: greeet\n  - action: utter_greeet\n"
        "  - action: action_ordr\n"
    )
    out = messages(tmp_path, stories=stories)
    story_file = tmp_path / "data" / "stories.yml"
    assert any(
        f"{story_file}:5: error: intent: intent 'greeet'" in m and "'greet'" in m for m in out
    )
    assert any(
        f"{story_file}:6: error: action: response 'utter_greeet'" in m and "'utter_greet'" in m
        for m in out
    )
    assert any(
        f"{story_file}:7: error: action: action 'action_ordr'" in m and "'action_order'" in m
        for m in out
    )


def test_unknown_slot_form_and_entity_in_story(tmp_path: Path) -> None:
    stories = (
        "stories:\n- story: s\n  steps:\n  - intent: inform\n    entities:\n    - cusine: thai\n"
        "  - action: order_frm\n  - active_loop: order_frm\n  - slot_was_set:\n    - cusine: thai\n"
    )
    out = "\n".join(messages(tmp_path, stories=stories))
    assert "entity 'cusine' is used in story 's'" in out
    assert "active_loop 'order_frm'" in out and "Did you mean 'order_form'?" in out
    assert "slot 'cusine' is set in story 's'" in out


def test_categorical_value_outside_values_is_a_warning(tmp_path: Path) -> None:
    stories = (
        "stories:\n- story: s\n  steps:\n  - intent: inform\n  - slot_was_set:\n"
        "    - cuisine: french\n  - action: utter_greet\n"
    )
    out = messages(tmp_path, stories=stories)
    assert any("warning" in m and "'french'" in m for m in out)
    assert not any(": error:" in m for m in out)


def test_slot_mapping_to_unknown_entity_and_intent(tmp_path: Path) -> None:
    domain = DOMAIN.replace(
        "      - type: from_entity\n        entity: cuisine\n",
        "      - type: from_entity\n        entity: cuisin\n        intent: infrom\n",
    )
    out = "\n".join(messages(tmp_path, domain=domain))
    assert "slots.cuisine.mappings[0].entity: maps entity 'cuisin'" in out
    assert "slots.cuisine.mappings[0].intent: intent 'infrom' is not in the domain" in out


def test_form_slot_without_mapping_needs_a_validation_action(tmp_path: Path) -> None:
    domain = DOMAIN.replace(
        "    mappings:\n      - type: from_entity\n        entity: cuisine\n", "    mappings: []\n"
    )
    out = "\n".join(messages(tmp_path, domain=domain))
    assert "slots.cuisine.mappings: required slot 'cuisine' has no mapping" in out
    fixed = domain.replace(
        "actions: [action_order]", "actions: [action_order, validate_order_form]"
    )
    assert "has no mapping" not in "\n".join(messages(tmp_path, domain=fixed))


def test_same_example_under_two_intents_is_a_warning_naming_both(tmp_path: Path) -> None:
    nlu = NLU + "    - hi\n"
    out = messages(tmp_path, nlu=nlu)
    hit = [m for m in out if "listed under several intents" in m]
    assert len(hit) == 1 and "warning" in hit[0] and "'greet', 'affirm'" in hit[0]


def test_nlu_intent_missing_from_domain_warns_and_whitespace_is_an_error(tmp_path: Path) -> None:
    nlu = (
        NLU
        + "- intent: thank you\n  examples: |\n    - thanks\n- intent: bye\n  examples: |\n    - bye\n"
    )
    out = messages(tmp_path, nlu=nlu)
    assert any(": error:" in m and "'thank you' contains whitespace" in m for m in out)
    assert any(": warning:" in m and "intent 'bye' has NLU examples" in m for m in out)


def test_contradicting_rules_are_named_with_both_places(tmp_path: Path) -> None:
    rules = (
        "rules:\n- rule: a\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
        "- rule: b\n  steps:\n  - intent: greet\n  - action: action_order\n"
        "- rule: c\n  steps:\n  - intent: affirm\n  - action: action_order\n"
    )
    out = [m for m in messages(tmp_path, stories=rules) if "predicts" in m]
    assert len(out) == 1
    assert "rule 'b' predicts 'action_order' where rule 'a'" in out[0]
    story_file = tmp_path / "data" / "stories.yml"
    assert out[0].startswith(f"{story_file}:10: error:")
    assert f"({story_file}:6)" in out[0]


def test_rules_starting_with_an_action_do_not_predict_it(tmp_path: Path) -> None:
    rules = (
        "rules:\n- rule: a\n  steps:\n  - action: utter_greet\n  - intent: affirm\n"
        "  - action: action_order\n"
        "- rule: b\n  steps:\n  - action: utter_ask_cuisine\n  - intent: affirm\n"
        "  - action: utter_greet\n"
    )
    assert not [m for m in messages(tmp_path, stories=rules) if "predicts" in m]


def test_missing_domain_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(ProjectError, match="no domain found"):
        load_project(ProjectPaths.discover(tmp_path))
