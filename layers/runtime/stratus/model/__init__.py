"""Trained models on disk: a directory with a manifest (format, versions, hashes, fingerprints)."""

from stratus.model.manifest import FORMAT_VERSION, MANIFEST_FILE, Manifest, read_manifest
from stratus.model.storage import newest_model, resolve_model_dir

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "Manifest",
    "newest_model",
    "read_manifest",
    "resolve_model_dir",
]
