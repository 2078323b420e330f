"""Intent-style reports: numbers worked out by hand, key names as Rasa writes them."""

from __future__ import annotations

import pytest

from stratus.evaluation.metrics import classification_report, confusion_matrix


def test_report_when_every_prediction_is_a_known_label() -> None:
    targets = ["greet", "greet", "greet", "bye", "bye", "ask"]
    predictions = ["greet", "greet", "bye", "bye", "greet", "ask"]

    scores = classification_report(targets, predictions)
    report = scores.report

    # sklearn's order, then Rasa's completion appends the missing "micro avg"
    assert list(report) == [
        "ask", "bye", "greet", "accuracy", "macro avg", "weighted avg", "micro avg",
    ]  # fmt: skip
    assert report["greet"]["precision"] == pytest.approx(2 / 3)
    assert report["greet"]["recall"] == pytest.approx(2 / 3)
    assert report["greet"]["f1-score"] == pytest.approx(2 / 3)
    assert report["greet"]["support"] == 3
    assert report["bye"]["precision"] == pytest.approx(0.5)
    assert report["ask"]["f1-score"] == pytest.approx(1.0)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["micro avg"] == pytest.approx(
        {"precision": 4 / 6, "recall": 4 / 6, "f1-score": 4 / 6, "support": 6}
    )
    assert report["macro avg"]["precision"] == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert report["macro avg"]["support"] == 6
    assert report["weighted avg"]["precision"] == pytest.approx(4 / 6)
    assert scores.precision == pytest.approx(4 / 6)
    assert scores.f1 == pytest.approx((3 * 2 / 3 + 2 * 0.5 + 1) / 6)
    assert scores.accuracy == pytest.approx(4 / 6)
    assert report["greet"]["confused_with"] == {"bye": 1}
    assert report["bye"]["confused_with"] == {"greet": 1}
    assert report["ask"]["confused_with"] == {}
    assert isinstance(report["greet"]["support"], int)


def test_unknown_and_missing_predictions_give_a_real_micro_average() -> None:
    # a None prediction (no intent) and a label never seen in the targets
    scores = classification_report(["a", "a", "b"], ["a", None, "c"])
    report = scores.report

    assert list(report) == ["a", "b", "micro avg", "macro avg", "weighted avg", "accuracy"]
    assert report["micro avg"]["precision"] == pytest.approx(1.0)
    assert report["micro avg"]["recall"] == pytest.approx(1 / 3)
    assert report["micro avg"]["f1-score"] == pytest.approx(0.5)
    assert report["accuracy"] == pytest.approx(1 / 3)
    assert report["b"] == {
        "precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 1, "confused_with": {"c": 1},
    }  # fmt: skip
    assert report["a"]["confused_with"] == {"": 1}
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(4 / 9)
    assert scores.labels == ("", "a", "b", "c")


def test_excluded_label_is_neither_reported_nor_a_confusion() -> None:
    targets = ["no_entity", "city", "city", "no_entity"]
    predictions = ["no_entity", "city", "no_entity", "time"]

    scores = classification_report(targets, predictions, exclude_label="no_entity")

    assert "no_entity" not in scores.report
    assert scores.report["city"]["recall"] == pytest.approx(0.5)
    assert scores.report["city"]["confused_with"] == {}
    assert scores.report["micro avg"]["f1-score"] == pytest.approx(2 / 3)
    assert scores.accuracy == pytest.approx(0.5)  # over all tokens, no_entity included


def test_confused_with_keeps_at_most_three_largest_off_diagonal_cells() -> None:
    # 'x' is mostly mistaken: its diagonal is not in the row's top three
    targets = ["x"] * 10
    predictions = ["a"] * 4 + ["b"] * 3 + ["c"] * 2 + ["d"] * 1
    report = classification_report(targets, predictions).report
    assert list(report["x"]["confused_with"].items()) == [("a", 4), ("b", 3), ("c", 2)]


def test_only_excluded_labels_gives_an_empty_report() -> None:
    scores = classification_report(["no_entity"], ["city"], exclude_label="no_entity")
    assert scores.report == {}
    assert (scores.precision, scores.f1, scores.accuracy) == (0.0, 0.0, 0.0)


def test_confusion_matrix_rows_are_truth() -> None:
    m = confusion_matrix(["a", "a", "b"], ["a", "b", "b"])
    assert m.tolist() == [[1, 1], [0, 1]]


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        classification_report(["a"], ["a", "b"])
