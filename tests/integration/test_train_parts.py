"""`stratus train` trains NLU and dialogue together, and reuses what did not change."""

from __future__ import annotations

from pathlib import Path

import pytest
from moodbot import copy_test_moodbot

from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.model.manifest import read_manifest, verify_files
from stratus.model.plan import load_model_domain
from stratus.shared.exceptions import ProjectError

pytestmark = pytest.mark.slow


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "moodbot"
    # small but not degenerate: this file checks what is trained, not what it answers
    copy_test_moodbot(root, epochs=5)
    return root


def test_full_training_then_reuse_of_unchanged_parts(project: Path) -> None:
    from stratus_train.train import train

    lines: list[str] = []
    first = train(project, out=project / "models", progress=lines.append)
    manifest = read_manifest(first.model_dir)
    assert manifest.parts == ["nlu", "core"]
    assert set(manifest.fingerprints) == {"nlu", "core"}
    assert verify_files(first.model_dir, manifest) == []
    domain = load_model_domain(first.model_dir)
    ensemble = PolicyEnsemble.load(first.model_dir / "core", domain)
    assert ensemble is not None

    again = train(project, out=project / "models", progress=lines.append)
    assert again.skipped and again.model_dir == first.model_dir

    stories = project / "data" / "stories.yml"
    stories.write_text(
        stories.read_text()
        + "\n- story: bye at once\n  steps:\n  - intent: goodbye\n  - action: utter_goodbye\n"
    )
    lines.clear()
    third = train(project, out=project / "models", progress=lines.append)
    assert not third.skipped and third.model_dir != first.model_dir
    assert any(line.startswith("nlu: unchanged, reusing it") for line in lines)
    assert not any(line.startswith("core: unchanged") for line in lines)
    new = read_manifest(third.model_dir)
    assert new.fingerprints["nlu"] == manifest.fingerprints["nlu"]
    assert new.fingerprints["core"] != manifest.fingerprints["core"]


def test_parts_exclude_each_other_and_core_only_has_no_nlu(project: Path) -> None:
    from stratus_train.train import train

    with pytest.raises(ProjectError, match="exclude each other"):
        train(project, out=project / "models", nlu_only=True, core_only=True)
    result = train(project, out=project / "models", core_only=True, progress=lambda _: None)
    manifest = read_manifest(result.model_dir)
    assert manifest.parts == ["core"]
    assert not (result.model_dir / "nlu").exists()


@pytest.mark.parametrize("processes", ["1", ""])
def test_dialogue_trains_beside_nlu_or_after_it_alike(
    project: Path, processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a spare core TED trains in a second process while DIET trains (the machines
    # this runs on have two); STRATUS_TRAINING_PROCESSES=1 keeps one process.
    from stratus_train import background
    from stratus_train.train import train

    monkeypatch.setenv(background.PROCESSES_ENV, processes)
    started: list[object] = []
    real_start = background.CoreInBackground.start
    monkeypatch.setattr(
        background.CoreInBackground,
        "start",
        classmethod(lambda cls, *a: started.append(a) or real_start(*a)),
    )
    lines: list[str] = []
    result = train(project, out=project / "models", progress=lines.append)
    assert len(started) == (0 if processes == "1" or background.usable_cores() < 2 else 1)
    core = result.model_dir / "core"
    assert (core / "ted").is_dir() and (core / "rule_policy.json").is_file()
    assert any(line.startswith("TEDPolicy: epoch 5/5") for line in lines)
    assert any(line.startswith("DIETClassifier: epoch 5/5") for line in lines)
    domain = load_model_domain(result.model_dir)
    assert PolicyEnsemble.load(core, domain) is not None


def test_a_dialogue_error_from_the_second_process_names_its_place(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stratus_train import background
    from stratus_train.train import train

    monkeypatch.setenv(background.PROCESSES_ENV, "")

    rules = project / "data" / "rules.yml"
    rules.write_text(
        rules.read_text()
        + "\n- rule: greet back\n  steps:\n  - intent: greet\n  - action: utter_goodbye\n"
    )
    with pytest.raises(ProjectError) as caught:
        train(project, out=project / "models", progress=lambda _: None)
    assert caught.value.problems, "the problems survive the trip between processes"
    assert "greet back" in str(caught.value)
    assert not list((project / "models").glob("*/manifest.json"))


def test_a_script_without_a_main_guard_trains_once(project: Path, tmp_path: Path) -> None:
    # multiprocessing's spawn would re-run such a script in the child, which would then
    # train (and spawn) again; the child is a fresh `python -m` interpreter instead.
    import os
    import subprocess
    import sys

    script = tmp_path / "train_it.py"
    script.write_text(
        "from stratus_train.train import train\n"
        f"result = train({str(project)!r}, out={str(project / 'models')!r}, "
        "progress=lambda line: print(line, flush=True))\n"
        "print('MODEL', result.model_dir)\n"
    )
    env = {**os.environ, "STRATUS_TRAINING_PROCESSES": ""}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("MODEL ") == 1
    assert "TEDPolicy: epoch 5/5" in done.stdout
    assert len(list((project / "models").glob("*/manifest.json"))) == 1
