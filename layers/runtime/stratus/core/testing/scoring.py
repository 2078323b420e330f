"""Entity scoring for end-to-end test stories (Rasa's `EvaluationStore.serialise`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The label Rasa puts opposite an entity that only one side has.
NO_ENTITY_LABEL = "None"


def aligned_entity_labels(
    targets: Sequence[dict[str, Any]], predictions: Sequence[dict[str, Any]]
) -> tuple[list[str | None], list[str | None]]:
    """Entity names of targets and predictions paired by position within each text:
    entities at the same span are a pair, an entity with no counterpart is paired
    with "None"."""
    aligned_targets: list[str | None] = []
    aligned_predictions: list[str | None] = []
    texts = sorted({str(e.get("text")) for e in [*targets, *predictions]})
    for text in texts:
        gold = sorted((e for e in targets if str(e.get("text")) == text), key=_span)
        pred = sorted((e for e in predictions if str(e.get("text")) == text), key=_span)
        i = j = 0
        while i < len(pred) or j < len(gold):
            order = _compare(pred[i] if i < len(pred) else None, gold[j] if j < len(gold) else None)
            if order < 0:
                aligned_predictions.append(pred[i].get("entity"))
                aligned_targets.append(NO_ENTITY_LABEL)
                i += 1
            elif order > 0:
                aligned_targets.append(gold[j].get("entity"))
                aligned_predictions.append(NO_ENTITY_LABEL)
                j += 1
            else:
                aligned_predictions.append(pred[i].get("entity"))
                aligned_targets.append(gold[j].get("entity"))
                i += 1
                j += 1
    return aligned_targets, aligned_predictions


def _span(entity: dict[str, Any]) -> tuple[int, int]:
    # `entities:` of an intent-only step have no offsets: they sort first.
    start, end = entity.get("start"), entity.get("end")
    return (start if isinstance(start, int) else -1, end if isinstance(end, int) else -1)


def _compare(pred: dict[str, Any] | None, gold: dict[str, Any] | None) -> int:
    """-1 when the prediction comes first, 1 when the target does, 0 when aligned."""
    if pred is not None and gold is not None:
        p, g = _span(pred), _span(gold)
        return -1 if p < g else 1 if g < p else 0
    return 1 if gold is not None else -1
