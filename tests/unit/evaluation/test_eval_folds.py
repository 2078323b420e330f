"""Cross-validation folds."""

from __future__ import annotations

from collections import Counter

import pytest

from stratus.evaluation.folds import drop_rare_intents, stratified_folds
from stratus.shared.training_data.message import NluExample


def test_folds_partition_the_data_and_keep_label_proportions() -> None:
    examples = [NluExample(f"a{i}", "a") for i in range(6)] + [
        NluExample(f"b{i}", "b") for i in range(4)
    ]
    folds = list(stratified_folds(examples, 2, seed=3))

    assert len(folds) == 2
    tests = [test for _, test in folds]
    assert sorted(e.text for t in tests for e in t) == sorted(e.text for e in examples)
    for train, test in folds:
        assert Counter(e.intent for e in test) == {"a": 3, "b": 2}
        assert not {e.text for e in train} & {e.text for e in test}


def test_folds_depend_on_the_seed_only() -> None:
    examples = [NluExample(f"x{i}", "x" if i % 2 else "y") for i in range(20)]
    first = [[e.text for e in t] for _, t in stratified_folds(examples, 4, seed=1)]
    again = [[e.text for e in t] for _, t in stratified_folds(examples, 4, seed=1)]
    other = [[e.text for e in t] for _, t in stratified_folds(examples, 4, seed=2)]
    assert first == again != other


def test_one_fold_is_refused() -> None:
    with pytest.raises(ValueError):
        next(stratified_folds([NluExample("a", "a")], 1))


def test_rare_intents_are_dropped() -> None:
    examples = [NluExample("a", "x"), NluExample("b", "x"), NluExample("c", "y")]
    assert [e.text for e in drop_rare_intents(examples, 2)] == ["a", "b"]
