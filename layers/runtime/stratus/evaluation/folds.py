"""Splitting NLU data as Rasa does: cross-validation folds (`rasa test nlu
--cross-validation`) and the stratified train/test split (`rasa data split nlu`, and each
run of `rasa test nlu`'s config comparison).

Duplicate examples are already gone: the training-data reader drops them as Rasa does.
"""

from __future__ import annotations

import logging
import operator
import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace

from stratus.shared.training_data.message import NluData, NluExample

logger = logging.getLogger(__name__)


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


def train_test_split(
    examples: Sequence[NluExample],
    train_fraction: float,
    seed: int | None = None,
    warn: bool = True,
) -> tuple[list[NluExample], list[NluExample]]:
    """(train, test) as Rasa 3.6's `TrainingData.train_test_split`: stratified by class
    (each retrieval intent's response key, then each intent), the rarest classes first.
    Each class is shuffled (with a generator seeded by `seed` anew for every class, as
    Rasa seeds it) and gives `train_fraction` of the examples seen so far to training,
    but never all or none of its own, so every class with two examples or more is on
    both sides. Examples without an intent are in neither. `warn`: say so when the data
    is too small for that at this fraction (Rasa's warning)."""
    responses = Counter(e.full_intent for e in examples if e.intent and e.response_key)
    intents = Counter(e.intent for e in examples if e.intent)
    classes = len(intents) - len({e.intent for e in examples if e.response_key}) + len(responses)
    smaller = min(train_fraction, 1.0 - train_fraction)
    if warn and int(smaller * sum(intents.values())) + 1 < classes:
        logger.warning(
            "There are not enough intent examples to put one of each class in both the "
            "training and the test split and keep %s of the data for training; the "
            "training fraction will differ.",
            train_fraction,
        )
    train: list[NluExample] = []
    test: list[NluExample] = []
    seen = trained = 0
    remaining = [e for e in examples if e.intent]
    groups = [
        *(
            (lambda e, r=response: bool(e.response_key) and e.full_intent == r)
            for response, _ in sorted(responses.items(), key=operator.itemgetter(1))
        ),
        *(
            (lambda e, i=intent: e.intent == i)
            for intent, _ in sorted(intents.items(), key=operator.itemgetter(1))
        ),
    ]
    for belongs in groups:
        group = [e for e in remaining if belongs(e)]
        if not group:  # a retrieval intent: its examples went with their response keys
            continue
        remaining = [e for e in remaining if not belongs(e)]
        (random.Random(seed) if seed is not None else random).shuffle(group)
        exact = int((seen + len(group)) * train_fraction) - trained
        count = min(len(group) - 1, max(1, exact))
        train += group[:count]
        test += group[count:]
        seen += len(group)
        trained += count
    return train, test
