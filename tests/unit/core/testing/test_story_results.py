"""The files `stratus test core` writes: the report, the failed stories (readable again
as test stories) and the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.core.testing.replay import ActionOutcome, ReplayedStep, StoryOutcome
from stratus.core.testing.runner import format_summary, write_results
from stratus.core.testing.scoring import aligned_entity_labels
from stratus.core.testing.story_writer import NO_FAILED_STORIES, dump_stories
from stratus.shared.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from stratus.shared.training_data.files import load_training_data
from stratus.shared.training_data.stories import ActionStep, BotStep, SlotWasSetStep, UserStep


def passed_story() -> StoryOutcome:
    story = StoryOutcome("greet", "tests/test_stories.yml")
    story.steps = [
        ReplayedStep(ActionExecuted(action_name="action_listen")),
        ReplayedStep(UserUttered(text="hi", parse_data={"intent": {"name": "greet"}})),
        ReplayedStep(ActionExecuted(action_name="utter_greet")),
    ]
    story.actions = [ActionOutcome("utter_greet", "utter_greet", "RulePolicy", 1.0)]
    return story


def failed_story() -> StoryOutcome:
    entity = {"entity": "cuisine", "value": "greek", "start": 0, "end": 5}
    story = StoryOutcome("order: greek", "tests/test_stories.yml")
    story.steps = [
        ReplayedStep(ActionExecuted(action_name="action_listen")),
        ReplayedStep(
            UserUttered(
                text="greek food",
                parse_data={"intent": {"name": "inform"}},
                entities=[entity],
            )
        ),
        ReplayedStep(SlotSet("cuisine", "greek")),
        ReplayedStep(ActionExecuted(action_name="restaurant_form"), "predicted: utter_greet"),
        ReplayedStep(ActiveLoop("restaurant_form")),
        ReplayedStep(ActionExecuted(action_text="Yes: 'no'"), "predicted: action_listen"),
        ReplayedStep(ActionExecuted(action_name="action_listen"), "predicted: utter_greet"),
    ]
    story.actions = [
        ActionOutcome("restaurant_form", "utter_greet", "TEDPolicy", 0.4),
        ActionOutcome("Yes: 'no'", "action_listen", "TEDPolicy", 0.5),
        ActionOutcome("action_listen", "utter_greet", "TEDPolicy", 0.5),
    ]
    return story


def test_the_report_scores_actions_and_conversations(tmp_path: Path) -> None:
    result = write_results([passed_story(), failed_story()], tmp_path, plot=False)
    report = json.loads((tmp_path / "story_report.json").read_text("utf-8"))
    assert report["conversation_accuracy"] == {
        "accuracy": 0.5,
        "correct": 1,
        "with_warnings": 0,
        "total": 2,
    }
    assert report["utter_greet"]["support"] == 1
    assert report["utter_greet"]["precision"] == pytest.approx(1 / 3)
    assert report["restaurant_form"]["recall"] == 0.0
    assert report["weighted avg"]["support"] == 4
    assert "confused_with" not in report["utter_greet"]
    assert result.correct == 1 and result.total == 2
    assert result.actions_correct == 1 and result.actions_total == 4


def test_failed_stories_are_written_with_predictions_and_read_back(tmp_path: Path) -> None:
    write_results([passed_story(), failed_story()], tmp_path, plot=False)
    text = (tmp_path / "failed_test_stories.yml").read_text("utf-8")
    assert "- action: restaurant_form  # predicted: utter_greet" in text
    assert "- action: action_listen  # predicted: utter_greet" in text
    assert "[greek](cuisine) food" in text
    copy = tmp_path / "test_failed.yml"
    copy.write_text(text, "utf-8")
    [story] = load_training_data([copy]).stories
    assert story.name == "order: greek (tests/test_stories.yml)"
    user, slots, form = story.steps[:3]
    assert isinstance(user, UserStep) and user.intent == "inform"
    assert user.text == "greek food" and user.entities[0].entity == "cuisine"
    assert isinstance(slots, SlotWasSetStep) and slots.slots[0].value == "greek"
    assert isinstance(form, ActionStep) and form.name == "restaurant_form"
    assert any(isinstance(s, BotStep) and s.text == "Yes: 'no'" for s in story.steps)


def test_no_failed_stories_leaves_rasas_comment(tmp_path: Path) -> None:
    result = write_results([passed_story()], tmp_path, plot=False)
    assert (tmp_path / "failed_test_stories.yml").read_text("utf-8") == NO_FAILED_STORIES
    assert dump_stories([]) == NO_FAILED_STORIES
    assert result.accuracy == 1.0


def test_the_confusion_matrix_is_drawn(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = write_results([passed_story(), failed_story()], tmp_path)
    assert result.confusion_matrix == tmp_path / "story_confusion_matrix.png"
    assert result.confusion_matrix.read_bytes()[:4] == b"\x89PNG"


def test_the_summary_names_failed_stories_and_wrong_actions(tmp_path: Path) -> None:
    summary = format_summary(write_results([passed_story(), failed_story()], tmp_path, plot=False))
    assert "Conversations: 1 / 2 correct (50.0%)" in summary
    assert "Actions:       1 / 4 correct (25.0%)" in summary
    assert "FAILED order: greek (tests/test_stories.yml)" in summary
    assert "restaurant_form (predicted utter_greet)" in summary


def test_entities_are_aligned_by_position() -> None:
    gold = [
        {"text": "t", "entity": "cuisine", "start": 0, "end": 5},
        {"text": "t", "entity": "number", "start": 10, "end": 11},
    ]
    predicted = [
        {"text": "t", "entity": "cuisine", "start": 0, "end": 5},
        {"text": "t", "entity": "time", "start": 6, "end": 9},
    ]
    assert aligned_entity_labels(gold, predicted) == (
        ["cuisine", "None", "number"],
        ["cuisine", "time", "None"],
    )
