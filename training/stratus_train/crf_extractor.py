"""Training CRFEntityExtractor: Rasa 3.6's CRFsuite models on Rasa's features, exported as
weight arrays for the engine (`stratus.nlu.crf_extractor`)."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stratus.nlu.component import Component, write_json
from stratus.nlu.crf_extractor import (
    META_FILE,
    WEIGHTS_FILE,
    CRFEntityExtractor,
    crf_tokens,
    token_features,
)
from stratus.nlu.entity_tags import ENTITY, GROUP, ROLE, annotation_tags, is_aligned
from stratus.nlu.featurizers.regex_featurizer import RegexFeaturizer
from stratus.nlu.message import Message, Token
from stratus.shared.training_data.message import NluExample

if TYPE_CHECKING:
    from stratus_train.neural import NeuralContext

logger = logging.getLogger(__name__)


def train_crf_extractor(
    component: Component, messages: list[Message], directory: Path, ctx: NeuralContext
) -> None:
    """The NEURAL_TRAINERS entry for CRFEntityExtractor."""
    assert isinstance(component, CRFEntityExtractor)
    config = component.config
    wanted = set(config.get("featurizers") or [])
    feature_keys = sorted(c.key for c in ctx.components if c.alias in wanted) if wanted else None
    pattern_names = {
        c.key: [p.name for p in c.patterns]
        for c in ctx.components
        if isinstance(c, RegexFeaturizer) and c.patterns
    }
    shaped = CRFEntityExtractor(config, feature_keys=feature_keys)
    # Rasa's training set: every example with tokens and features, entities or not.
    examples = [m for m in messages if m.example and m.tokens and shaped.has_features(m)]
    annotations = [a for m in examples if m.example for a in m.example.entities]
    # Rasa trains a CRF only for the kinds the data has.
    order = [
        kind
        for kind, present in (
            (ENTITY, bool(annotations)),
            (ROLE, any(a.role for a in annotations)),
            (GROUP, any(a.group for a in annotations)),
        )
        if present
    ]
    meta: dict[str, Any] = {
        "order": order,
        "taggers": {},
        "pattern_names": pattern_names,
        "feature_keys": feature_keys,
    }
    if not order:
        if not examples:
            logger.warning(
                "CRFEntityExtractor learns only from messages with features, as Rasa's "
                "does, and no featurizer gave any%s: add a featurizer (for example "
                "CountVectorsFeaturizer) before it. It will extract no entities.",
                f" of {feature_keys}" if feature_keys else "",
            )
        else:
            logger.warning("CRFEntityExtractor: no entity annotations to learn; it extracts none.")
        write_json(directory / META_FILE, meta)
        return
    import pycrfsuite

    bilou = bool(config["BILOU_flag"])
    windows = config["features"]
    sequences = []
    left_out = 0
    for m in examples:
        assert m.example is not None
        tokens = crf_tokens(m, pattern_names, shaped.feature_keys)
        example = aligned(m.tokens, m.example)
        left_out += len(m.example.entities) - len(example.entities)
        for token, tag in zip(tokens, annotation_tags(m.tokens, example, ENTITY, bilou)):
            token.entity_tag = tag  # the role and group CRFs learn from the gold tags
        sequences.append((m.tokens, example, tokens))
    if left_out:
        logger.warning(
            "CRFEntityExtractor leaves out the %d entity annotations that do not start and "
            "end at token boundaries, as Rasa's does (DIETClassifier trains on the tokens "
            "they overlap).",
            left_out,
        )
    arrays: dict[str, np.ndarray] = {}
    ctx.progress(
        f"    Training CRFEntityExtractor ({', '.join(order)}) on {len(examples)} examples"
    )
    with tempfile.TemporaryDirectory(prefix="stratus-crf-") as tmp:
        for kind in order:
            trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
            # sklearn-crfsuite's CRF as Rasa configures it
            trainer.set_params(
                {
                    "c1": config["L1_c"],
                    "c2": config["L2_c"],
                    "max_iterations": config["max_iterations"],
                    "feature.possible_transitions": True,
                }
            )
            for message_tokens, example, tokens in sequences:
                trainer.append(
                    token_features(tokens, windows, kind != ENTITY),
                    annotation_tags(message_tokens, example, kind, bilou),
                )
            model_file = str(Path(tmp) / f"{kind}.crfsuite")
            trainer.train(model_file)
            tagger = pycrfsuite.Tagger()
            tagger.open(model_file)
            info, labels = tagger.info(), list(tagger.labels())
            tagger.close()
            meta["taggers"][kind] = _export(kind, labels, info, arrays)
    np.savez(directory / WEIGHTS_FILE, **arrays)
    write_json(directory / META_FILE, meta)


def aligned(tokens: list[Token], example: NluExample) -> NluExample:
    """The example with only the annotations that start and end at token boundaries:
    Rasa's BILOU tagging leaves the others' tokens "O" (the CRF learns them as no entity),
    and a CRF trained otherwise tags Rasa's test messages differently (SNIPS: 26 of 699
    from its 5 misaligned training annotations)."""
    kept = tuple(a for a in example.entities if is_aligned(tokens, a))
    return (
        example
        if len(kept) == len(example.entities)
        else dataclasses.replace(example, entities=kept)
    )


def _export(kind: str, labels: list[str], info: Any, arrays: dict[str, np.ndarray]) -> dict:
    """The model's state weights as CSR rows per attribute, and its transition matrix.

    CRFsuite's model dump (what `Tagger.info` reads) prints weights with six decimals: the
    marginals served differ from CRFsuite's own by ~1e-5 at most."""
    label_index = {label: i for i, label in enumerate(labels)}
    by_attribute: dict[str, list[tuple[int, float]]] = {}
    for (attribute, label), weight in info.state_features.items():
        by_attribute.setdefault(attribute, []).append((label_index[label], weight))
    names = sorted(by_attribute)
    pointers = np.zeros(len(names) + 1, dtype=np.int64)
    pointers[1:] = np.cumsum([len(by_attribute[n]) for n in names])
    cells = [cell for n in names for cell in sorted(by_attribute[n])]
    transitions = np.zeros((len(labels), len(labels)))
    for (source, target), weight in info.transitions.items():
        transitions[label_index[source], label_index[target]] = weight
    arrays[f"{kind}_pointers"] = pointers
    arrays[f"{kind}_labels"] = np.array([c[0] for c in cells], dtype=np.int32)
    arrays[f"{kind}_weights"] = np.array([c[1] for c in cells], dtype=np.float64)
    arrays[f"{kind}_transitions"] = transitions
    return {"labels": labels, "attributes": names}
