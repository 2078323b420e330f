"""The files `stratus test core` writes: the report, the failed, successful and warned
stories (readable again as test stories) and the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.core.testing.replay import (
    ActionOutcome,
    ReplayedStep,
    StoryOutcome,
    UnlikelyIntentWarning,
)
from stratus.core.testing.runner import format_summary, write_results
from stratus.core.testing.scoring import aligned_entity_labels
from stratus.core.testing.story_writer import (
    NO_FAILED_STORIES,
    NO_STORIES_WITH_WARNINGS,
    NO_SUCCESSFUL_STORIES,
    dump_stories,
)
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


def warned_story(name: str, severity: float) -> StoryOutcome:
    """A passed story whose `utter_happy` came after an `action_unlikely_intent`."""
    story = StoryOutcome(name, "tests/test_stories.yml")
    story.steps = [
        ReplayedStep(ActionExecuted(action_name="action_listen")),
        ReplayedStep(UserUttered(text="great", parse_data={"intent": {"name": "mood_great"}})),
        ReplayedStep(
            ActionExecuted(action_name="utter_happy"), "predicted: action_unlikely_intent"
        ),
        ReplayedStep(ActionExecuted(action_name="action_listen")),
    ]
    story.actions = [
        ActionOutcome("utter_happy", "utter_happy", "TEDPolicy", 0.9),
        ActionOutcome("action_listen", "action_listen", "TEDPolicy", 0.9),
    ]
    story.warnings = [UnlikelyIntentWarning("utter_happy", severity)]
    return story


def _story_names(path: Path) -> list[str]:
    return [s.name for s in load_training_data([path]).stories]


def test_stories_with_warnings_are_counted_and_written_most_severe_first(
    tmp_path: Path,
) -> None:
    stories = [passed_story(), warned_story("mild", 0.1), failed_story()]
    stories.append(warned_story("severe", 0.7))
    failed_with_flag = failed_story()
    failed_with_flag.warnings = [UnlikelyIntentWarning("restaurant_form", 0.9)]
    stories.append(failed_with_flag)  # a failed story is not one "with warnings"
    result = write_results(stories, tmp_path, plot=False)

    report = json.loads((tmp_path / "story_report.json").read_text("utf-8"))
    assert report["conversation_accuracy"] == {
        "accuracy": 0.6,
        "correct": 3,
        "with_warnings": 2,
        "total": 5,
    }
    written = tmp_path / "stories_with_warnings.yml"
    assert _story_names(written) == [
        "severe (tests/test_stories.yml)",
        "mild (tests/test_stories.yml)",
    ]
    text = written.read_text("utf-8")
    assert text.count("  - action: utter_happy  # predicted: action_unlikely_intent\n") == 2
    assert "action_unlikely_intent\n" not in text.replace(
        "# predicted: action_unlikely_intent\n", ""
    )
    assert [s.name for s in result.with_warnings] == ["severe", "mild"]
    summary = format_summary(result)
    assert "Passed with action_unlikely_intent warnings: 2" in summary
    assert "WARNING severe (tests/test_stories.yml): action_unlikely_intent before utter_happy" in (
        summary
    )
    assert not (tmp_path / "successful_test_stories.yml").exists()  # only with successes


def test_successes_are_written_as_test_stories_on_request(tmp_path: Path) -> None:
    stories = [passed_story(), failed_story(), warned_story("warned", 0.2)]
    write_results(stories, tmp_path, plot=False, successes=True)
    path = tmp_path / "successful_test_stories.yml"
    text = path.read_text("utf-8")
    assert text == (
        'version: "3.1"\n'
        "stories:\n"
        "- story: greet (tests/test_stories.yml)\n"
        "  steps:\n"
        "  - intent: greet\n"
        "    user: |-\n"
        "      hi\n"
        "  - action: utter_greet\n"
        "- story: warned (tests/test_stories.yml)\n"
        "  steps:\n"
        "  - intent: mood_great\n"
        "    user: |-\n"
        "      great\n"
        "  - action: utter_happy  # predicted: action_unlikely_intent\n"
    )
    [greet, warned] = load_training_data([path]).stories
    assert [type(s).__name__ for s in greet.steps] == ["UserStep", "ActionStep"]
    assert warned.name == "warned (tests/test_stories.yml)"


def test_the_story_files_follow_no_errors_no_warnings_and_their_empty_comments(
    tmp_path: Path,
) -> None:
    write_results([failed_story()], tmp_path / "quiet", plot=False, errors=False, warnings=False)
    assert sorted(p.name for p in (tmp_path / "quiet").iterdir()) == ["story_report.json"]

    write_results([failed_story()], tmp_path / "none", plot=False, successes=True)
    none = tmp_path / "none"
    assert (none / "successful_test_stories.yml").read_text("utf-8") == NO_SUCCESSFUL_STORIES
    assert (none / "stories_with_warnings.yml").read_text("utf-8") == NO_STORIES_WITH_WARNINGS
    assert NO_SUCCESSFUL_STORIES == "# None of the test stories succeeded :("
    assert NO_STORIES_WITH_WARNINGS == "# No warnings for test stories"
