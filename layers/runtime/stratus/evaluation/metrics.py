"""Classification metrics shaped like scikit-learn's, as Rasa 3.6 writes them (numpy only).

Rasa builds its `*_report.json` files with `sklearn.metrics.classification_report(
targets, predictions, labels=set(targets) - {excluded}, output_dict=True)`, completes the
report with whichever of `accuracy` / `micro avg` sklearn left out, and adds the top
confusions of every label as `confused_with`. This module reproduces those numbers and key
names so a report from `stratus test nlu` reads like one from `rasa test nlu`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The report keys sklearn and Rasa use; per-label entries use the same four.
PRECISION = "precision"
RECALL = "recall"
F1 = "f1-score"
SUPPORT = "support"
ACCURACY = "accuracy"
MICRO_AVG = "micro avg"
MACRO_AVG = "macro avg"
WEIGHTED_AVG = "weighted avg"
CONFUSED_WITH = "confused_with"
AVERAGE_KEYS = frozenset({ACCURACY, MICRO_AVG, MACRO_AVG, WEIGHTED_AVG})


@dataclass(frozen=True)
class ClassificationScores:
    """A report plus the headline numbers Rasa logs: weighted P/R/F1 and accuracy."""

    report: dict[str, Any]
    precision: float
    recall: float
    f1: float
    accuracy: float
    labels: tuple[str, ...]  # rows/columns of `confusion`: every target and prediction
    confusion: np.ndarray

    @property
    def support(self) -> int:
        weighted = self.report.get(WEIGHTED_AVG)
        return int(weighted[SUPPORT]) if weighted else 0


def clean_labels(labels: Iterable[str | None]) -> list[str]:
    """None becomes "" (a prediction of no intent), as Rasa does before scoring."""
    return ["" if label is None else str(label) for label in labels]


def unique_labels(*label_lists: Sequence[str]) -> list[str]:
    """Sorted union of labels, like `sklearn.utils.multiclass.unique_labels`."""
    return sorted({label for labels in label_lists for label in labels})


def confusion_matrix(
    targets: Sequence[str], predictions: Sequence[str], labels: Sequence[str] | None = None
) -> np.ndarray:
    """Rows are true labels, columns predicted labels, both in `labels` order."""
    labels = list(labels) if labels is not None else unique_labels(targets, predictions)
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(targets, predictions, strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # sklearn's zero_division="warn" scores an undefined ratio as 0.0
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    return _safe_div(2 * precision * recall, precision + recall)


def _entry(precision: float, recall: float, f1: float, support: int) -> dict[str, Any]:
    return {
        PRECISION: float(precision),
        RECALL: float(recall),
        F1: float(f1),
        SUPPORT: int(support),
    }


def classification_report(
    targets: Iterable[str | None],
    predictions: Iterable[str | None],
    exclude_label: str | None = None,
) -> ClassificationScores:
    """Rasa's `get_evaluation_metrics(..., output_dict=True)` plus `confused_with`.

    Labels are the targets minus `exclude_label` (Rasa excludes `no_entity` for entities).
    When a prediction falls outside those labels, sklearn reports a true `micro avg`
    instead of `accuracy`; Rasa then adds the missing one, so both keys are always there.
    """
    t = clean_labels(targets)
    p = clean_labels(predictions)
    if len(t) != len(p):
        raise ValueError(f"{len(t)} targets but {len(p)} predictions")
    all_labels = unique_labels(t, p)
    confusion = confusion_matrix(t, p, all_labels)
    labels = sorted(set(t) - {exclude_label} if exclude_label else set(t))
    if not labels:
        return ClassificationScores({}, 0.0, 0.0, 0.0, 0.0, tuple(all_labels), confusion)

    t_arr = np.asarray(t, dtype=object)
    p_arr = np.asarray(p, dtype=object)
    accuracy = float(np.mean(t_arr == p_arr))
    true_pos = np.array([np.sum((t_arr == lab) & (p_arr == lab)) for lab in labels], float)
    predicted = np.array([np.sum(p_arr == lab) for lab in labels], float)
    support = np.array([np.sum(t_arr == lab) for lab in labels], float)
    precision = _safe_div(true_pos, predicted)
    recall = _safe_div(true_pos, support)
    f1 = _f1(precision, recall)

    report: dict[str, Any] = {
        lab: _entry(precision[i], recall[i], f1[i], int(support[i])) for i, lab in enumerate(labels)
    }
    total = int(support.sum())
    micro_is_accuracy = set(labels) >= set(all_labels)
    if micro_is_accuracy:
        report[ACCURACY] = accuracy
    else:
        micro_p = float(_safe_div(true_pos.sum(keepdims=True), predicted.sum(keepdims=True))[0])
        micro_r = float(_safe_div(true_pos.sum(keepdims=True), support.sum(keepdims=True))[0])
        micro_f = float(_f1(np.array([micro_p]), np.array([micro_r]))[0])
        report[MICRO_AVG] = _entry(micro_p, micro_r, micro_f, total)
    report[MACRO_AVG] = _entry(precision.mean(), recall.mean(), f1.mean(), total)
    weights = support / total if total else np.zeros_like(support)
    weighted = (float(precision @ weights), float(recall @ weights), float(f1 @ weights))
    report[WEIGHTED_AVG] = _entry(*weighted, total)
    # Rasa's make_classification_report_complete
    if micro_is_accuracy:
        report[MICRO_AVG] = _entry(accuracy, accuracy, accuracy, total)
    else:
        report[ACCURACY] = accuracy

    add_confused_with(report, confusion, all_labels, [exclude_label] if exclude_label else [])
    return ClassificationScores(
        report=report,
        precision=weighted[0],
        recall=weighted[1],
        f1=weighted[2],
        accuracy=accuracy,
        labels=tuple(all_labels),
        confusion=confusion,
    )


def add_confused_with(
    report: dict[str, Any],
    confusion: np.ndarray,
    labels: Sequence[str],
    exclude_labels: Sequence[str] = (),
) -> dict[str, Any]:
    """Add `confused_with: {label: count}` to every label in the report, in place.

    Rasa looks at the three largest cells of each confusion-matrix row and keeps those that
    are not the diagonal, not excluded and not zero, largest first; so usually two labels,
    three when the diagonal is not among the row's top three.
    """
    n_candidates = min(3, len(labels))
    # A stable sort makes ties deterministic (numpy's default sort is stable on short rows).
    order = np.argsort(confusion, axis=1, kind="stable")
    for i, label in enumerate(labels):
        if label in exclude_labels or not isinstance(report.get(label), dict):
            continue
        if label in AVERAGE_KEYS:
            continue
        confused: dict[str, int] = {}
        for j in range(n_candidates):
            col = int(order[i, -(1 + j)])
            other, count = labels[col], int(confusion[i, col])
            if other != label and other not in exclude_labels and count > 0:
                confused[other] = count
        report[label][CONFUSED_WITH] = confused
    return report
