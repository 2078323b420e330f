"""A stand-in NLU model and trainer for the evaluation code's protocols: the model
predicts the intent its training data gave to a text's first word, and refuses to parse a
text it was trained on (a leak from test into training)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stratus.shared.config import ProjectConfig
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.message import NluData


class FirstWordModel:
    def __init__(self, table: dict[str, str], trained_on: set[str]) -> None:
        self.table = table
        self.trained_on = trained_on

    def parse(self, text: str) -> Mapping[str, Any]:
        assert text not in self.trained_on, "a test example leaked into training"
        name = self.table.get(text.split()[0])
        intent = {"name": name, "confidence": 1.0 if name else 0.0}
        return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": []}


class FirstWordTrainer:
    """Trains FirstWordModels (the first example of a word decides); a config whose
    language is 'xx' fails to train. `models[out_dir]` loads what was trained there."""

    def __init__(self) -> None:
        self.models: dict[Path, FirstWordModel] = {}
        self.trained: list[tuple[str, int]] = []  # (model folder name, examples)
        self.responses: list[Mapping[str, Any] | None] = []

    def train_nlu(
        self, config: ProjectConfig, data: NluData, out_dir: Path, responses: Any = None
    ) -> Path:
        if config.language == "xx":
            raise StratusError("language 'xx' is not supported")
        table: dict[str, str] = {}
        for e in data.examples:
            table.setdefault(e.text.split()[0], e.full_intent or "")
        self.models[out_dir] = FirstWordModel(table, {e.text for e in data.examples})
        self.trained.append((out_dir.name, len(data.examples)))
        self.responses.append(responses)
        return out_dir
