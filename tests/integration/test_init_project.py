"""`stratus init --no-prompt` trains the new project, whose test stories then pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.cli.main import main

pytestmark = pytest.mark.slow


def test_the_initial_project_trains_and_passes_its_test_stories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow")
    assert main(["init", "--no-prompt", "--init-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Your Stratus model is trained and saved at" in printed
    assert "run 'stratus shell' at any time inside the project folder" in printed
    models = tmp_path / "models"
    assert len(list(models.iterdir())) == 1
    argv = ["test", "core", "--project", str(tmp_path), "-m", str(models)]
    assert main([*argv, "--out", str(tmp_path / "results"), "--fail-on-prediction-errors"]) == 0
    assert "Conversations: 7 / 7 correct (100.0%)" in capsys.readouterr().out
