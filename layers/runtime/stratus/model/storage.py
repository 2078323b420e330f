"""Where models live: a model directory, or a folder of them (the newest one wins, as in Rasa)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from stratus.model.manifest import MANIFEST_FILE, Manifest, read_manifest
from stratus.shared.exceptions import IncompatibleModelError

DEFAULT_MODELS_DIR = "models"


def is_model_dir(path: Path) -> bool:
    return (path / MANIFEST_FILE).is_file()


def newest_model(folder: Path) -> Path | None:
    """The most recently trained model directly inside `folder`, if any."""
    candidates: list[tuple[str, str, Path]] = []
    for child in folder.iterdir() if folder.is_dir() else []:
        if not is_model_dir(child):
            continue
        try:
            manifest = read_manifest(child)
        except IncompatibleModelError:
            continue  # an old model in the folder must not hide a usable newer one
        candidates.append((manifest.trained_at, child.name, child))
    return max(candidates)[2] if candidates else None


def resolve_model_dir(path: str | Path) -> Path:
    """`--model` as Rasa reads it: one model, or a folder whose newest model is used."""
    path = Path(path)
    if is_model_dir(path):
        return path
    if not path.exists():
        raise IncompatibleModelError(f"No model found at '{path}'; train one with `stratus train`.")
    newest = newest_model(path)
    if newest is None:
        raise IncompatibleModelError(
            f"'{path}' holds no Stratus model that this version can load; train one with "
            "`stratus train`."
        )
    return newest


def new_model_dir(out: Path, now: datetime | None = None) -> Path:
    """A fresh, uniquely named directory for a model (`20261122-044000-k3x9`)."""
    now = now or datetime.now(UTC)
    out.mkdir(parents=True, exist_ok=True)
    while True:
        candidate = out / f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue


def load_manifest_of(path: str | Path) -> tuple[Path, Manifest]:
    model_dir = resolve_model_dir(path)
    return model_dir, read_manifest(model_dir)
