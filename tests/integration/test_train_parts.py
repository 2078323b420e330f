"""`stratus train` trains NLU and dialogue together, and reuses what did not change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.model.manifest import read_manifest, verify_files
from stratus.model.plan import load_model_domain
from stratus.shared.exceptions import ProjectError

pytestmark = pytest.mark.slow

MOODBOT = Path(__file__).resolve().parents[2].parent / "shared" / "rasa-fixtures" / "test_moodbot"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "moodbot"
    shutil.copytree(MOODBOT, root)
    # the fixture's config trains one epoch eagerly; keep it small but not degenerate
    config = (root / "config.yml").read_text().replace("    run_eagerly: True\n", "")
    (root / "config.yml").write_text(config.replace("epochs: 1", "epochs: 5"))
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
