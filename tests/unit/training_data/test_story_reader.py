from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data import (
    ActionStep,
    ActiveLoopStep,
    BotStep,
    CheckpointStep,
    OrStep,
    SlotValue,
    SlotWasSetStep,
    StoryEntity,
    UserStep,
    read_story_file,
)


def write(tmp_path: Path, text: str, name: str = "stories.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


STORIES = """\
version: "3.1"
stories:
- story: every step
  metadata: {owner: team}
  steps:
  - checkpoint: start
    slot_was_set:
    - logged_in: true
  - intent: inform
    entities:
    - city
    - city: Berlin
      role: to
  - user: "fly to [Paris]{\\"entity\\": \\"city\\", \\"role\\": \\"to\\"}"
  - intent: greet
    user: hi there
  - action: utter_greet
  - bot: How can I help?
  - slot_was_set:
    - name
    - cuisine: greek
    - ranks: [1, 2]
  - active_loop: restaurant_form
  - active_loop: null
  - or:
    - intent: affirm
    - intent: thanks
      entities:
      - mood: good
    - slot_was_set:
      - confirmed: true
  - metadata: {note: skipped}
  - checkpoint: end
"""


def test_every_step_type_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, STORIES)
    data = read_story_file(path)
    (story,) = data.stories
    f = str(path)
    assert (story.name, story.kind, story.line, story.metadata) == (
        "every step",
        "story",
        3,
        {"owner": "team"},
    )
    assert list(story.steps) == [
        CheckpointStep("start", (SlotValue("logged_in", True, True, 8),), f, 6),
        UserStep(
            "inform",
            None,
            (StoryEntity("city", ""), StoryEntity("city", "Berlin", role="to")),
            None,
            f,
            9,
        ),
        UserStep(
            None, "fly to Paris", (StoryEntity("city", "Paris", "to", None, 7, 12),), None, f, 14
        ),
        UserStep("greet", "hi there", (), None, f, 15),
        ActionStep("utter_greet", f, 17),
        BotStep("How can I help?", f, 18),
        SlotWasSetStep(
            (
                SlotValue("name", None, False, 20),
                SlotValue("cuisine", "greek", True, 21),
                SlotValue("ranks", [1, 2], True, 22),
            ),
            f,
            19,
        ),
        ActiveLoopStep("restaurant_form", f, 23),
        ActiveLoopStep(None, f, 24),
        OrStep(
            (
                UserStep("affirm", file=f, line=26),
                UserStep("thanks", None, (StoryEntity("mood", "good"),), None, f, 27),
                SlotWasSetStep((SlotValue("confirmed", True, True, 31),), f, 30),
            ),
            f,
            25,
        ),
        CheckpointStep("end", (), f, 33),
    ]
    assert data.warnings == ()


RULES = """\
rules:
- rule: with condition
  condition:
  - active_loop: booking_form
  - slot_was_set:
    - requested_slot: date
  steps:
  - intent: chitchat/ask_weather
  - action: utter_chitchat
  - action: booking_form
  wait_for_user_input: false
- rule: at start
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_greet
"""


def test_rules_with_condition_and_flags(tmp_path: Path) -> None:
    data = read_story_file(write(tmp_path, RULES, "rules.yml"))
    first, second = data.rules
    assert first.kind == "rule" and first.name == "with condition"
    assert [type(s) for s in first.condition] == [ActiveLoopStep, SlotWasSetStep]
    assert first.starts_with_snippet and first.ends_with_snippet
    assert not first.wait_for_user_input and not first.conversation_start
    user = first.steps[0]
    assert isinstance(user, UserStep) and user.full_intent == "chitchat/ask_weather"
    assert second.conversation_start and not second.starts_with_snippet
    assert not second.ends_with_snippet
    # A full retrieval intent outside a test file trains on the base intent (Rasa warns).
    (w,) = data.warnings
    assert w.line == 8 and "full retrieval intent" in w.message


def test_test_stories_are_marked_by_file_name(tmp_path: Path) -> None:
    text = "stories:\n- story: t\n  steps:\n  - intent: faq/ask_name\n    user: what is your name\n"
    data = read_story_file(write(tmp_path, text, "test_stories.yml"))
    assert data.stories[0].is_test and data.warnings == ()
    assert not read_story_file(write(tmp_path, text, "stories.yml")).stories[0].is_test


