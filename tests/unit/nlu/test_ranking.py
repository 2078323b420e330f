"""Intent and response rankings from label confidences (Rasa's `rank_and_mask`)."""

from __future__ import annotations

import numpy as np
import pytest

from stratus.nlu.onnx_model import LABEL_CONFIDENCES, LABEL_SCORES, label_confidences, rank

LABELS = ["greet", "goodbye", "affirm", "deny"]
CONFIDENCES = np.array([0.1, 0.5, 0.3, 0.1], dtype=np.float32)


def test_the_ranking_is_cut_to_its_length_and_renormalised_over_what_is_kept() -> None:
    top, ranking = rank(LABELS, CONFIDENCES, 2, renormalize=True)
    assert [r["name"] for r in ranking] == ["goodbye", "affirm"]
    assert [r["confidence"] for r in ranking] == pytest.approx([0.5 / 0.8, 0.3 / 0.8])
    assert top == ranking[0]
    assert all(type(r["confidence"]) is float for r in ranking)  # JSON, not numpy scalars


@pytest.mark.parametrize("length", [0, 2, 4, 10])
def test_without_renormalising_the_confidences_are_the_models(length: int) -> None:
    _, ranking = rank(LABELS, CONFIDENCES, length, renormalize=False)
    kept = length if 0 < length < len(LABELS) else len(LABELS)
    assert len(ranking) == kept
    assert [r["confidence"] for r in ranking] == pytest.approx(
        sorted(CONFIDENCES.tolist(), reverse=True)[:kept]
    )


def test_a_full_ranking_is_not_renormalised_and_ties_keep_the_later_label_first() -> None:
    _, ranking = rank(LABELS, CONFIDENCES, 0, renormalize=True)
    assert [r["name"] for r in ranking] == ["goodbye", "affirm", "deny", "greet"]
    assert ranking[-1]["confidence"] == pytest.approx(0.1)


def test_label_confidences_come_from_the_graph_or_from_older_models_scores() -> None:
    scores = np.array([[1.0, 3.0, 2.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    expected = np.exp(scores[0]) / np.exp(scores[0]).sum()
    # models exported before the graph had the softmax: computed from the scores
    assert label_confidences({LABEL_SCORES: scores}, 0) == pytest.approx(expected)
    assert label_confidences({LABEL_SCORES: scores}, 1) == pytest.approx([1 / 3] * 3)
    graph = np.array([[0.2, 0.7, 0.1]], dtype=np.float32)
    assert label_confidences({LABEL_SCORES: scores[:1], LABEL_CONFIDENCES: graph}, 0) is not None
    assert label_confidences({LABEL_SCORES: scores[:1], LABEL_CONFIDENCES: graph}, 0).tolist() == (
        graph[0].tolist()
    )
