"""An exported NLU model: an onnxruntime session plus the metadata the trainer wrote beside it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from stratus.nlu.component import read_json
from stratus.nlu.entity_tags import Crf
from stratus.nlu.features import FeatureLayout, build_inputs
from stratus.nlu.input_layer import KERNEL_FILE, SparseInputLayer, layer_inputs
from stratus.nlu.message import Message

MODEL_FILE = "model.onnx"
META_FILE = "meta.json"
TRANSITIONS_FILE = "transitions.npz"
# kind ("role", "group") -> [entity tags, kind tags]: what each entity tag adds to that
# kind's logits (Rasa feeds the entity CRF's path to the role and group CRFs). Models
# trained before 2026-12-05 have none: their graphs read the entity softmax instead.
ENTITY_TAG_TABLES_FILE = "entity_tag_tables.npz"
LABEL_SCORES = "label_scores"  # [batch, labels]: similarity of the text to each label
# [batch, labels]: softmax of the scores, computed in the graph (models exported before
# 2026-12-05 do not have it; `label_confidences` then computes it here)
LABEL_CONFIDENCES = "label_confidences"
# [batch, tokens, tags] per tag kind ("entity", "role", "group")
TAG_LOGITS = "{kind}_logits"
# Rasa's `max_sequence_length` is unbounded for DIET; a message longer than this many
# tokens is cut (with a warning) so one giant message cannot stall a Lambda.
DEFAULT_MAX_TOKENS = 512


def session_options() -> Any:
    """One thread each: a Lambda has one vCPU per request and threads only add p99 jitter."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return options


class OnnxModel:
    """Runs `model.onnx` on featurized messages."""

    def __init__(self, directory: Path) -> None:
        import onnxruntime as ort

        self.meta: dict[str, Any] = read_json(directory / META_FILE)
        self.layout = FeatureLayout.from_dict(self.meta["layout"])
        self.max_tokens = int(self.meta.get("max_tokens", DEFAULT_MAX_TOKENS))
        self.session = ort.InferenceSession(
            str(directory / MODEL_FILE), session_options(), providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._outputs = [o.name for o in self.session.get_outputs()]
        # Models exported before 2026-12-06 hold the sparse input layer in the graph.
        self.input_layer = (
            SparseInputLayer.load(directory, self.layout)
            if (directory / KERNEL_FILE).exists()
            else None
        )
        transitions = directory / TRANSITIONS_FILE
        # One CRF per tag kind ("entity", "role", "group") the model predicts.
        self.crfs: dict[str, Crf] = {}
        if transitions.exists():
            with np.load(transitions) as data:
                self.crfs = {k: Crf(data[k]) for k in data.files}
        tables = directory / ENTITY_TAG_TABLES_FILE
        self.entity_tag_tables: dict[str, np.ndarray] = {}
        if tables.exists():
            with np.load(tables) as data:
                self.entity_tag_tables = {k: data[k] for k in data.files}

    def run(self, messages: list[Message]) -> dict[str, np.ndarray]:
        if self.input_layer is not None:
            inputs = layer_inputs(messages, self.layout, self.max_tokens, self.input_layer)
        else:
            inputs = build_inputs(messages, self.layout, self.max_tokens)
        # The exporter drops inputs a model does not use (no transformer: no token features).
        feeds = {k: v for k, v in inputs.items() if k in self._inputs}
        return dict(zip(self._outputs, self.session.run(self._outputs, feeds)))


def label_confidences(out: dict[str, np.ndarray], b: int) -> np.ndarray:
    """Message b's label confidences: the graph's softmax (onnxruntime's kernel costs
    ~2 us; numpy's five calls on a cache the network run has just evicted cost ~20 us)."""
    confidences = out.get(LABEL_CONFIDENCES)
    return confidences[b] if confidences is not None else softmax(out[LABEL_SCORES][b])


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def rank(
    labels: list[str], confidences: np.ndarray, ranking_length: int, renormalize: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Top label and the ranking (Rasa's `rank_and_mask`: top-N, optionally renormalised)."""
    order = np.argsort(confidences, kind="stable")[::-1]
    if 0 < ranking_length < len(order):
        order = order[:ranking_length]
    else:
        renormalize = False
    # Python floats from here: a parse builds dicts of a few labels, and indexing numpy
    # arrays element by element costs more than the list conversion.
    conf, kept = confidences.tolist(), order.tolist()
    total = math.fsum(conf[i] for i in kept) if renormalize else 1.0
    if not total > 0:
        total = 1.0
    ranking = [{"name": labels[i], "confidence": conf[i] / total} for i in kept]
    return dict(ranking[0]), ranking
