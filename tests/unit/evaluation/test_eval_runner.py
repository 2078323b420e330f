"""Cross-validation against the trainer / loader protocols, with a fake model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from first_word import FirstWordModel, FirstWordTrainer

from stratus.evaluation.runner import cross_validate, evaluate_model
from stratus.shared.config import ProjectConfig
from stratus.shared.training_data.message import NluData, NluExample

DATA = NluData(
    examples=tuple(
        [NluExample(f"hello there {i}", "greet") for i in range(6)]
        + [NluExample(f"bye now {i}", "goodbye") for i in range(6)]
        + [NluExample(f"hello friend {i}", "goodbye") for i in range(1)]  # a sure miss
        + [NluExample("weather today", "weather")]  # too rare for 3 folds
    )
)


def test_cross_validation_scores_every_kept_example_once(tmp_path: Path) -> None:
    trainer = FirstWordTrainer()
    result = cross_validate(
        trainer, trainer.models.__getitem__, ProjectConfig(), DATA, 3, tmp_path, seed=1
    )

    assert len(trainer.models) == 3
    assert (result.examples, result.dropped) == (13, 1)
    assert result.evaluation.intents is not None
    assert len(result.evaluation.intents.results) == 13
    # 'hello friend 0' is the only goodbye starting with 'hello': always predicted greet
    assert result.evaluation.intents.errors == [
        {
            "text": "hello friend 0",
            "intent": "goodbye",
            "intent_prediction": {"name": "greet", "confidence": 1.0},
        }
    ]
    assert len(result.fold_metrics["intent"]["Accuracy"]) == 3
    mean, std = result.summary()["intent"]["Accuracy"]
    assert mean == pytest.approx(sum(result.fold_metrics["intent"]["Accuracy"]) / 3)
    assert std >= 0.0


def test_cross_validation_needs_two_intents(tmp_path: Path) -> None:
    trainer = FirstWordTrainer()
    data = NluData(examples=(NluExample("a", "x"), NluExample("b", "x")))
    with pytest.raises(ValueError, match="two intents"):
        cross_validate(trainer, trainer.models.__getitem__, ProjectConfig(), data, 2, tmp_path)


def test_evaluate_model_parses_every_example() -> None:
    model = FirstWordModel({"hello": "greet", "bye": "goodbye"}, set())
    evaluation = evaluate_model(model, DATA.examples[:7] + DATA.examples[-2:-1])
    assert evaluation.intents is not None
    assert evaluation.intents.scores.accuracy == pytest.approx(7 / 8)


def test_batch_parsing_is_used_when_offered() -> None:
    class Batched(FirstWordModel):
        calls = 0

        def parse_batch(self, texts: list[str]) -> list[Mapping[str, Any]]:
            Batched.calls += 1
            return [self.parse(t) for t in texts]

    model = Batched({"hello": "greet", "bye": "goodbye"}, set())
    evaluation = evaluate_model(model, DATA.examples[:12])
    assert Batched.calls == 1
    assert evaluation.intents is not None and evaluation.intents.scores.accuracy == 1.0
