"""Entity scoring: Rasa's token-level labels, exact-span F1 and the HERMIT overlap metric."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stratus.evaluation.results import EntityResult, Token

NO_ENTITY_TAG = "O"  # what a token outside every entity is labelled while aligning
NO_ENTITY = "no_entity"  # the label the reports use for it
EXTRACTORS_WITH_CONFIDENCES = frozenset({"CRFEntityExtractor", "DIETClassifier"})

Entity = Mapping[str, Any]


def _intersection(token: Token, entity: Entity) -> int:
    return max(0, min(token.end, int(entity["end"])) - max(token.start, int(entity["start"])))


def entity_for_token(token: Token, entities: Sequence[Entity]) -> Entity | None:
    """The entity sharing most characters with the token (first on ties), or None.

    Rasa refuses overlapping predictions from DIET/CRF with a ValueError; Stratus scores
    them anyway (the largest overlap wins), so one odd prediction cannot abort a test run.
    """
    best: Entity | None = None
    best_overlap = 0
    for entity in entities:
        overlap = _intersection(token, entity)
        if overlap > best_overlap:
            best, best_overlap = entity, overlap
    return best


def token_label(token: Token, entities: Sequence[Entity]) -> str:
    """`type[.group][.role]` of the token's entity, or `O` (Rasa's _concat_entity_labels)."""
    entity = entity_for_token(token, entities)
    if entity is None:
        return NO_ENTITY_TAG
    parts = [entity.get("entity"), entity.get("group"), entity.get("role")]
    labels = [str(p) for p in parts if p]
    return ".".join(labels) if labels else NO_ENTITY_TAG


def token_confidence(token: Token, entities: Sequence[Entity]) -> float:
    """The lowest of the type/role/group confidences of the token's entity (0 if none)."""
    entity = entity_for_token(token, entities)
    if entity is None or entity.get("extractor") not in EXTRACTORS_WITH_CONFIDENCES:
        return 0.0
    return float(
        min(
            entity.get("confidence_entity") or 1.0,
            entity.get("confidence_role") or 1.0,
            entity.get("confidence_group") or 1.0,
        )
    )


def active_extractors(results: Sequence[EntityResult]) -> list[str]:
    """Extractors that predicted at least one entity anywhere (Rasa scores only those)."""
    return sorted({str(e["extractor"]) for r in results for e in r.predictions if "extractor" in e})


@dataclass(frozen=True)
class AlignedLabels:
    """Token labels over the whole test set, for the gold data and one extractor."""

    targets: list[str]
    predictions: list[str]
    confidences: list[float]


def _report_label(label: str) -> str:
    return NO_ENTITY if label == NO_ENTITY_TAG else label


def align(results: Sequence[EntityResult], extractor: str) -> AlignedLabels:
    """Label every token with its gold entity and the extractor's predicted entity."""
    targets: list[str] = []
    predictions: list[str] = []
    confidences: list[float] = []
    for r in results:
        predicted = [e for e in r.predictions if e.get("extractor") == extractor]
        for token in r.tokens:
            targets.append(_report_label(token_label(token, r.targets)))
            predictions.append(_report_label(token_label(token, predicted)))
            confidences.append(token_confidence(token, predicted))
    return AlignedLabels(targets, predictions, confidences)


def _entity_record(r: EntityResult) -> dict[str, Any]:
    return {
        "text": r.text,
        "entities": [dict(e) for e in r.targets],
        "predicted_entities": [dict(e) for e in r.predictions],
    }


def entity_errors(results: Sequence[EntityResult], aligned: AlignedLabels) -> list[dict[str, Any]]:
    """Examples with at least one token whose label differs (Rasa's `<Extractor>_errors.json`)."""
    errors = []
    offset = 0
    for r in results:
        n = len(r.tokens)
        span = range(offset, offset + n)
        if any(aligned.targets[i] != aligned.predictions[i] for i in span):
            errors.append(_entity_record(r))
        offset += n
    return errors


def entity_successes(
    results: Sequence[EntityResult], aligned: AlignedLabels
) -> list[dict[str, Any]]:
    """Examples with at least one correctly labelled entity token."""
    successes = []
    offset = 0
    for r in results:
        n = len(r.tokens)
        span = range(offset, offset + n)
        if any(aligned.targets[i] == aligned.predictions[i] != NO_ENTITY for i in span):
            successes.append(_entity_record(r))
        offset += n
    return successes


@dataclass(frozen=True)
class SpanScores:
    """Micro precision / recall / F1 over entity mentions."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    gold: int
    predicted: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def exact_span_scores(
    gold: Sequence[Sequence[Entity]], predicted: Sequence[Sequence[Entity]]
) -> SpanScores:
    """conlleval-style micro F1: a mention counts when start, end and type all match.

    Spans are compared as character offsets; on token-aligned data (SNIPS, DIET output)
    that is the same as conlleval's chunk comparison over BIO tags.
    """
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, predicted, strict=True):
        gold_spans = Counter((int(e["start"]), int(e["end"]), e["entity"]) for e in g)
        pred_spans = Counter((int(e["start"]), int(e["end"]), e["entity"]) for e in p)
        tp += sum((gold_spans & pred_spans).values())
        n_gold += sum(gold_spans.values())
        n_pred += sum(pred_spans.values())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return SpanScores(precision, recall, _f1(precision, recall), tp, n_gold, n_pred)


def _token_sets(entities: Sequence[Entity], tokens: Sequence[Token]) -> list[tuple[str, set[str]]]:
    out = []
    for e in entities:
        words = {t.text for t in tokens if _intersection(t, e) > 0}
        out.append((str(e["entity"]), words))
    return out


def overlap_scores(
    gold: Sequence[Sequence[Entity]],
    predicted: Sequence[Sequence[Entity]],
    tokens: Sequence[Sequence[Token]],
) -> SpanScores:
    """The HERMIT / DIET-paper entity metric used on HWU64 (NLU-Benchmark).

    A gold entity is found when a predicted entity of the same type shares at least one
    token with it (tokens are compared by their text, as the original script does). The
    script computes precision as found-gold / all-gold and recall as found-gold /
    (found-gold + unmatched predictions); the names are swapped against the usual meaning
    but F1 is what the papers quote, so it is reproduced exactly.
    """
    found = missed = unmatched_pred = 0
    n_pred = 0
    for g, p, toks in zip(gold, predicted, tokens, strict=True):
        gold_sets = _token_sets(g, toks)
        pred_sets = _token_sets(p, toks)
        n_pred += len(pred_sets)
        for g_type, g_words in gold_sets:
            if any(p_type == g_type and not g_words.isdisjoint(w) for p_type, w in pred_sets):
                found += 1
            else:
                missed += 1
        for p_type, p_words in pred_sets:
            if not any(g_type == p_type and not p_words.isdisjoint(w) for g_type, w in gold_sets):
                unmatched_pred += 1
    precision = found / (found + missed) if found + missed else 0.0
    recall = found / (found + unmatched_pred) if found + unmatched_pred else 0.0
    return SpanScores(precision, recall, _f1(precision, recall), found, found + missed, n_pred)
