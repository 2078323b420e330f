"""What one system scored on one split, and how often its parses are the peer's.

Shared by bench/nlu_accuracy.py's scoring and table; plain data and arithmetic.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Scores:
    """What one system scored on one split."""

    intent_accuracy: float | None = None
    intent_f1: float | None = None  # weighted, as `rasa test` reports
    entity_f1: float | None = None  # the dataset's published entity metric
    entity_token_f1: float | None = None  # `rasa test`'s token-level weighted F1 (DIET)
    in_scope_accuracy: float | None = None
    oos_recall: float | None = None
    train_seconds: float | None = None
    model_mb: float | None = None
    latency_median_ms: float | None = None
    latency_p95_ms: float | None = None
    peak_rss_mb: float | None = None
    # the share of test messages parsed with the same top intent / entities as Rasa's
    same_intent_as_peer: float | None = None
    same_entities_as_peer: float | None = None
    n_train: int = 0
    n_test: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def mean_scores(runs: list[Scores]) -> tuple[Scores, dict[str, float]]:
    """Mean over folds and seeds (train time: mean per training), plus the std of each
    metric."""
    mean, std = Scores(), {}
    for name in Scores.__dataclass_fields__:
        values = [getattr(r, name) for r in runs]
        if name == "extra" or any(v is None for v in values):
            continue
        setattr(mean, name, statistics.fmean(values))
        std[name] = statistics.pstdev(values) if len(values) > 1 else 0.0
    return mean, std


METRICS = [
    ("intent accuracy (%)", "intent_accuracy", 100.0, "{:.2f}"),
    ("intent weighted F1 (%)", "intent_f1", 100.0, "{:.2f}"),
    ("entity F1 (%)", "entity_f1", 100.0, "{:.2f}"),
    ("entity token F1, rasa test (%)", "entity_token_f1", 100.0, "{:.2f}"),
    ("in-scope accuracy (%)", "in_scope_accuracy", 100.0, "{:.2f}"),
    ("out-of-scope recall (%)", "oos_recall", 100.0, "{:.2f}"),
    ("training time (s)", "train_seconds", 1.0, "{:.1f}"),
    ("model size (MB)", "model_mb", 1.0, "{:.2f}"),
    ("parse latency median (ms)", "latency_median_ms", 1.0, "{:.3f}"),
    ("parse latency p95 (ms)", "latency_p95_ms", 1.0, "{:.3f}"),
    ("peak RSS while training (MB)", "peak_rss_mb", 1.0, "{:.0f}"),
    ("same intent as Rasa (% of messages)", "same_intent_as_peer", 100.0, "{:.2f}"),
    ("same entities as Rasa (% of messages)", "same_entities_as_peer", 100.0, "{:.2f}"),
]


def _entity_set(parse: dict[str, Any]) -> set[tuple[Any, ...]]:
    keys = ("start", "end", "entity", "role", "group")
    return {(*(e.get(k) for k in keys), str(e.get("value"))) for e in parse.get("entities") or []}


def agreement(scores: Scores, parses: list[dict[str, Any]], peer: list[dict[str, Any]]) -> None:
    """How often a system's parse names the same top intent, and the same entities
    (spans, types, roles, groups, values), as the peer's for the same message."""
    pairs = list(zip(parses, peer))
    if not pairs:
        return
    scores.same_intent_as_peer = sum(
        (a.get("intent") or {}).get("name") == (b.get("intent") or {}).get("name") for a, b in pairs
    ) / len(pairs)
    scores.same_entities_as_peer = sum(_entity_set(a) == _entity_set(b) for a, b in pairs) / len(
        pairs
    )
