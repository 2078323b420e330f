"""The response-selection benchmark's own logic: the retrieval data it writes and its score."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from stratus.shared.project import data_responses
from stratus.shared.training_data import load_training_data

BENCH = Path(__file__).resolve().parents[3] / "bench"

SOURCE = """\
version: "3.1"
nlu:
- intent: card_arrival
  examples: |
    - where is my [card](item)?
    - has my card been sent
- intent: top_up
  examples: |
    - how do I top up
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    path = BENCH / "response_selection.py"
    spec = importlib.util.spec_from_file_location("response_selection", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["response_selection"] = module
    spec.loader.exec_module(module)
    return module


def test_every_label_becomes_a_response_key_of_one_retrieval_intent(
    bench: ModuleType, tmp_path: Path
) -> None:
    source = tmp_path / "source.yml"
    source.write_text(SOURCE)
    written = bench.retrieval_yaml(source, tmp_path / "retrieval.yml")
    data = load_training_data([written])
    examples = data.nlu.examples
    assert [(e.text, e.intent, e.response_key) for e in examples] == [
        ("where is my card?", "ask", "card_arrival"),  # entities dropped
        ("has my card been sent", "ask", "card_arrival"),
        ("how do I top up", "ask", "top_up"),
    ]
    responses, _ = data_responses(data)
    assert {r.name: r.as_dict() for r in responses} == {
        "utter_ask/card_arrival": [{"text": "card_arrival"}],
        "utter_ask/top_up": [{"text": "top_up"}],
    }


def test_accuracy_counts_the_selected_response_keys(bench: ModuleType) -> None:
    def parse(key: str | None) -> dict[str, object]:
        response = {"intent_response_key": key, "responses": None}
        return {"response_selector": {"default": {"response": response, "ranking": []}}}

    run = bench.SystemRun(
        parses=[parse("ask/top_up"), parse("ask/card_arrival"), parse(None), {}],
        train_seconds=1.0,
        model_bytes=0,
        latencies_ms=[1.0],
    )
    gold = ["ask/top_up", "ask/top_up", "ask/top_up", "ask/card_arrival"]
    assert bench.accuracy(run, gold) == 0.25
