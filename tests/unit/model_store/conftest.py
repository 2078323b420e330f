"""Fixtures for the model store tests: small model directories with real manifests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stratus.model.manifest import write_manifest

MakeModel = Callable[..., Path]


@pytest.fixture
def make_model() -> MakeModel:
    """`make_model(folder, name, trained_at=..., files={...})` writes a model directory:
    the given files plus a manifest with their hashes."""

    def make(
        folder: Path,
        name: str,
        trained_at: str = "2026-11-22T04:40:00+00:00",
        files: dict[str, str] | None = None,
    ) -> Path:
        model_dir = folder / name
        for rel, text in (files or {"nlu/pipeline.json": f'{{"model": "{name}"}}'}).items():
            (model_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (model_dir / rel).write_text(text)
        write_manifest(
            model_dir,
            stratus_version="0.1.0",
            rasa_compatible_version="3.6.21",
            model_id=f"id-{name}",
            trained_at=trained_at,
            assistant_id="test",
            config={},
            parts=["nlu"],
            fingerprints={"nlu": "0" * 64},
        )
        return model_dir

    return make
