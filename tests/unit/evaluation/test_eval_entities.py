"""Entity scoring: Rasa's token-level report, exact-span F1 and the HERMIT overlap metric."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.evaluation.entities import exact_span_scores, overlap_scores, token_label
from stratus.evaluation.evaluator import evaluate_entities
from stratus.evaluation.results import EntityResult, Token, whitespace_tokens

TEXT = "fly from new york to paris"


def ent(start: int, end: int, entity: str, **extra: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "entity": entity, "value": TEXT[start:end], **extra}


GOLD = (ent(9, 17, "city"), ent(21, 26, "city"))
PRED = (
    ent(9, 12, "city", extractor="DIETClassifier", confidence_entity=0.9),
    ent(21, 26, "country", extractor="DIETClassifier", confidence_entity=0.6),
)


def result(gold: Any = GOLD, pred: Any = PRED) -> EntityResult:
    return EntityResult(tuple(gold), tuple(pred), tuple(whitespace_tokens(TEXT)), TEXT)


def test_token_report_per_extractor() -> None:
    regex_pred = ent(21, 26, "city", extractor="RegexEntityExtractor")
    evaluations = evaluate_entities([result(pred=(*PRED, regex_pred))])

    assert sorted(evaluations) == ["DIETClassifier", "RegexEntityExtractor"]
    diet = evaluations["DIETClassifier"]
    # gold tokens: O O city city O city; DIET: O O city O O country
    assert diet.aligned.targets == ["no_entity"] * 2 + ["city"] * 2 + ["no_entity", "city"]
    assert diet.aligned.predictions[-1] == "country"
    city = diet.scores.report["city"]
    assert (city["precision"], city["recall"], city["support"]) == (1.0, pytest.approx(1 / 3), 3)
    assert city["f1-score"] == pytest.approx(0.5)
    assert city["confused_with"] == {"country": 1}
    assert "no_entity" not in diet.scores.report
    assert diet.scores.accuracy == pytest.approx(4 / 6)
    assert diet.errors == [
        {"text": TEXT, "entities": list(GOLD), "predicted_entities": [*PRED, regex_pred]}
    ]
    hits, misses = diet.hit_confidences
    assert hits == [0.9] and misses == [0.6]
    regex = evaluations["RegexEntityExtractor"]
    assert regex.scores.report["city"]["recall"] == pytest.approx(1 / 3)
    assert regex.scores.report["city"]["precision"] == 1.0


def test_roles_and_groups_join_the_label() -> None:
    token = Token("paris", 21, 26)
    gold = [ent(21, 26, "city", role="destination", group="1")]
    assert token_label(token, gold) == "city.1.destination"
    assert token_label(Token("fly", 0, 3), gold) == "O"


def test_token_takes_the_entity_it_overlaps_most() -> None:
    entities = [ent(0, 5, "a"), ent(5, 12, "b")]
    assert token_label(Token("abcdefgh", 3, 11), entities) == "b"
    # a tie goes to the first entity, as numpy's argmax in Rasa does
    assert token_label(Token("cdefgh", 2, 8), entities) == "a"


def test_no_extractor_no_report() -> None:
    assert evaluate_entities([result(pred=())]) == {}


def test_exact_span_micro_f1() -> None:
    second_gold = [{"start": 0, "end": 5, "entity": "a"}]
    second_pred = [{"start": 0, "end": 5, "entity": "a"}, {"start": 6, "end": 9, "entity": "b"}]
    scores = exact_span_scores([GOLD, second_gold], [PRED, second_pred])
    assert (scores.true_positives, scores.gold, scores.predicted) == (1, 3, 4)
    assert scores.precision == pytest.approx(1 / 4)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(2 / 7)


def test_overlap_metric_counts_a_shared_token_of_the_same_type() -> None:
    tokens = whitespace_tokens(TEXT)
    scores = overlap_scores([GOLD], [PRED], [tokens])
    # gold "new york" found through "new"; gold "paris" has only a wrong-type prediction
    assert scores.true_positives == 1 and scores.gold == 2
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)  # 1 found / (1 found + 1 unmatched prediction)
    assert scores.f1 == pytest.approx(0.5)
    perfect = overlap_scores([GOLD], [GOLD], [tokens])
    assert perfect.f1 == 1.0


def test_whitespace_tokens_drop_punctuation_like_rasa() -> None:
    tokens = whitespace_tokens("hi, where's my order #123?")
    # what Rasa 3.6's WhitespaceTokenizer answers for the same text
    assert [t.text for t in tokens] == ["hi", "where", "s", "my", "order", "#123"]
    assert all("hi, where's my order #123?"[t.start : t.end] == t.text for t in tokens)
    assert [t.text for t in whitespace_tokens("at 10:30 pm!")] == ["at", "10:30", "pm"]
    assert whitespace_tokens("") == []
