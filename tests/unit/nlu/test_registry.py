"""Pipelines from config.yml: Rasa's names, options and defaults; clear errors otherwise."""

from __future__ import annotations

import pytest

from stratus.nlu.registry import fill_pipeline
from stratus.shared.exceptions import ConfigError

TOKENIZER = {"name": "WhitespaceTokenizer"}
FEATURIZER = {"name": "CountVectorsFeaturizer"}


def test_defaults_are_rasa_defaults() -> None:
    filled = fill_pipeline([TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "epochs": 5}])
    diet = filled[2]
    assert diet["epochs"] == 5
    assert diet["embedding_dimension"] == 20
    assert diet["transformer_size"] == 256
    assert diet["number_of_transformer_layers"] == 2
    assert diet["connection_density"] == 0.2
    assert diet["model_confidence"] == "softmax"
    assert diet["BILOU_flag"] is True
    assert filled[1]["analyzer"] == "word" and filled[1]["max_ngram"] == 1


def test_nested_options_merge_with_defaults() -> None:
    filled = fill_pipeline(
        [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "dense_dimension": {"text": 64}}]
    )
    assert filled[2]["dense_dimension"] == {"text": 64, "label": 20}


def test_unknown_component_names_file_line_and_close_match() -> None:
    with pytest.raises(ConfigError) as e:
        fill_pipeline([TOKENIZER, {"name": "DIETClasifier"}], "config.yml", (3, 4))
    message = str(e.value)
    assert "config.yml:4" in message and "DIETClasifier" in message
    assert "Did you mean 'DIETClassifier'?" in message


def test_unknown_option_names_component_and_close_match() -> None:
    with pytest.raises(ConfigError) as e:
        fill_pipeline(
            [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "epoch": 3}], "config.yml", (2, 3, 4)
        )
    message = str(e.value)
    assert "config.yml:4" in message and "'epoch'" in message and "DIETClassifier" in message
    assert "Did you mean 'epochs'?" in message


def test_unsupported_rasa_component_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match=r"SpacyNLP.*WhitespaceTokenizer"):
        fill_pipeline([{"name": "SpacyNLP"}])


def test_bad_values_and_order() -> None:
    with pytest.raises(ConfigError, match="char_wb"):
        fill_pipeline([TOKENIZER, {"name": "CountVectorsFeaturizer", "analyzer": "chars"}])
    with pytest.raises(ConfigError, match="softmax"):
        fill_pipeline(
            [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "model_confidence": "cosine"}]
        )
    with pytest.raises(ConfigError, match="needs a tokenizer"):
        fill_pipeline([FEATURIZER])
    with pytest.raises(ConfigError, match="needs a featurizer"):
        fill_pipeline([TOKENIZER, {"name": "DIETClassifier"}])


def test_legacy_options() -> None:
    filled = fill_pipeline(
        [
            TOKENIZER,
            {"name": "CountVectorsFeaturizer", "token_pattern": r"\b\w+\b"},
            {"name": "DIETClassifier", "weight_sparsity": 0.7},
        ]
    )
    assert "token_pattern" not in filled[1]
    assert filled[2]["connection_density"] == pytest.approx(0.3)
