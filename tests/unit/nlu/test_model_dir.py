"""Model directories: manifest, format version, hashes, newest model in a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.model.manifest import (
    FORMAT_VERSION,
    INT8_KERNELS_FORMAT_VERSION,
    READABLE_FORMAT_VERSIONS,
    read_manifest,
    verify_files,
    write_manifest,
)
from stratus.model.storage import new_model_dir, resolve_model_dir
from stratus.shared.exceptions import IncompatibleModelError


def make_model(folder: Path, trained_at: str) -> Path:
    model = new_model_dir(folder)
    (model / "nlu").mkdir()
    (model / "nlu" / "pipeline.json").write_text("{}")
    write_manifest(
        model,
        stratus_version="0.1.0",
        rasa_compatible_version="3.6.21",
        model_id="x",
        trained_at=trained_at,
        assistant_id=None,
        config={},
        parts=["nlu"],
        fingerprints={"nlu": "f"},
    )
    return model


def test_manifest_round_trip_and_hashes(tmp_path: Path) -> None:
    model = make_model(tmp_path, "2026-01-01T00:00:00+00:00")
    manifest = read_manifest(model)
    assert manifest.format_version == FORMAT_VERSION
    assert list(manifest.files) == ["nlu/pipeline.json"]
    assert verify_files(model, manifest) == []
    (model / "nlu" / "pipeline.json").write_text('{"changed": 1}')
    assert verify_files(model, manifest) == ["nlu/pipeline.json"]


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    model = make_model(tmp_path, "2026-01-01T00:00:00+00:00")
    data = json.loads((model / "manifest.json").read_text())
    data["format_version"] = max(READABLE_FORMAT_VERSIONS) + 1
    (model / "manifest.json").write_text(json.dumps(data))
    refused = "format version 3.*reads versions 1 and 2"
    with pytest.raises(IncompatibleModelError, match=refused):
        read_manifest(model)


def test_a_model_marked_for_int8_kernels_is_read(tmp_path: Path) -> None:
    model = make_model(tmp_path, "2026-01-01T00:00:00+00:00")
    data = json.loads((model / "manifest.json").read_text())
    data["format_version"] = INT8_KERNELS_FORMAT_VERSION
    (model / "manifest.json").write_text(json.dumps(data))
    assert read_manifest(model).format_version == INT8_KERNELS_FORMAT_VERSION
    assert resolve_model_dir(tmp_path) == model


def test_folder_resolves_to_the_newest_loadable_model(tmp_path: Path) -> None:
    old = make_model(tmp_path, "2026-01-01T00:00:00+00:00")
    new = make_model(tmp_path, "2026-06-01T00:00:00+00:00")
    assert resolve_model_dir(tmp_path) == new
    assert resolve_model_dir(old) == old
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(IncompatibleModelError, match="No model found"):
        resolve_model_dir(tmp_path / "missing")
    with pytest.raises(IncompatibleModelError, match="no Stratus model"):
        resolve_model_dir(tmp_path / "not-a-model")
