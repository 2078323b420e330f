"""bench/feature_parity_rasa.py: its comparison finds every kind of difference."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def parity() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "feature_parity_rasa", BENCH / "feature_parity_rasa.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["feature_parity_rasa"] = module
    spec.loader.exec_module(module)
    return module


def _blocks() -> dict[str, Any]:
    hi = {
        "tokens": ["hi", "there"],
        "seq": [[[3, 1.0]], [[1, 1.0], [7, 2.0]]],
        "sent": [[1, 1.0], [3, 1.0], [7, 2.0]],
    }
    bye = {"tokens": ["bye"], "seq": [[[2, 1.0]]], "sent": [[2, 1.0]]}
    return {"3_CountVectorsFeaturizer": {"dim": 10, "rows": [hi, bye]}}


def test_identical_features_have_no_differences(parity: ModuleType) -> None:
    assert parity.compare(_blocks(), _blocks()) == []


def test_each_kind_of_difference_is_named(parity: ModuleType) -> None:
    key = "3_CountVectorsFeaturizer"
    theirs = _blocks()
    value = copy.deepcopy(theirs)
    value[key]["rows"][0]["seq"][1][1][1] = 1.0  # a count
    assert parity.compare(_blocks(), value) == [
        f"{key}, message 0 'hi there': token 1 features differ from Rasa's"
    ]
    sentence = copy.deepcopy(theirs)
    sentence[key]["rows"][0]["sent"] = None
    assert parity.compare(_blocks(), sentence) == [
        f"{key}, message 0 'hi there': sentence features differ from Rasa's"
    ]
    width = copy.deepcopy(theirs)
    width[key]["dim"] = 11
    assert parity.compare(_blocks(), width) == [f"{key}: 10 features, Rasa 11"]
    tokens = copy.deepcopy(theirs)
    tokens[key]["rows"][1]["tokens"] = ["by", "e"]
    assert parity.compare(_blocks(), tokens) == [
        f"{key}, message 1 'bye': tokens differ from Rasa's ['by', 'e']"
    ]
    extra = {**copy.deepcopy(theirs), "2_LexicalSyntacticFeaturizer": {"dim": 1, "rows": []}}
    assert parity.compare(_blocks(), extra) == [
        "2_LexicalSyntacticFeaturizer: only Rasa has these features"
    ]


def test_the_compared_pipeline_is_the_benchmarks_up_to_its_last_featurizer(
    parity: ModuleType,
) -> None:
    names = [c["name"] for c in parity.featurizing_pipeline()]
    assert names == [
        "WhitespaceTokenizer",
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "CountVectorsFeaturizer",
    ]
