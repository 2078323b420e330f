"""DIETClassifier at serving time: onnxruntime for the network, numpy for the CRF."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stratus.nlu.component import QUANTIZE, Component
from stratus.nlu.entity_tags import (
    ENTITY,
    GROUP,
    ROLE,
    ensure_consistent_bilou,
    entities_from_tags,
)
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import TAG_LOGITS, OnnxModel, label_confidences, rank

logger = logging.getLogger(__name__)

# Rasa 3.6's DIETClassifier defaults, option for option.
DIET_DEFAULTS: dict[str, Any] = {
    "hidden_layers_sizes": {"text": [], "label": []},
    "share_hidden_layers": False,
    "transformer_size": 256,
    "number_of_transformer_layers": 2,
    "number_of_attention_heads": 4,
    "use_key_relative_attention": False,
    "use_value_relative_attention": False,
    "max_relative_position": 5,
    "unidirectional_encoder": False,
    "batch_size": [64, 256],
    "batch_strategy": "balanced",
    "epochs": 300,
    "random_seed": None,
    "learning_rate": 0.001,
    "embedding_dimension": 20,
    "dense_dimension": {"text": 128, "label": 20},
    "concat_dimension": {"text": 128, "label": 20},
    "number_of_negative_examples": 20,
    "similarity_type": "auto",
    "loss_type": "cross_entropy",
    "ranking_length": 10,
    "maximum_positive_similarity": 0.8,
    "maximum_negative_similarity": -0.4,
    "use_maximum_negative_similarity": True,
    "scale_loss": False,
    "regularization_constant": 0.002,
    "negative_margin_scale": 0.8,
    "drop_rate": 0.2,
    "drop_rate_attention": 0,
    "connection_density": 0.2,
    "use_sparse_input_dropout": True,
    "use_dense_input_dropout": True,
    "evaluate_every_number_of_epochs": 20,
    "evaluate_on_number_of_examples": 0,
    "intent_classification": True,
    "entity_recognition": True,
    "use_masked_language_model": False,
    "BILOU_flag": True,
    "tensorboard_log_directory": None,
    "tensorboard_log_level": "epoch",
    "checkpoint_model": False,
    "featurizers": [],
    "split_entities_by_comma": True,
    "constrain_similarities": False,
    "model_confidence": "softmax",
    "renormalize_confidences": False,
    "run_eagerly": False,
    "drop_small_last_batch": False,
}


def split_config(value: Any) -> dict[str, bool]:
    """`split_entities_by_comma` as Rasa reads it: a bool, or a per-entity mapping."""
    if isinstance(value, dict):
        return {"split_entities_by_comma": True, **{str(k): bool(v) for k, v in value.items()}}
    return {"split_entities_by_comma": bool(value)}


class DIETClassifier(Component):
    """Joint intent classification and entity recognition (Rasa's DIET)."""

    name = "DIETClassifier"
    defaults: ClassVar[dict[str, Any]] = DIET_DEFAULTS
    neural = True
    # Options for other hardware or for TensorBoard; accepted and ignored by Stratus.
    ignored_options = frozenset({"use_gpu"})
    stratus_options = frozenset({QUANTIZE})

    def __init__(self, config: dict[str, Any], model: OnnxModel | None = None) -> None:
        super().__init__(config)
        self.model = model
        meta = model.meta if model else {}
        self.labels: list[str] = meta.get("labels") or []
        self.tags: dict[str, list[str]] = meta.get("tags") or {}
        self._split = split_config(config.get("split_entities_by_comma", True))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> DIETClassifier:
        # A model whose training data had nothing to learn (one intent, no entities) has no
        # network; it predicts nothing, as Rasa's untrained DIET does.
        model = OnnxModel(directory) if (directory / "model.onnx").exists() else None
        return cls(config, model)

    def process(self, messages: list[Message]) -> None:
        out = self.model.run(messages) if self.model and messages else None
        for b, message in enumerate(messages):
            if self.config["intent_classification"]:
                confidences = label_confidences(out, b) if out and self.labels else None
                self._set_intent(message, confidences)
            if self.config["entity_recognition"]:
                found = self._entities(message, out, b) if out else []
                message.entities = (message.entities or []) + found

    def _set_intent(self, message: Message, confidences: np.ndarray | None) -> None:
        if confidences is None or confidences.size == 0:
            message.intent = {"name": None, "confidence": 0.0}
            message.intent_ranking = []
            return
        renormalize = bool(self.config["renormalize_confidences"])
        message.intent, message.intent_ranking = rank(
            self.labels, confidences, int(self.config["ranking_length"]), renormalize
        )

    def _entities(
        self, message: Message, out: dict[str, np.ndarray], b: int
    ) -> list[dict[str, Any]]:
        assert self.model is not None
        length = min(len(message.tokens), self.model.max_tokens)
        if length == 0 or not self.tags.get(ENTITY):
            return []
        bilou = bool(self.config["BILOU_flag"])
        tags: dict[str, list[str]] = {}
        confidences: dict[str, list[float]] = {}
        entity_path: list[int] = []
        for kind in (ENTITY, ROLE, GROUP):
            names = self.tags.get(kind)
            key = TAG_LOGITS.format(kind=kind)
            if not names or key not in out:
                continue
            crf, logits = self.model.crfs[kind], out[key][b, :length]
            table = self.model.entity_tag_tables.get(kind)
            if table is not None:  # a role or group reads the entity path
                logits = logits + table[entity_path]
            path = crf.best_path(logits)
            if kind == ENTITY:
                entity_path = path
            if not any(path):  # Rasa skips a kind when nothing but "O" was predicted
                if kind == ENTITY:
                    return []
                continue
            conf = crf.confidences(logits, path)
            kind_tags = [names[i] for i in path]
            if bilou:
                kind_tags, conf = ensure_consistent_bilou(kind_tags, conf)
            tags[kind], confidences[kind] = kind_tags, conf
        if ENTITY not in tags:
            return []
        entities = entities_from_tags(
            message.text, message.tokens[:length], tags, confidences, self._split
        )
        for entity in entities:
            entity["extractor"] = self.name
        return entities
