"""Cross-validation folds, split as Rasa's `rasa test nlu --cross-validation` does.

Duplicate examples are already gone: the training-data reader drops them as Rasa does.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace

from stratus.shared.training_data.message import NluData, NluExample


def drop_rare_intents(examples: Sequence[NluExample], cutoff: int) -> list[NluExample]:
    """Keep intents with at least `cutoff` examples (Rasa: one example per fold at least)."""
    counts = Counter(e.intent for e in examples if e.intent)
    return [e for e in examples if e.intent and counts[e.intent] >= cutoff]


def stratified_folds(
    examples: Sequence[NluExample], n_folds: int, seed: int = 0
) -> Iterator[tuple[list[NluExample], list[NluExample]]]:
    """(train, test) pairs; each label (full intent) spread evenly over the test folds.

    Every example lands in exactly one test fold. Examples of one label are shuffled and
    dealt round-robin, starting where the previous label stopped, so fold sizes differ by
    at most one.
    """
    if n_folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_label[example.full_intent or ""].append(i)
    fold_of = [0] * len(examples)
    next_fold = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for i in indices:
            fold_of[i] = next_fold
            next_fold = (next_fold + 1) % n_folds
    for k in range(n_folds):
        train = [e for i, e in enumerate(examples) if fold_of[i] != k]
        test = [e for i, e in enumerate(examples) if fold_of[i] == k]
        yield train, test


def with_examples(data: NluData, examples: Sequence[NluExample]) -> NluData:
    """The same synonyms, regexes and lookup tables with other examples."""
    return replace(data, examples=tuple(examples))
