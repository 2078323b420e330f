"""Fingerprints of what a model part was trained from, to skip retraining when nothing changed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from stratus import __version__
from stratus.model.manifest import FORMAT_VERSION
from stratus.shared.domain import Domain
from stratus.shared.training_data.message import NluData
from stratus.shared.training_data.stories import Rule, Story

# What the training code puts into a model, beyond the package version: raise it whenever
# training changes what a part contains (a new policy, a new graph), so `stratus train`
# retrains instead of reusing an older part built by the same version.
# 2: UnexpecTEDIntentPolicy is trained instead of skipped.
# 3: TED as Rasa's network (positions, bidirectional, gelu), augmented, balanced batches.
# 4: DIET's sampled label loss, L2 on the tag logits and CRF transitions, and role and
#    group heads that read the entity path (entity_tag_tables.npz).
# 5: DIET's and ResponseSelector's sparse input layers exported beside the graph
#    (input_kernel.npy, input_biases.npz) for the engine to compute.
# 6: DIET's and ResponseSelector's attention projections without query/key/value biases.
# 7: DIET's query/key/value projection starts with Rasa's Glorot range (three layers').
# 8: `scale_loss` scales DIET's and ResponseSelector's losses as Rasa's (it was ignored);
#    the ResponseSelector's default is off.
# 9: DIET's and ResponseSelector's `evaluate_on_number_of_examples` holds those examples
#    out of training, and `checkpoint_model` exports the best evaluation's weights.
# 10: TEDPolicy's `evaluate_on_number_of_examples` and `checkpoint_model` as well.
# 11: A ResponseSelector's `number_of_transformer_layers` gives its labels a transformer
#     too, as Rasa's (the labels had none).
TRAINING_REVISION = 11


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
            "training_revision": TRAINING_REVISION,
            "language": language,
            "pipeline": list(pipeline),
            "data": nlu_data_as_json(data),
            "responses": dict(responses or {}),
            "domain": dict(domain or {}),
        }
    )


def core_fingerprint(
    domain: Domain,
    stories: Sequence[Story],
    rules: Sequence[Rule],
    policies: Sequence[Mapping[str, Any]],
) -> str:
    """Changes exactly when anything the dialogue policies learn from changes."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{__version__}|{TRAINING_REVISION}|".encode())
    digest.update(domain.to_json().encode("utf-8"))
    digest.update(json.dumps(list(policies), sort_keys=True, default=str).encode("utf-8"))
    items: list[Story | Rule] = [*stories, *rules]
    for item in items:
        # steps carry file and line; a moved story should not retrain, so drop them
        steps = [_step_key(s) for s in item.steps]
        condition = [_step_key(s) for s in getattr(item, "condition", ())]
        flags = (
            getattr(item, "conversation_start", None),
            getattr(item, "wait_for_user_input", None),
        )
        digest.update(repr((item.kind, item.name, steps, condition, flags)).encode("utf-8"))
    return digest.hexdigest()


def _step_key(step: Any) -> Any:
    """A story step without where it was written."""
    if dataclasses.is_dataclass(step) and not isinstance(step, type):
        return (
            type(step).__name__,
            tuple(
                (f.name, _step_key(getattr(step, f.name)))
                for f in dataclasses.fields(step)
                if f.name not in ("file", "line")
            ),
        )
    if isinstance(step, tuple | list):
        return tuple(_step_key(s) for s in step)
    return repr(step)
