"""Training-time checks of rules: contradictions, restrict_rules, incomplete rules,
unknown actions - with Rasa's wording plus the file and line of the step."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stratus.core.story_graph import generate_trackers
from stratus.shared.config import config_from_dict
from stratus.shared.exceptions import ConfigError, ProjectError
from stratus.shared.project import Project, ProjectPaths, load_project
from stratus_train.core.rules import InvalidRulesError, compile_rule_policy
from stratus_train.core.train import check_actions, train_core

DOMAIN = """
version: "3.1"
intents: [greet, goodbye, inform]
entities: [name]
slots:
  name:
    type: text
    mappings: [{type: from_entity, entity: name}]
responses:
  utter_greet: [{text: hi}]
  utter_other: [{text: other}]
  utter_goodbye: [{text: bye}]
"""


def project(tmp_path: Path, rules: str, stories: str = "") -> Project:
    (tmp_path / "domain.yml").write_text(DOMAIN)
    data = tmp_path / "data"
    data.mkdir()
    (data / "rules.yml").write_text('version: "3.1"\nrules:\n' + dedent(rules))
    if stories:
        (data / "stories.yml").write_text('version: "3.1"\nstories:\n' + dedent(stories))
    return load_project(ProjectPaths.discover(tmp_path))


def compile_project(p: Project, **options: object) -> dict:
    domain = p.training_domain()
    trackers = generate_trackers(p.data.stories, p.data.rules, domain)
    return compile_rule_policy(trackers, domain, dict(options))


GREET_RULE = """
- rule: greet back
  steps:
  - intent: greet
  - action: utter_greet
"""


def test_a_story_contradicting_a_rule_is_named_with_its_step(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        GREET_RULE,
        """
    - story: odd greeting
      steps:
      - intent: greet
      - action: utter_other
    """,
    )
    with pytest.raises(InvalidRulesError) as raised:
        compile_project(p)
    text = str(raised.value)
    assert "Contradicting rules or stories found" in text
    assert (
        "- the prediction of the action 'utter_other' in story 'odd greeting' is "
        "contradicting with rule(s) 'greet back' which predicted action 'utter_greet'."
    ) in text
    assert f"{tmp_path / 'data' / 'stories.yml'}:7" in text
    [problem] = raised.value.problems
    assert problem.line == 7 and problem.field == "odd greeting"


def test_two_rules_for_one_situation_contradict_each_other(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        GREET_RULE
        + """
- rule: greet differently
  steps:
  - intent: greet
  - action: utter_other
""",
    )
    with pytest.raises(InvalidRulesError) as raised:
        compile_project(p)
    text = str(raised.value)
    assert (
        "- the prediction of the action 'utter_greet' in rule 'greet back' is contradicting "
        "with rule(s) 'greet differently'."
    ) in text
    assert "in rule 'greet differently' is contradicting with rule(s) 'greet back'" in text


def test_contradictions_are_not_checked_when_disabled(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        GREET_RULE,
        """
    - story: odd greeting
      steps:
      - intent: greet
      - action: utter_other
    """,
    )
    compiled = compile_project(p, check_for_contradictions=False)
    assert "rules_not_in_stories" not in compiled["lookup"]


def test_a_story_agreeing_with_a_rule_keeps_the_rule_turn_visible(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        GREET_RULE
        + """
- rule: say bye
  steps:
  - intent: goodbye
  - action: utter_goodbye
""",
        """
    - story: greeting
      steps:
      - intent: greet
      - action: utter_greet
    """,
    )
    lookup = compile_project(p)["lookup"]
    hidden = lookup["rules_not_in_stories"]
    rule_keys = {key for key, act in lookup["rules"].items() if act == "utter_greet"}
    assert rule_keys and not rule_keys & set(hidden)  # used in a story: not hidden
    bye = {key for key, act in lookup["rules"].items() if act == "utter_goodbye"}
    assert bye and bye <= set(hidden)


def test_restrict_rules_refuses_two_user_messages(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        """
- rule: a dialogue
  steps:
  - intent: greet
  - action: utter_greet
  - intent: goodbye
  - action: utter_goodbye
""",
    )
    with pytest.raises(InvalidRulesError, match="Found rules 'a dialogue' that contain more"):
        compile_project(p)
    compile_project(p, restrict_rules=False)


def test_incomplete_rules_are_reported(tmp_path: Path) -> None:
    (tmp_path / "actions").mkdir()
    p = project(
        tmp_path,
        """
- rule: greet sets the name
  steps:
  - intent: greet
  - action: utter_greet
  - slot_was_set:
    - name: Ann
  - action: utter_other
- rule: greet without the name
  steps:
  - intent: inform
  - action: utter_greet
  - action: utter_other
""",
    )
    with pytest.raises(InvalidRulesError) as raised:
        compile_project(p)
    assert "Incomplete rules found" in str(raised.value)
    assert "the action 'utter_greet' in rule 'greet without the name' does not set" in str(
        raised.value
    )


def test_unknown_actions_in_stories_name_file_story_and_line(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        GREET_RULE,
        """
    - story: typo
      steps:
      - intent: greet
      - action: utter_greeet
    """,
    )
    with pytest.raises(ProjectError) as raised:
        check_actions(p.training_domain(), p.data.stories, p.data.rules)
    [problem] = raised.value.problems
    assert problem.line == 7 and problem.field == "typo"
    assert "'utter_greeet'" in problem.message and "Did you mean 'utter_greet'" in problem.message


def test_unknown_policy_options_are_named_with_close_matches(tmp_path: Path) -> None:
    p = project(tmp_path, GREET_RULE)
    config = config_from_dict(
        {"policies": [{"name": "RulePolicy", "core_fallback_treshold": 0.4}]}, "config.yml"
    )
    with pytest.raises(ConfigError) as raised:
        train_core(p.training_domain(), (), p.data.rules, config, tmp_path / "model")
    [problem] = raised.value.problems
    assert problem.field == "policies[0].core_fallback_treshold"
    assert "Did you mean 'core_fallback_threshold'" in problem.message
