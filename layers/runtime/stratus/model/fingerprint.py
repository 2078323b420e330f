"""Fingerprints of what a model part was trained from, to skip retraining when nothing changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from stratus import __version__
from stratus.model.manifest import FORMAT_VERSION
from stratus.shared.training_data.message import NluData


def fingerprint(value: Any) -> str:
    """sha256 of a canonical JSON rendering (keys sorted, no whitespace)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def nlu_data_as_json(data: NluData) -> dict[str, Any]:
    """NLU data without file names and line numbers: moving a file changes nothing."""
    return {
        "examples": [
            [
                e.text,
                e.intent,
                e.response_key,
                [a.as_dict() for a in e.entities],
                dict(e.metadata or {}),
            ]
            for e in data.examples
        ],
        "synonyms": dict(data.synonyms),
        "regexes": [[r.name, r.pattern] for r in data.regexes],
        "lookup_tables": [[t.name, list(t.elements)] for t in data.lookup_tables],
    }


def nlu_fingerprint(
    language: str,
    pipeline: Sequence[Mapping[str, Any]],
    data: NluData,
    responses: Mapping[str, Any] | None = None,
    domain: Mapping[str, Any] | None = None,
) -> str:
    """Everything the NLU part of a model depends on, code version included."""
    return fingerprint(
        {
            "format_version": FORMAT_VERSION,
            "stratus_version": __version__,
            "language": language,
            "pipeline": list(pipeline),
            "data": nlu_data_as_json(data),
            "responses": dict(responses or {}),
            "domain": dict(domain or {}),
        }
    )
