"""`stratus test nlu --config a.yml b.yml` with the real trainer and interpreter: Rasa's
comparison files, the graph included, for a real project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.cli.main import main as cli_main

LOGREG = """\
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
"""
KEYWORDS = """\
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
"""


def test_two_pipelines_compared_on_moodbot(shared: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    (tmp_path / "logreg.yml").write_text(LOGREG)
    (tmp_path / "keywords.yml").write_text(KEYWORDS)
    out = tmp_path / "results"
    argv = ["test", "nlu", "--project", str(shared / "rasa-examples" / "moodbot")]
    argv += ["-c", str(tmp_path / "logreg.yml"), str(tmp_path / "keywords.yml")]
    assert cli_main([*argv, "--runs", "2", "-p", "0", "50", "--out", str(out)]) == 0

    f1 = json.loads((out / "results.json").read_text())
    assert set(f1) == {"logreg", "keywords"}
    assert all(
        len(run) == 2 and all(0.0 <= v <= 1.0 for v in run) for r in f1.values() for run in r
    )
    # Learning from the words beats matching whole examples as keywords.
    mean = {name: sum(map(sum, runs)) for name, runs in f1.items()}
    assert mean["logreg"] > mean["keywords"]
    assert (out / "nlu_model_comparison_graph.pdf").read_bytes().startswith(b"%PDF")
    report = out / "run_2" / "50%_exclusion" / "logreg_report"
    assert (report / "intent_report.json").is_file()
    assert (report / "intent_confusion_matrix.png").is_file()
