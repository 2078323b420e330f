"""The files `stratus test nlu` writes and the table it prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stratus.evaluation import evaluate_nlu, summary_table, write_results
from stratus.evaluation.plots import plotting_available
from stratus.shared.training_data.message import EntityAnnotation, NluExample

EXAMPLES = [
    NluExample("hello", "greet"),
    NluExample("bye now", "goodbye"),
    NluExample("fly to paris", "travel", (EntityAnnotation(7, 12, "city", "paris"),)),
]


def _parse(name: str, confidence: float, entities: list[dict[str, Any]]) -> dict[str, Any]:
    intent = {"name": name, "confidence": confidence}
    return {"intent": intent, "intent_ranking": [intent], "entities": entities}


PARSES = [
    _parse("greet", 0.9, []),
    _parse("greet", 0.6, []),
    _parse(
        "travel",
        0.8,
        [
            {
                "start": 7,
                "end": 12,
                "entity": "city",
                "value": "paris",
                "extractor": "DIETClassifier",
            }
        ],
    ),
]


def test_writes_rasa_file_names_and_contents(tmp_path: Path) -> None:
    evaluation = evaluate_nlu(EXAMPLES, PARSES)
    written = write_results(evaluation, tmp_path / "results", plot=False)

    names = sorted(p.name for p in written)
    # no DIETClassifier_errors.json: every entity token was right
    assert names == ["DIETClassifier_report.json", "intent_errors.json", "intent_report.json"]
    report = json.loads((tmp_path / "results" / "intent_report.json").read_text())
    assert report["goodbye"]["recall"] == 0.0
    assert report["greet"]["confused_with"] == {}
    assert report["goodbye"]["confused_with"] == {"greet": 1}
    errors = json.loads((tmp_path / "results" / "intent_errors.json").read_text())
    assert errors == [
        {
            "text": "bye now",
            "intent": "goodbye",
            "intent_prediction": {"name": "greet", "confidence": 0.6},
        }
    ]
    entity_report = json.loads((tmp_path / "results" / "DIETClassifier_report.json").read_text())
    assert entity_report["city"]["f1-score"] == 1.0


def test_successes_only_on_request(tmp_path: Path) -> None:
    evaluation = evaluate_nlu(EXAMPLES, PARSES)
    names = {
        p.name
        for p in write_results(evaluation, tmp_path, successes=True, errors=False, plot=False)
    }
    assert "intent_successes.json" in names and "DIETClassifier_successes.json" in names
    assert "intent_errors.json" not in names


@pytest.mark.skipif(not plotting_available(), reason="matplotlib is not installed")
def test_plots_are_png_files(tmp_path: Path) -> None:
    evaluation = evaluate_nlu(EXAMPLES, PARSES)
    write_results(evaluation, tmp_path, plot=True)
    for name in ("intent_confusion_matrix.png", "intent_histogram.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_table_lists_intents_and_extractors() -> None:
    table = summary_table(evaluate_nlu(EXAMPLES, PARSES))
    lines = table.splitlines()
    assert lines[0].split() == ["support", "accuracy", "precision", "recall", "f1-score"]
    assert lines[2].split()[:3] == ["intent", "3", "0.6667"]
    assert lines[3].split()[0] == "DIETClassifier"
    assert "weighted" in lines[-1]
