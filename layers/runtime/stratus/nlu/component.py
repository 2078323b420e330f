"""The contract every NLU component keeps (snips-nlu style: fit / persist / load / process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.message import Message
from stratus.shared.training_data.message import NluData


class Component:
    """One step of the pipeline.

    Non-neural components learn in `fit` (pure Python, run by training) and keep what they
    learnt in `persist`; neural ones are trained by `stratus_train` into the same folder
    and only `load` here. `process` is identical at training and serving time.
    """

    name: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}
    # Trained by stratus_train rather than by `fit`: with TensorFlow, or with a library the
    # engine must not import (scikit-learn, CRFsuite) whose result it reads as arrays.
    neural: ClassVar[bool] = False
    # Options Rasa 3.6 accepts but Stratus ignores (with a warning): keeps old configs loading.
    ignored_options: ClassVar[frozenset[str]] = frozenset()
    # Stratus' own options, which Rasa 3.6 does not have (and ignores: it accepts any key).
    # They are filled in only when given, so a Rasa config's filled form, and with it the
    # model's fingerprint, stays as Rasa's defaults make it.
    stratus_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        # Unique within a pipeline ("3_CountVectorsFeaturizer"): two featurizers of one
        # kind must not share feature columns. The pipeline sets it.
        self.key: str = self.name

    @property
    def alias(self) -> str:
        """How DIET's `featurizers` option refers to this component."""
        return str(self.config.get("alias") or self.name)

    def fit(self, messages: list[Message], data: NluData) -> None:
        """Learn from the (already processed by earlier components) training messages."""

    def process(self, messages: list[Message]) -> None:
        """Add this component's output to each message in place."""

    def persist(self, directory: Path) -> None:
        """Write what `fit` learnt into `directory` (created by the caller)."""

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> Component:
        """The component as `persist` left it."""
        return cls(config)


# `quantize: int8` (DIETClassifier, ResponseSelector, LanguageModelFeaturizer): the
# trained network is exported with int8 weights (onnxruntime's dynamic quantization).
QUANTIZE = "quantize"
QUANTIZE_CHOICES = ("int8",)


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON so that equal models hash equal."""
    path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1), "utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))
