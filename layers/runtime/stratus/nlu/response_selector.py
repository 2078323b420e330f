"""ResponseSelector at serving time: picks the response of a retrieval intent (faq/ask_name)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stratus.nlu.component import QUANTIZE, Component
from stratus.nlu.diet import DIET_DEFAULTS
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import OnnxModel, label_confidences, rank

DEFAULT_SELECTOR_KEY = "default"
UTTER_PREFIX = "utter_"

# Rasa 3.6's ResponseSelector defaults: DIET's, with a feed-forward text encoder. One
# deliberate difference: `scale_loss` is off unless a config turns it on (Rasa: on). With
# Stratus' ReLU hidden layers it cost BANKING77 as one retrieval intent 2.8 points over
# seeds 1-3 at 20 epochs (86.65 against 89.43; seed 3 fell to 81.52), see bench/README.md
# (2026-12-07 late).
SELECTOR_DEFAULTS: dict[str, Any] = {
    **DIET_DEFAULTS,
    "hidden_layers_sizes": {"text": [256, 128], "label": [256, 128]},
    "share_hidden_layers": False,
    "transformer_size": None,
    "number_of_transformer_layers": 0,
    "number_of_attention_heads": 4,
    "dense_dimension": {"text": 512, "label": 512},
    "concat_dimension": {"text": 512, "label": 512},
    "maximum_negative_similarity": -0.4,
    "scale_loss": False,
    "connection_density": 1.0,
    "drop_rate": 0.2,
    "use_sparse_input_dropout": False,
    "use_dense_input_dropout": False,
    "retrieval_intent": None,
    "use_text_as_label": False,
}
for _key in (
    "intent_classification",
    "entity_recognition",
    "BILOU_flag",
    "split_entities_by_comma",
):
    SELECTOR_DEFAULTS.pop(_key, None)


class ResponseSelector(Component):
    """Adds `response_selector` to the parse result, exactly in Rasa's shape."""

    name = "ResponseSelector"
    defaults: ClassVar[dict[str, Any]] = SELECTOR_DEFAULTS
    neural = True
    ignored_options = frozenset({"use_gpu"})
    stratus_options = frozenset({QUANTIZE})

    def __init__(
        self,
        config: dict[str, Any],
        model: OnnxModel | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(config)
        self.model = model
        meta = meta or (model.meta if model else {})
        self.labels: list[str] = meta.get("labels") or []
        self.responses: dict[str, list[dict[str, Any]]] = meta.get("responses") or {}
        self.all_retrieval_intents: list[str] = meta.get("all_retrieval_intents") or []

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> ResponseSelector:
        from stratus.nlu.component import read_json
        from stratus.nlu.onnx_model import META_FILE, MODEL_FILE

        if (directory / MODEL_FILE).exists():
            return cls(config, OnnxModel(directory))
        meta = read_json(directory / META_FILE) if (directory / META_FILE).exists() else {}
        return cls(config, None, meta)

    @property
    def selector_key(self) -> str:
        return str(self.config.get("retrieval_intent") or DEFAULT_SELECTOR_KEY)

    def process(self, messages: list[Message]) -> None:
        out = self.model.run(messages) if self.model and self.labels and messages else None
        for b, message in enumerate(messages):
            confidences = label_confidences(out, b) if out is not None else None
            prediction = self._prediction(confidences)
            selector = dict(message.response_selector or {})
            selector["all_retrieval_intents"] = list(self.all_retrieval_intents)
            selector[self.selector_key] = prediction
            message.response_selector = selector

    def _prediction(self, confidences: np.ndarray | None) -> dict[str, Any]:
        if confidences is None or confidences.size == 0:
            top: dict[str, Any] = {"name": None, "confidence": 0.0}
            ranking: list[dict[str, Any]] = []
        else:
            renormalize = bool(self.config["renormalize_confidences"])
            top, ranking = rank(
                self.labels, confidences, int(self.config["ranking_length"]), renormalize
            )
        key = top["name"]
        # Rasa formats the missing key into the action name, hence "utter_None".
        utter_action = f"{UTTER_PREFIX}{key}"
        # A copy: callers may edit the result, never the loaded model.
        responses = copy.deepcopy(self.responses.get(utter_action))
        if key and not responses:
            responses = [{"text": key}]
        return {
            "response": {
                "responses": responses,
                "confidence": top["confidence"],
                "intent_response_key": key,
                "utter_action": utter_action,
            },
            "ranking": [
                {"confidence": r["confidence"], "intent_response_key": r["name"]} for r in ranking
            ],
        }
