"""LogisticRegressionClassifier: Rasa 3.6's linear intent classifier over sentence features.

Rasa fits scikit-learn's LogisticRegression (lbfgs, balanced class weights, L2) on each
message's sentence features, sparse then dense, and ranks every intent by its
`predict_proba`. `stratus_train` fits the same estimator; the engine keeps only its
coefficients, so serving is one sparse dot product and a softmax in numpy (a sigmoid
with two intents, as scikit-learn's binary model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stratus.nlu.component import Component, read_json
from stratus.nlu.features import SENT_DENSE, FeatureLayout, dense_inputs
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import softmax

# [features, intents] (one column for two intents), then the intercepts; features are the
# layout's sparse columns followed by its dense ones.
WEIGHTS_FILE = "weights.npy"
INTERCEPTS_FILE = "intercepts.npy"
META_FILE = "meta.json"  # {"intents": [...], "layout": ...}


class LogisticRegressionClassifier(Component):
    """Intents from a logistic regression on the sentence features (Rasa's)."""

    name = "LogisticRegressionClassifier"
    # Rasa 3.6's defaults, option for option.
    defaults: ClassVar[dict[str, Any]] = {
        "max_iter": 100,
        "solver": "lbfgs",
        "tol": 1e-4,
        "random_state": 42,
        "ranking_length": 10,
    }
    neural = True  # fitted by stratus_train (scikit-learn), never by the engine

    def __init__(
        self,
        config: dict[str, Any],
        intents: list[str] | None = None,
        layout: FeatureLayout | None = None,
        weights: np.ndarray | None = None,
        intercepts: np.ndarray | None = None,
    ) -> None:
        super().__init__(config)
        self.intents = intents or []
        self.layout = layout or FeatureLayout(())
        self.weights = weights
        self.intercepts = intercepts
        self._offsets = self.layout.offsets()

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> LogisticRegressionClassifier:
        meta = read_json(directory / META_FILE)
        layout = FeatureLayout.from_dict(meta["layout"])
        if not (directory / WEIGHTS_FILE).exists():  # fewer than two intents: nothing learnt
            return cls(config, meta["intents"], layout)
        weights = np.load(directory / WEIGHTS_FILE, mmap_mode="r")
        return cls(config, meta["intents"], layout, weights, np.load(directory / INTERCEPTS_FILE))

    def features(self, message: Message) -> tuple[list[int], list[float], np.ndarray | None]:
        """The message's sentence features: sparse columns and values, and the dense
        vector (None without dense featurizers), in the layout's order."""
        columns: list[int] = []
        values: list[float] = []
        for block in message.sparse:
            base = self._offsets.get(block.featurizer)
            row = block.sentence_row() if base is not None else None
            for column, value in row or ():
                columns.append(base + column)  # type: ignore[operator]
                values.append(value)
        dense = None
        if self.layout.dense:  # the sentence vectors DIET reads (float32, as featurized)
            sentence = dense_inputs([message], self.layout, [0], 1)[SENT_DENSE][0]
            dense = sentence.astype(np.float64)
        return columns, values, dense

    def probabilities(self, message: Message) -> np.ndarray:
        """scikit-learn's `predict_proba` for one message, in `self.intents`' order."""
        assert self.weights is not None and self.intercepts is not None
        columns, values, dense = self.features(message)
        scores = np.array(self.intercepts, dtype=np.float64)
        if columns:
            scores += np.asarray(values) @ np.asarray(self.weights[columns], np.float64)
        if dense is not None:
            scores += dense @ np.asarray(self.weights[self.layout.sparse_dim :], np.float64)
        if len(scores) == 1:  # two intents: scikit-learn's binary model
            positive = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - positive, positive])
        return softmax(scores)

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            if self.weights is None:
                message.intent = {"name": None, "confidence": 0.0}
                message.intent_ranking = []
                continue
            probabilities = self.probabilities(message).tolist()
            # Rasa sorts the intents (alphabetical, as scikit-learn's classes_) by
            # confidence, stably, then cuts to ranking_length.
            ranking = sorted(
                ({"name": name, "confidence": p} for name, p in zip(self.intents, probabilities)),
                key=lambda item: -item["confidence"],
            )
            message.intent = dict(ranking[0])
            length = int(self.config["ranking_length"])
            message.intent_ranking = ranking[:length] if length > 0 else ranking
