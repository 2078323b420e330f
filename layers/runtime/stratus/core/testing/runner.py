"""`stratus test core`: replay test stories against a model and write Rasa's result files.

Writes to `out`, as Rasa 3.6 does: `story_report.json` (a scikit-learn style report over
the actions, plus the intents and entities with `e2e`, and `conversation_accuracy`),
`failed_test_stories.yml` (the failed stories with `# predicted:` comments; not with
`errors=False`), `stories_with_warnings.yml` (stories that passed although the model
predicted an `action_unlikely_intent` they do not have, most severe first; not with
`warnings=False`), `successful_test_stories.yml` (only with `successes=True`) and
`story_confusion_matrix.png` (when matplotlib is installed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.agent import Agent
from stratus.core.story_graph import TrainingTracker, generate_trackers
from stratus.core.testing.replay import StoryOutcome, StoryReplayer
from stratus.core.testing.scoring import aligned_entity_labels
from stratus.core.testing.story_writer import (
    NO_FAILED_STORIES,
    NO_STORIES_WITH_WARNINGS,
    NO_SUCCESSFUL_STORIES,
    dump_stories,
)
from stratus.evaluation.metrics import CONFUSED_WITH, classification_report
from stratus.shared.domain import Domain
from stratus.shared.training_data.files import load_training_data
from stratus.shared.training_data.stories import CheckpointStep, Story

logger = logging.getLogger(__name__)

REPORT_FILE = "story_report.json"
FAILED_STORIES_FILE = "failed_test_stories.yml"
SUCCESSFUL_STORIES_FILE = "successful_test_stories.yml"
STORIES_WITH_WARNINGS_FILE = "stories_with_warnings.yml"
CONFUSION_MATRIX_FILE = "story_confusion_matrix.png"
CONVERSATION_ACCURACY = "conversation_accuracy"


@dataclass(frozen=True)
class CoreTestResult:
    """What `run_core_test` found and where it wrote it."""

    out: Path
    stories: tuple[StoryOutcome, ...]
    report: dict[str, Any]
    e2e: bool
    confusion_matrix: Path | None

    @property
    def total(self) -> int:
        return len(self.stories)

    @property
    def failed(self) -> tuple[StoryOutcome, ...]:
        return tuple(s for s in self.stories if s.failed)

    @property
    def correct(self) -> int:
        return self.total - len(self.failed)

    @property
    def with_warnings(self) -> tuple[StoryOutcome, ...]:
        """The passed stories with `action_unlikely_intent` warnings, most severe first."""
        return with_warnings(self.stories)

    @property
    def accuracy(self) -> float:
        """Conversation-level accuracy: the share of stories without a wrong prediction."""
        return self.correct / self.total if self.total else 0.0

    @property
    def actions_total(self) -> int:
        return sum(len(s.actions) for s in self.stories)

    @property
    def actions_correct(self) -> int:
        return sum(a.correct for s in self.stories for a in s.actions)


def run_core_test(
    model: Path,
    stories: Sequence[Path],
    out: Path,
    project: Path | None = None,
    *,
    e2e: bool = False,
    plot: bool = True,
    errors: bool = True,
    successes: bool = False,
    warnings: bool = True,
    duckling_url: str | None = None,
    max_stories: int | None = None,
) -> CoreTestResult:
    """Replay every story under `stories` against `model` and write the result files.

    As `rasa test core`, every story in the given files counts (test stories and
    training stories alike; rules are not replayed). `e2e` is Rasa's `--e2e`: user
    steps with text also go through NLU and are scored. `project` resolves relative
    lookup-table paths of the data files. `errors`, `successes` and `warnings` choose
    which story files are written (see `write_results`). `duckling_url` overrides
    the model's Duckling server (the door's RASA_DUCKLING_HTTP_URL). `max_stories`
    tests only the first ones (Rasa's `--max-stories`).
    """
    agent = Agent.load(model, duckling_url=duckling_url)
    data = load_training_data(list(stories), project)
    trackers = story_trackers(data.stories, agent.domain)[:max_stories]
    replayer = StoryReplayer(agent.domain, agent.policies, agent.interpreter, e2e=e2e)
    outcomes = tuple(replayer.replay(t, story_file(t)) for t in trackers)
    return write_results(
        outcomes, out, e2e=e2e, plot=plot, errors=errors, successes=successes, warnings=warnings
    )


def story_trackers(stories: Sequence[Story], domain: Domain) -> list[TrainingTracker]:
    """One tracker per story, in file order; stories joined by checkpoints are walked
    together (one tracker per path).

    The training generator keeps one tracker per featurization, so two test stories
    that differ only in what a form was told would be tested once: here every story
    without checkpoints is generated on its own and counts on its own.
    """
    linked = [s for s in stories if any(isinstance(p, CheckpointStep) for p in s.steps)]
    alone = [s for s in stories if not any(s is other for other in linked)]
    trackers = [t for s in alone for t in generate_trackers([s], [], domain)]
    if linked:
        trackers.extend(generate_trackers(linked, [], domain))
    return trackers


def write_results(
    outcomes: Sequence[StoryOutcome],
    out: Path,
    e2e: bool = False,
    plot: bool = True,
    *,
    errors: bool = True,
    successes: bool = False,
    warnings: bool = True,
) -> CoreTestResult:
    """Write the report, the confusion matrix and the story files for `outcomes`.

    The story files follow Rasa's `--no-errors` (`errors=False`: no failed stories),
    `--successes` (the passed ones) and `--no-warnings` (`warnings=False`: no stories
    with warnings) defaults.
    """
    out.mkdir(parents=True, exist_ok=True)
    targets, predictions = serialise(outcomes)
    scores = classification_report(targets, predictions)
    report = {
        label: {k: v for k, v in entry.items() if k != CONFUSED_WITH}
        if isinstance(entry, dict)
        else entry
        for label, entry in scores.report.items()
    }
    failed = [s for s in outcomes if s.failed]
    passed = [s for s in outcomes if not s.failed]
    warned = with_warnings(outcomes)
    if outcomes and report:
        report[CONVERSATION_ACCURACY] = {
            "accuracy": len(passed) / len(outcomes),
            "correct": len(passed),
            "with_warnings": len(warned),
            "total": len(outcomes),
        }
    (out / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
    stories = {
        FAILED_STORIES_FILE: (errors, failed, NO_FAILED_STORIES),
        SUCCESSFUL_STORIES_FILE: (successes, passed, NO_SUCCESSFUL_STORIES),
        STORIES_WITH_WARNINGS_FILE: (warnings, warned, NO_STORIES_WITH_WARNINGS),
    }
    for name, (wanted, chosen, if_none) in stories.items():
        if wanted:
            (out / name).write_text(dump_stories(chosen, if_none), encoding="utf-8")
    matrix = _plot(outcomes, out) if plot else None
    return CoreTestResult(out, tuple(outcomes), report, e2e, matrix)


def with_warnings(outcomes: Sequence[StoryOutcome]) -> tuple[StoryOutcome, ...]:
    """The passed stories with warnings, most severe first, ties in story order (Rasa's
    `_sort_trackers_with_severity_of_warning`)."""
    return tuple(sorted((s for s in outcomes if s.passed_with_warnings), key=lambda s: -s.severity))


def serialise(outcomes: Sequence[StoryOutcome]) -> tuple[list[str | None], list[str | None]]:
    """Targets and predictions for the report, as Rasa's `EvaluationStore.serialise`:
    actions, then intents, then entities aligned by position."""
    targets: list[str | None] = []
    predictions: list[str | None] = []
    for story in outcomes:
        targets.extend(a.action for a in story.actions)
        predictions.extend(a.predicted for a in story.actions)
    for story in outcomes:
        targets.extend(story.intent_targets)
        predictions.extend(story.intent_predictions)
    entity_targets = [e for s in outcomes for e in s.entity_targets]
    entity_predictions = [e for s in outcomes for e in s.entity_predictions]
    aligned_targets, aligned_predictions = aligned_entity_labels(entity_targets, entity_predictions)
    targets.extend(aligned_targets)
    predictions.extend(aligned_predictions)
    return targets, predictions


def format_summary(result: CoreTestResult) -> str:
    """The results as `rasa test core` logs them, for the terminal."""
    lines = [
        f"Evaluated {result.total} stories{' end-to-end' if result.e2e else ''}.",
        f"Conversations: {result.correct} / {result.total} correct ({_percent(result.accuracy)})",
    ]
    if result.actions_total:
        share = result.actions_correct / result.actions_total
        lines.append(
            f"Actions:       {result.actions_correct} / {result.actions_total} correct "
            f"({_percent(share)})"
        )
    weighted = result.report.get("weighted avg")
    if isinstance(weighted, dict):
        lines.append(
            f"F1-score {weighted['f1-score']:.3f}, precision {weighted['precision']:.3f} (weighted)"
        )
    warned = result.with_warnings
    if warned:
        lines.append(f"Passed with action_unlikely_intent warnings: {len(warned)}")
    for story in result.failed:
        wrong = [f"{a.action} (predicted {a.predicted})" for a in story.actions if not a.correct]
        detail = ", ".join(wrong) if wrong else f"{story.wrong_user_turns} user turn(s) misread"
        lines.append(f"  FAILED {story.label}: {detail}")
    for story in warned:
        flagged = ", ".join(f"before {w.action}" for w in story.warnings)
        lines.append(f"  WARNING {story.label}: action_unlikely_intent {flagged}")
    lines.append(f"Results written to {result.out}")
    return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def story_file(tracker: TrainingTracker) -> str | None:
    for event in tracker.events:
        origin = tracker.origin(event)
        if origin is not None and origin.file:
            return origin.file
    return None


def _plot(outcomes: Sequence[StoryOutcome], out: Path) -> Path | None:
    from stratus.evaluation.metrics import confusion_matrix, unique_labels
    from stratus.evaluation.plots import plot_confusion_matrix, plotting_available

    if not plotting_available():
        logger.info("matplotlib is not installed: no %s written.", CONFUSION_MATRIX_FILE)
        return None
    targets = [a.action for s in outcomes for a in s.actions]
    predictions = [a.predicted for s in outcomes for a in s.actions]
    if not targets:
        return None
    labels = unique_labels(targets, predictions)
    path = out / CONFUSION_MATRIX_FILE
    plot_confusion_matrix(
        confusion_matrix(targets, predictions, labels), labels, "Action Confusion matrix", path
    )
    return path
