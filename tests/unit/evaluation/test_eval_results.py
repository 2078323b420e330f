"""Pairing gold examples with parse results: fallback, retrieval intents, what gets scored."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.evaluation.evaluator import evaluate_nlu
from stratus.evaluation.results import collect_results
from stratus.shared.training_data.message import EntityAnnotation, NluExample


def parse(name: str | None, confidence: float = 0.9, **extra: Any) -> dict[str, Any]:
    intent = {"name": name, "confidence": confidence}
    return {"text": "", "intent": intent, "intent_ranking": [intent], "entities": [], **extra}


def test_fallback_is_undone_so_the_real_prediction_is_scored() -> None:
    examples = [NluExample("hello", "greet"), NluExample("bye", "goodbye")]
    fallback = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "greet", "confidence": 0.25},
        ],
        "entities": [],
    }
    evaluation = evaluate_nlu(examples, [fallback, parse("greet", 0.8)])

    assert evaluation.intents is not None
    assert evaluation.intents.errors == [
        {
            "text": "bye",
            "intent": "goodbye",
            "intent_prediction": {"name": "greet", "confidence": 0.8},
        }
    ]
    assert evaluation.intents.scores.accuracy == 0.5
    assert evaluation.intents.hit_confidences == ([0.25], [0.8])


def test_one_intent_is_not_evaluated_and_entities_only_when_annotated() -> None:
    data = collect_results([NluExample("hi", "greet")], [parse("greet")])
    assert data.intents == [] and data.entities == [] and data.responses == []
    evaluation = evaluate_nlu([NluExample("hi", "greet")], [parse("greet")])
    assert evaluation.summary_rows() == []


def test_missing_intent_prediction_counts_as_a_miss() -> None:
    examples = [NluExample("a", "x"), NluExample("b", "y")]
    evaluation = evaluate_nlu(examples, [parse(None, 0.0), parse("y")])
    assert evaluation.intents is not None
    assert evaluation.intents.scores.accuracy == 0.5
    assert evaluation.intents.errors[0]["intent_prediction"]["name"] == ""


def test_pretrained_extractors_are_ignored() -> None:
    example = NluExample("at 5", "time", (EntityAnnotation(3, 4, "number", "5"),))
    duckling = {"start": 3, "end": 4, "entity": "number", "extractor": "DucklingEntityExtractor"}
    data = collect_results([example], [parse("time", entities=[duckling])])
    assert data.entities[0].predictions == ()


def _selector(key: str, confidence: float) -> dict[str, Any]:
    response = {"intent_response_key": key, "confidence": confidence, "responses": []}
    return {
        "all_retrieval_intents": ["faq"],
        "default": {"response": response, "ranking": []},
        "faq": {"response": response, "ranking": []},
    }


def test_response_selection_scores_full_retrieval_intents() -> None:
    examples = [
        NluExample("what's your name", "faq", response_key="ask_name"),
        NluExample("weather?", "faq", response_key="ask_weather"),
        NluExample("hi", "greet"),
    ]
    parses = [
        parse("faq", response_selector=_selector("faq/ask_name", 0.8)),
        parse("faq", response_selector=_selector("faq/ask_name", 0.7)),
        parse("greet"),
    ]
    evaluation = evaluate_nlu(examples, parses)

    assert evaluation.responses is not None
    assert len(evaluation.responses.results) == 2  # the greet example has no response
    report = evaluation.responses.scores.report
    assert report["faq/ask_name"]["precision"] == pytest.approx(0.5)
    assert report["faq/ask_weather"]["recall"] == 0.0
    assert evaluation.responses.errors == [
        {
            "text": "weather?",
            "intent_response_key_target": "faq/ask_weather",
            "intent_response_key_prediction": {"name": "faq/ask_name", "confidence": 0.7},
        }
    ]
    assert evaluation.intents is not None
    assert evaluation.intents.scores.report["faq"]["support"] == 2  # scored as plain 'faq'


def test_tokens_from_the_parse_result_win() -> None:
    example = NluExample("new-york", "go", (EntityAnnotation(0, 8, "city", "new-york"),))
    tokens = [{"text": "new", "start": 0, "end": 3}, {"text": "york", "start": 4, "end": 8}]
    data = collect_results([example], [parse("go", text_tokens=tokens)])
    assert [t.text for t in data.entities[0].tokens] == ["new", "york"]
    as_pairs = collect_results([example], [parse("go", text_tokens=[[0, 3], [4, 8]])])
    assert as_pairs.entities[0].tokens == data.entities[0].tokens


def test_examples_and_parses_must_pair_up() -> None:
    with pytest.raises(ValueError):
        collect_results([NluExample("a", "x")], [])