def test_intent_message_in_user_text_gives_entities(tmp_path: Path) -> None:
    text = 'stories:\n- story: s\n  steps:\n  - user: \'/inform{"city": ["Rome", "Oslo"]}\'\n'
    (step,) = read_story_file(write(tmp_path, text)).stories[0].steps
    assert isinstance(step, UserStep) and step.intent is None
    assert [(e.entity, e.value) for e in step.entities] == [("city", "Rome"), ("city", "Oslo")]


def test_what_rasa_skips_is_skipped_with_a_warning(tmp_path: Path) -> None:
    text = """\
stories:
- story: no steps
- rule: wrong section
  steps:
  - action: a
- story: odd steps
  steps:
  - ...
  - intent:
  - checkpoint: c
    slot_was_set:
    - just_a_name
  - or:
    - user: hello
  - action: utter_x
"""
    data = read_story_file(write(tmp_path, text))
    (story,) = data.stories
    assert [type(s) for s in story.steps] == [UserStep, ActionStep]
    assert story.steps[0] == UserStep(None, file=str(tmp_path / "stories.yml"), line=9)
    assert [w.line for w in data.warnings] == [2, 3, 8, 9, 11, 14]


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("stories:\n- story: s\n  steps:\n  - intent: /greet\n", 4, "write 'intent: greet'"),
        ("stories:\n- story: s\n  steps:\n  - intnet: greet\n", 4, "Did you mean 'intent'?"),
        (
            "stories:\n- story: s\n  steps:\n  - action: a\n    intent: b\n",
            4,
            "unknown key 'action'",
        ),
        ("stories:\n- story: s\n  stpes:\n  - action: a\n", 3, "Did you mean 'steps'?"),
        ("stories:\n- stroy: s\n  steps:\n  - action: a\n", 2, "Did you mean 'story'?"),
        ("stories:\n- story: 2020\n  steps:\n  - action: a\n", 2, "put it in quotes"),
        ("stories:\n- story: s\n  steps:\n  - utter_greet\n", 4, "'- action: utter_greet'"),
        ("stories:\n- story: s\n  steps:\n  - action: [a]\n", 4, "must be text, not a list"),
        ("stories:\n- story: s\n  steps:\n  - slot_was_set:\n      a: 1\n", 4, "must be a list"),
        ("stories:\n- story: s\n  steps:\n  - active_loop: [f]\n", 4, "must be text"),
        ("stories:\n- story: s\n  steps:\n  - user: go to [Rome](city\n", 4, "not closed"),
        ("stories:\n- story: s\n  steps:\n  - or: []\n", 4, "no alternatives"),
        ("stories:\n- story: s\n  steps:\n  - or:\n    - action: a\n", 5, "'or' alternative"),
        (
            "stories:\n- story: s\n  steps:\n  - intent: i\n    entities:\n    - {a: 1, b: 2}\n",
            6,
            "names one entity",
        ),
        ("rules:\n- rule: r\n  steps:\n  - bot: hi\n", 4, "'bot' steps are not allowed in a rule"),
        (
            "rules:\n- rule: r\n  condition:\n  - intent: greet\n  steps:\n  - action: a\n",
            4,
            "not allowed in a rule condition",
        ),
        (
            "rules:\n- rule: r\n  wait_for_user_input: no\n  steps:\n  - action: a\n",
            3,
            "true or false",
        ),
        ("stories: {story: s}\n", 1, "must be a list"),
    ],
)
def test_bad_stories_are_located_errors(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProjectError) as err:
        read_story_file(path)
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(path), line)
    assert expected in problem.message


def test_every_bad_step_is_reported(tmp_path: Path) -> None:
    text = (
        "stories:\n- story: a\n  steps:\n  - intent: /a\n  - action: ok\n  - acton: b\n"
        "- story: b\n  steps:\n  - bott: x\n"
    )
    with pytest.raises(ProjectError) as err:
        read_story_file(write(tmp_path, text))
    assert [p.line for p in err.value.problems] == [4, 6, 9]
