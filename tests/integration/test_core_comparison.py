"""Comparing dialogue configs as Rasa does: `stratus train core -c a.yml b.yml --runs
--percentages`, then `stratus test core --evaluate-model-directory`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.cli import init
from stratus.cli.main import main
from stratus.core.testing.comparison import models_in_run

MEMO = (
    "language: en\nassistant_id: a\npolicies:\n  - name: MemoizationPolicy\n  - name: RulePolicy\n"
)
AUGMENTED = (
    "language: en\nassistant_id: b\npolicies:\n"
    "  - name: AugmentedMemoizationPolicy\n  - name: RulePolicy\n"
)


def test_two_policy_configs_trained_and_scored_on_the_same_story_subsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "bot"
    project.mkdir()
    init.create_initial_project(project)  # 3 stories, 2 rules, 7 test stories
    (tmp_path / "memo.yml").write_text(MEMO)
    (tmp_path / "augmented.yml").write_text(AUGMENTED)
    models = tmp_path / "compare"
    argv = ["train", "core", "--project", str(project), "--out", str(models), "--seed", "3"]
    argv += ["-c", str(tmp_path / "memo.yml"), str(tmp_path / "augmented.yml")]
    assert main([*argv, "--runs", "2", "--percentages", "0", "50"]) == 0
    assert "Trained 8 dialogue models to compare" in capsys.readouterr().out
    assert json.loads((models / "num_stories.json").read_text()) == [5, 3]  # of 3 + 2
    assert [(n, p) for n, p, _ in models_in_run(models / "run_1")] == [
        ("augmented", 0), ("augmented", 50), ("memo", 0), ("memo", 50),
    ]  # fmt: skip

    results = tmp_path / "results"
    argv = ["test", "core", "--project", str(project), "-m", str(models), "--out", str(results)]
    assert main([*argv, "--evaluate-model-directory"]) == 0
    correct = json.loads((results / "results.json").read_text())
    assert set(correct) == {"memo", "augmented"}
    # All 3 stories and 2 rules: every test story passes; half of them left out: fewer.
    assert [run[0] for run in correct["memo"]] == [7, 7]
    assert all(run[1] < 7 for run in correct["memo"])
    # Memoization and its augmented form agree on these stories: the same subsets.
    assert correct["augmented"] == correct["memo"]
    assert (results / "core_model_comparison_graph.pdf").read_bytes().startswith(b"%PDF")


def test_several_configs_compare_the_dialogue_part_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yml").write_text(MEMO)
    (tmp_path / "b.yml").write_text(AUGMENTED)
    argv = ["train", "--project", str(tmp_path), "-c", str(tmp_path / "a.yml")]
    assert main([*argv, str(tmp_path / "b.yml")]) == 1
    assert "run `stratus train core -c ...`" in capsys.readouterr().err


def test_a_folder_without_runs_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "bot"
    project.mkdir()
    init.create_initial_project(project)
    argv = ["test", "core", "--project", str(project), "-m", str(tmp_path)]
    assert main([*argv, "--evaluate-model-directory", "--out", str(tmp_path / "r")]) == 1
    assert "No run_<n> folders in" in capsys.readouterr().err
    argv[argv.index(str(tmp_path))] = str(tmp_path / "missing")
    assert main([*argv, "--evaluate-model-directory", "--out", str(tmp_path / "r")]) == 1
    assert "No folder of models to compare at" in capsys.readouterr().err


def test_percentages_sort_as_numbers(tmp_path: Path) -> None:
    for name in ("c__percentage__5", "c__percentage__10", "c__percentage__0", "notes"):
        (tmp_path / name).mkdir()
    assert [p for _, p, _ in models_in_run(tmp_path)] == [0, 5, 10]
