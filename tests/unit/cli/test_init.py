"""`stratus init` (Rasa's `rasa init`): the prompts, the files, and nothing overwritten."""

from __future__ import annotations

import io
from argparse import Namespace
from pathlib import Path

import pytest

from stratus.cli import init
from stratus.shared.config import PLACEHOLDER_ASSISTANT_ID, load_config
from stratus.shared.exceptions import StratusError
from stratus.shared.project import ProjectPaths, load_project
from stratus.shared.validator import validate

FILES = [
    "actions/__init__.py",
    "actions/handler.py",
    "config.yml",
    "credentials.yml",
    "data/nlu.yml",
    "data/rules.yml",
    "data/stories.yml",
    "domain.yml",
    "endpoints.yml",
    "tests/test_stories.yml",
]


def run(answers: list[str], **options: object) -> tuple[int, str]:
    args = Namespace(**{"init_dir": None, "no_prompt": False, **options})
    out = io.StringIO()
    code = init.run(args, stdin=io.StringIO("".join(f"{a}\n" for a in answers)), out=out)
    return code, out.getvalue()


def test_the_prompts_make_a_valid_project_without_training(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    # path, create it, do not train
    code, printed = run([str(target), "y", "n"])
    assert code == 0
    assert f"Path '{target}' does not exist. Create it?" in printed
    assert "You can train a model later by running 'stratus train'" in printed
    assert (
        sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == FILES
    )
    project = load_project(ProjectPaths.discover(target))
    assert [p for p in validate(project) if p.is_error] == []
    config = load_config(target / "config.yml")
    assert config.assistant_id != PLACEHOLDER_ASSISTANT_ID and config.warnings == ()
    assert not (target / "models").exists()


def test_existing_files_are_kept(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text("version: '3.1'\nintents: [mine]\n")
    code, printed = run(["y", "n"], init_dir=str(tmp_path))  # not empty: continue; no training
    assert code == 0
    assert "is not empty; existing files are kept. Continue?" in printed
    assert "Kept your existing domain.yml: not overwritten." in printed
    assert (tmp_path / "domain.yml").read_text() == "version: '3.1'\nintents: [mine]\n"
    assert (tmp_path / "data" / "nlu.yml").is_file()


def test_declining_a_non_empty_folder_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, printed = run(["n"], init_dir=str(tmp_path))
    assert code == 0 and "continue setting up by running 'stratus init'" in printed
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_no_prompt_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(StratusError, match=r"Project init path '.*missing' not found"):
        run([], init_dir=str(tmp_path / "missing"), no_prompt=True)


def test_each_project_gets_its_own_assistant_id(tmp_path: Path) -> None:
    ids = set()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        init.create_initial_project(tmp_path / name)
        ids.add(load_config(tmp_path / name / "config.yml").assistant_id)
    assert len(ids) == 2


def test_a_file_is_not_a_project_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StratusError, match="is a file, not a folder"):
        run([], init_dir=str(tmp_path / "notes.txt"))
