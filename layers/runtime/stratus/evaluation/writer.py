"""Writing `rasa test nlu`'s result files and the summary table the CLI prints."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from stratus.evaluation import plots
from stratus.evaluation.entities import EXTRACTORS_WITH_CONFIDENCES
from stratus.evaluation.evaluator import NluEvaluation

logger = logging.getLogger(__name__)


def _dump(path: Path, obj: Any) -> None:
    # Rasa writes JSON with indent=2 and ensure_ascii=False.
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_results(
    evaluation: NluEvaluation,
    out_dir: str | Path,
    *,
    errors: bool = True,
    successes: bool = False,
    plot: bool = True,
) -> list[Path]:
    """Write the report, error/success and PNG files Rasa writes; return their paths.

    Error and success files are written only when they would not be empty, as in Rasa.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def dump(name: str, obj: Any) -> None:
        _dump(out / name, obj)
        written.append(out / name)

    can_plot = plot and plots.plotting_available()
    if plot and not can_plot:
        logger.warning("matplotlib is not installed: skipping the PNG plots")

    def draw(name: str, fn: Any, *args: Any) -> None:
        fn(*args, out / name)
        written.append(out / name)

    if (ie := evaluation.intents) is not None:
        dump("intent_report.json", ie.scores.report)
        if errors and ie.errors:
            dump("intent_errors.json", ie.errors)
        if successes and ie.successes:
            dump("intent_successes.json", ie.successes)
        if can_plot:
            draw(
                "intent_confusion_matrix.png",
                plots.plot_confusion_matrix,
                ie.scores.confusion,
                ie.scores.labels,
                "Intent Confusion matrix",
            )
            draw(
                "intent_histogram.png",
                plots.plot_paired_histogram,
                *ie.hit_confidences,
                "Intent Prediction Confidence Distribution",
            )

    if (re_ := evaluation.responses) is not None:
        dump("response_selection_report.json", re_.scores.report)
        if errors and re_.errors:
            dump("response_selection_errors.json", re_.errors)
        if successes and re_.successes:
            dump("response_selection_successes.json", re_.successes)
        if can_plot:
            draw(
                "response_selection_confusion_matrix.png",
                plots.plot_confusion_matrix,
                re_.scores.confusion,
                re_.scores.labels,
                "Response Selection Confusion Matrix",
            )
            draw(
                "response_selection_histogram.png",
                plots.plot_paired_histogram,
                *re_.hit_confidences,
                "Response Selection Prediction Confidence Distribution",
            )

    for name, ee in sorted(evaluation.entities.items()):
        dump(f"{name}_report.json", ee.scores.report)
        if errors and ee.errors:
            dump(f"{name}_errors.json", ee.errors)
        if successes and ee.successes:
            dump(f"{name}_successes.json", ee.successes)
        if can_plot:
            draw(
                f"{name}_confusion_matrix.png",
                plots.plot_confusion_matrix,
                ee.scores.confusion,
                ee.scores.labels,
                "Entity Confusion matrix",
            )
            hits, misses = ee.hit_confidences
            if name in EXTRACTORS_WITH_CONFIDENCES:
                draw(
                    f"{name}_histogram.png",
                    plots.plot_paired_histogram,
                    hits,
                    misses,
                    "Entity Prediction Confidence Distribution",
                )
    return written


def format_table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A plain text table: the first `left` columns aligned left, the rest (numbers) right."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        parts = [
            str(c).ljust(w) if i < left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def summary_table(evaluation: NluEvaluation) -> str:
    """Accuracy and weighted precision/recall/F1 for intents, extractors and responses."""
    rows = [
        [
            name,
            str(scores.support),
            f"{scores.accuracy:.4f}",
            f"{scores.precision:.4f}",
            f"{scores.recall:.4f}",
            f"{scores.f1:.4f}",
        ]
        for name, scores in evaluation.summary_rows()
    ]
    if not rows:
        return "nothing to evaluate: the test data has fewer than two intents and no entities"
    headers = ["", "support", "accuracy", "precision", "recall", "f1-score"]
    return format_table(headers, rows) + "\n(precision, recall and f1-score are weighted averages)"
