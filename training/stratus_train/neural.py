"""Trainers of the neural components: what their labels, tags and features are."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stratus.nlu.component import QUANTIZE, Component, write_json
from stratus.nlu.entity_tags import ENTITY, GROUP, ROLE, annotation_tags, tag_names
from stratus.nlu.features import FeatureLayout
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import META_FILE
from stratus.nlu.pipeline import MAX_TOKENS
from stratus.nlu.response_selector import UTTER_PREFIX
from stratus.nlu.tokenizers import Tokenizer
from stratus_train.crf_extractor import train_crf_extractor
from stratus_train.embedding_trainer import (
    Progress,
    export_network,
    make_training_set,
    train_network,
)
from stratus_train.language_model import train_language_model
from stratus_train.logistic_regression import train_logistic_regression
from stratus_train.network import TaskSpec, label_option
from stratus_train.quantize import quantize_network

logger = logging.getLogger(__name__)
# How many training examples the TF-vs-ONNX check runs on.
CHECK_EXAMPLES = 32


@dataclass
class NeuralContext:
    """What a neural trainer may look at besides its own config."""

    components: list[Component]  # the components before this one, trained
    tokenizer: Tokenizer | None
    responses: Mapping[str, list[dict[str, Any]]]
    progress: Progress


def feature_keys(config: dict[str, Any], components: list[Component]) -> set[str] | None:
    """Keys of the featurizers named in the `featurizers` option (None: all of them)."""
    wanted = config.get("featurizers") or []
    if not wanted:
        return None
    return {c.key for c in components if c.alias in wanted}


def label_features(
    labels: list[str], tokenizer: Tokenizer | None, last_token_only: bool = False
) -> np.ndarray:
    """Each label's token counts (split at `/`, and at `intent_split_symbol` when
    `intent_tokenization_flag` is on): the sum of Rasa's per-token rows.

    `last_token_only`: the last token's row alone. Rasa's ResponseSelector (DIET2DIET)
    embeds a label from the last position of its sequence layer, which with no label
    transformer has seen only that token: the response key of `faq/ask_name`, never the
    retrieval intent that all of its labels share. Where that would give two labels the
    same row (`intent_tokenization_flag` splitting `faq/ask_name` and `chitchat/my_name`
    down to `name`), which Rasa then cannot tell apart, every token is kept instead.
    """
    tokens = _label_tokens(labels, tokenizer)
    last = [words[-1:] for words in tokens]
    if last_token_only and len({tuple(words) for words in last}) == len(labels):
        tokens = last
    vocabulary = _vocabulary(tokens)
    features = np.zeros((len(labels), max(len(vocabulary), 1)), dtype=np.float32)
    for row, words in enumerate(tokens):
        for w in words:
            features[row, vocabulary[w]] += 1.0
    return features


def label_token_ids(labels: list[str], tokenizer: Tokenizer | None) -> np.ndarray:
    """[labels, tokens of the longest label]: each label's tokens in order, as columns of
    `label_features(labels, tokenizer)` (-1 after a label's last token). What a label
    transformer reads: Rasa's ResponseSelector with `number_of_transformer_layers`
    embeds a label from its last token after attending over all of them."""
    tokens = _label_tokens(labels, tokenizer)
    vocabulary = _vocabulary(tokens)
    ids = np.full((len(labels), max(1, *map(len, tokens))), -1, dtype=np.int32)
    for row, words in enumerate(tokens):
        ids[row, : len(words)] = [vocabulary[w] for w in words]
    return ids


def _label_tokens(labels: list[str], tokenizer: Tokenizer | None) -> list[list[str]]:
    """Each label's tokens: split at `/`, and at `intent_split_symbol` when
    `intent_tokenization_flag` is on; a label the tokenizer finds no word in is one token."""
    if tokenizer is None:
        return [[label] for label in labels]
    return [[t.text for t in tokenizer.split_intent(label)] or [label] for label in labels]


def _vocabulary(tokens: list[list[str]]) -> dict[str, int]:
    return {w: i for i, w in enumerate(sorted({w for ws in tokens for w in ws}))}


def _fit_and_export(
    name: str,
    config: dict[str, Any],
    messages: list[Message],
    layout: FeatureLayout,
    spec: TaskSpec,
    label_ids: list[int],
    directory: Path,
    meta: dict[str, Any],
    progress: Progress,
) -> None:
    tags = {
        kind: [
            [
                names.index(t)
                for t in annotation_tags(
                    m.tokens[:MAX_TOKENS], m.example, kind, bool(config.get("BILOU_flag"))
                )
            ]
            if m.example
            else [0] * len(m.tokens[:MAX_TOKENS])
            for m in messages
        ]
        for kind, names in spec.tags.items()
    }
    data = make_training_set(messages, layout, label_ids, tags)
    progress(
        f"Training {name} on {len(messages)} examples ({len(spec.labels)} labels, "
        f"{len(spec.tags.get('entity', []))} entity tags) ..."
    )
    net = train_network(config, layout, spec, data, name, progress)
    check = messages[:CHECK_EXAMPLES]
    worst = export_network(net, directory, meta, check)
    logger.info("%s exported to ONNX (max |TF - ONNX| = %.1e)", name, worst)
    if config.get(QUANTIZE):
        report = quantize_network(directory, check)
        progress(f"{name}: int8 weights ({_agreement_line(report)})")


def _agreement_line(report: dict[str, float]) -> str:
    """`quantize_network`'s report, as the training log shows it."""
    parts = [f"{int(report['nodes'])} weight matrices"]
    if "same_label" in report:
        parts.append(f"same top label on {report['same_label']:.0%} of the check examples")
        parts.append(f"confidences within {report['max_confidence_change']:.3f}")
    parts += [
        f"same {k[len('same_') : -len('_tag')]} tag on {v:.1%} of their tokens"
        for k, v in report.items()
        if k.endswith("_tag")
    ]
    return ", ".join(parts)


def train_diet(
    component: Component, messages: list[Message], directory: Path, ctx: NeuralContext
) -> None:
    config = component.config
    layout = FeatureLayout.of(messages, feature_keys(config, ctx.components))
    intents = sorted({m.example.intent for m in messages if m.example and m.example.intent})
    labels = intents if config["intent_classification"] else []
    if labels and len(labels) < 2:
        logger.warning(
            "DIETClassifier needs at least 2 intents to classify; found %s. It "
            "will not predict intents.",
            labels,
        )
        labels = []
    tags: dict[str, list[str]] = {}
    if config["entity_recognition"]:
        annotations = [a for m in messages if m.example for a in m.example.entities]
        bilou = bool(config["BILOU_flag"])
        for kind, values in (
            (ENTITY, [a.entity for a in annotations]),
            (ROLE, [a.role for a in annotations if a.role]),
            (GROUP, [a.group for a in annotations if a.group]),
        ):
            if values:
                tags[kind] = tag_names(values, bilou)
    meta = {"labels": labels, "tags": tags}
    if not labels and not tags:
        logger.warning(
            "DIETClassifier has nothing to learn (no intents to tell apart, no "
            "entities); it will predict nothing."
        )
        write_json(directory / META_FILE, {**meta, "layout": layout.as_dict()})
        return
    spec = TaskSpec(labels, label_features(labels, ctx.tokenizer), tags)
    index = {label: i for i, label in enumerate(labels)}
    label_ids = [
        index.get(m.example.intent, -1) if m.example and m.example.intent else -1 for m in messages
    ]
    _fit_and_export(
        component.name, config, messages, layout, spec, label_ids, directory, meta, ctx.progress
    )


def train_response_selector(
    component: Component, messages: list[Message], directory: Path, ctx: NeuralContext
) -> None:
    config = component.config
    retrieval = [m for m in messages if m.example and m.example.response_key]
    all_retrieval_intents = sorted(
        {m.example.intent for m in retrieval if m.example and m.example.intent}
    )
    wanted = config.get("retrieval_intent")
    if wanted:
        retrieval = [m for m in retrieval if m.example and m.example.intent == wanted]
    labels = sorted(
        {m.example.full_intent for m in retrieval if m.example and m.example.full_intent}
    )
    responses = {
        f"{UTTER_PREFIX}{k}": list(ctx.responses.get(f"{UTTER_PREFIX}{k}", [])) for k in labels
    }
    for key, found in responses.items():
        if not found:
            logger.warning(
                "ResponseSelector: no response '%s' is defined; it will answer with "
                "the key itself.",
                key,
            )
    meta = {
        "labels": labels,
        "responses": responses,
        "all_retrieval_intents": all_retrieval_intents,
    }
    layout = FeatureLayout.of(messages, feature_keys(config, ctx.components))
    if len(labels) < 1:
        write_json(directory / META_FILE, {**meta, "layout": layout.as_dict()})
        return
    # Rasa's ResponseSelector (DIET2DIET) reads a label at its last token: after a label
    # transformer has attended over all of its tokens, or, without one, that token alone.
    transformer = int(label_option(config, "number_of_transformer_layers") or 0) > 0
    spec = TaskSpec(
        labels,
        label_features(labels, ctx.tokenizer, last_token_only=not transformer),
        label_tokens=label_token_ids(labels, ctx.tokenizer) if transformer else None,
    )
    index = {label: i for i, label in enumerate(labels)}
    label_ids = [
        index[m.example.full_intent] for m in retrieval if m.example and m.example.full_intent
    ]
    _fit_and_export(
        component.name, config, retrieval, layout, spec, label_ids, directory, meta, ctx.progress
    )


NeuralTrainer = Callable[[Component, list[Message], Path, NeuralContext], None]
# The one table of trainers for the components the engine marks `neural`.
NEURAL_TRAINERS: dict[str, NeuralTrainer] = {
    "DIETClassifier": train_diet,
    "ResponseSelector": train_response_selector,
    "LanguageModelFeaturizer": train_language_model,
    "LogisticRegressionClassifier": train_logistic_regression,
    "CRFEntityExtractor": train_crf_extractor,
}
