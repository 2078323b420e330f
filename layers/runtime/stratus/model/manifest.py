"""manifest.json: what a model directory holds and how it was made.

{"format_version": 1, "stratus_version": "0.1.0", "rasa_compatible_version": "3.6.21",
 "model_id": "...", "trained_at": "2026-11-22T04:40:00.123456+00:00",
 "assistant_id": "...", "config": {filled config.yml}, "parts": ["nlu"],
 "fingerprints": {"nlu": "<sha256>"}, "versions": {"python": ..., "tensorflow": ...},
 "files": {"nlu/pipeline.json": "<sha256>", ...}}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from stratus.nlu.input_layer import SCALES_FILE
from stratus.shared.exceptions import IncompatibleModelError

# Bump when a model written by this code cannot be read by the previous reader, or back.
FORMAT_VERSION = 1
# A model with int8 sparse input kernels (`quantize: int8`) is marked 2: a reader of
# version 1 alone would take their int8 rows for float32 weights and parse nonsense
# without an error, so it refuses the model instead. Every other model stays 1, readable
# by older engines as before.
INT8_KERNELS_FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (FORMAT_VERSION, INT8_KERNELS_FORMAT_VERSION)
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    stratus_version: str
    rasa_compatible_version: str
    model_id: str
    trained_at: str
    assistant_id: str | None
    config: dict[str, Any]
    parts: list[str]
    fingerprints: dict[str, str]
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_files(model_dir: Path) -> dict[str, str]:
    """sha256 of every file under the model directory except the manifest itself."""
    return {
        p.relative_to(model_dir).as_posix(): sha256_file(p)
        for p in sorted(model_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }


def format_version(files: Mapping[str, str]) -> int:
    """The format version of a model holding `files`: 2 when an input kernel is int8 (its
    row scales are there), which engines reading version 1 alone must refuse."""
    int8 = any(PurePosixPath(name).name == SCALES_FILE for name in files)
    return INT8_KERNELS_FORMAT_VERSION if int8 else FORMAT_VERSION


def write_manifest(model_dir: Path, **values: Any) -> Manifest:
    """Hash the directory's files and write manifest.json; returns what was written."""
    files = hash_files(model_dir)
    manifest = Manifest(format_version=format_version(files), files=files, **values)
    (model_dir / MANIFEST_FILE).write_text(
        json.dumps(manifest.as_dict(), indent=2, sort_keys=True, ensure_ascii=False), "utf-8"
    )
    return manifest


def read_manifest(model_dir: Path) -> Manifest:
    """The manifest of a model directory; refuses what this version cannot load."""
    path = model_dir / MANIFEST_FILE
    try:
        data: Mapping[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise IncompatibleModelError(
            f"{model_dir} is not a Stratus model (no {MANIFEST_FILE}); train one with "
            "`stratus train`."
        ) from e
    except (OSError, ValueError) as e:
        raise IncompatibleModelError(f"{path} cannot be read: {e}") from e
    version = data.get("format_version") if isinstance(data, Mapping) else None
    if version not in READABLE_FORMAT_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_FORMAT_VERSIONS)
        raise IncompatibleModelError(
            f"{model_dir} has model format version {version!r}, but this Stratus reads "
            f"versions {readable}; retrain it with `stratus train --force`, or serve it "
            "with the Stratus version that trained it."
        )
    try:
        known = {k: data[k] for k in Manifest.__dataclass_fields__ if k in data}
        return Manifest(**known)
    except TypeError as e:
        raise IncompatibleModelError(f"{path} is incomplete: {e}") from e


def verify_files(model_dir: Path, manifest: Manifest) -> list[str]:
    """Files that are missing, changed or unexpected, compared with the manifest."""
    actual = hash_files(model_dir)
    wrong = [f for f, h in manifest.files.items() if actual.get(f) != h]
    return sorted(wrong + [f for f in actual if f not in manifest.files])
