"""Rasa 3.6's NLU evaluation (`rasa/nlu/test.py`): reports, errors and successes per part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.evaluation.entities import (
    NO_ENTITY,
    AlignedLabels,
    active_extractors,
    align,
    entity_errors,
    entity_successes,
)
from stratus.evaluation.metrics import ClassificationScores, classification_report
from stratus.evaluation.results import (
    EntityResult,
    EvaluationData,
    IntentResult,
    ResponseResult,
    Tokenizer,
    collect_results,
    whitespace_tokens,
)
from stratus.shared.training_data.message import NluExample


@dataclass(frozen=True)
class IntentEvaluation:
    scores: ClassificationScores
    results: list[IntentResult]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """`intent_errors.json`: `{text, intent, intent_prediction: {name, confidence}}`."""
        return [_intent_record(r) for r in self.results if r.target != r.prediction]

    @property
    def successes(self) -> list[dict[str, Any]]:
        return [_intent_record(r) for r in self.results if r.target == r.prediction]

    @property
    def hit_confidences(self) -> tuple[list[float], list[float]]:
        """Confidences of correct and of wrong predictions, for the histogram."""
        return _split_confidences(self.results)


@dataclass(frozen=True)
class ResponseEvaluation:
    scores: ClassificationScores
    results: list[ResponseResult]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [_response_record(r) for r in self.results if r.target != r.prediction]

    @property
    def successes(self) -> list[dict[str, Any]]:
        return [_response_record(r) for r in self.results if r.target == r.prediction]

    @property
    def hit_confidences(self) -> tuple[list[float], list[float]]:
        return _split_confidences(self.results)


@dataclass(frozen=True)
class EntityEvaluation:
    """One extractor's token-level report."""

    extractor: str
    scores: ClassificationScores
    aligned: AlignedLabels
    errors: list[dict[str, Any]]
    successes: list[dict[str, Any]]

    @property
    def hit_confidences(self) -> tuple[list[float], list[float]]:
        """Confidences of correct entity tokens and of tokens given a wrong entity."""
        a = self.aligned
        hits = [
            c
            for t, p, c in zip(a.targets, a.predictions, a.confidences)
            if t != NO_ENTITY and t == p
        ]
        misses = [
            c for t, p, c in zip(a.targets, a.predictions, a.confidences) if p not in (NO_ENTITY, t)
        ]
        return hits, misses


@dataclass(frozen=True)
class NluEvaluation:
    """The whole `rasa test nlu` result; a part is None when Rasa would not evaluate it."""

    intents: IntentEvaluation | None = None
    responses: ResponseEvaluation | None = None
    entities: dict[str, EntityEvaluation] = field(default_factory=dict)
    data: EvaluationData = field(default_factory=EvaluationData)

    def summary_rows(self) -> list[tuple[str, ClassificationScores]]:
        """(name, scores) for intents, each extractor and response selection."""
        rows: list[tuple[str, ClassificationScores]] = []
        if self.intents:
            rows.append(("intent", self.intents.scores))
        rows.extend((name, e.scores) for name, e in sorted(self.entities.items()))
        if self.responses:
            rows.append(("response selection", self.responses.scores))
        return rows


def _intent_record(r: IntentResult) -> dict[str, Any]:
    return {
        "text": r.text,
        "intent": r.target,
        "intent_prediction": {"name": r.prediction, "confidence": r.confidence},
    }


def _response_record(r: ResponseResult) -> dict[str, Any]:
    return {
        "text": r.text,
        "intent_response_key_target": r.target,
        "intent_response_key_prediction": {"name": r.prediction, "confidence": r.confidence},
    }


def _split_confidences(
    results: Sequence[IntentResult | ResponseResult],
) -> tuple[list[float], list[float]]:
    hits = [float(r.confidence or 0.0) for r in results if r.target == r.prediction]
    misses = [float(r.confidence or 0.0) for r in results if r.target != r.prediction]
    return hits, misses


def evaluate_intents(results: Sequence[IntentResult]) -> IntentEvaluation:
    """Only examples with a gold intent count."""
    kept = [r for r in results if r.target]
    scores = classification_report([r.target for r in kept], [r.prediction for r in kept])
    return IntentEvaluation(scores, kept)


def evaluate_responses(results: Sequence[ResponseResult]) -> ResponseEvaluation:
    """Only examples of retrieval intents count; a missing confidence counts as 0."""
    kept = [
        r if r.confidence is not None else ResponseResult(r.target, r.prediction, r.text, 0.0)
        for r in results
        if r.target
    ]
    scores = classification_report([r.target for r in kept], [r.prediction for r in kept])
    return ResponseEvaluation(scores, kept)


def evaluate_entities(results: Sequence[EntityResult]) -> dict[str, EntityEvaluation]:
    """One token-level report per extractor, `no_entity` left out of the labels."""
    out: dict[str, EntityEvaluation] = {}
    for extractor in active_extractors(results):
        aligned = align(results, extractor)
        scores = classification_report(aligned.targets, aligned.predictions, NO_ENTITY)
        out[extractor] = EntityEvaluation(
            extractor=extractor,
            scores=scores,
            aligned=aligned,
            errors=entity_errors(results, aligned),
            successes=entity_successes(results, aligned),
        )
    return out


def evaluate_data(data: EvaluationData) -> NluEvaluation:
    """Score collected results (e.g. the test folds of a cross-validation, together)."""
    return NluEvaluation(
        intents=evaluate_intents(data.intents) if data.intents else None,
        responses=evaluate_responses(data.responses) if data.responses else None,
        entities=evaluate_entities(data.entities) if data.entities else {},
        data=data,
    )


def evaluate_nlu(
    examples: Sequence[NluExample],
    parses: Sequence[Mapping[str, Any]],
    tokenize: Tokenizer = whitespace_tokens,
) -> NluEvaluation:
    """Evaluate parse results against gold examples, as `rasa test nlu` does."""
    return evaluate_data(collect_results(examples, parses, tokenize))
