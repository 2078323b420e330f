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


def test_duckling_options_are_rasas_and_bad_values_name_their_field() -> None:
    # Rasa's defaults; no tokenizer needed (it sends the raw text to the server)
    (filled,) = fill_pipeline([{"name": "DucklingEntityExtractor"}])
    assert filled == {
        "name": "DucklingEntityExtractor",
        "dimensions": None,
        "url": None,
        "locale": None,
        "timezone": None,
        "timeout": 3,
    }
    bad = {
        "name": "DucklingEntityExtractor",
        "url": "localhost:8000",
        "dimensions": "number",
        "timeout": 0,
        "locale": 7,
    }
    with pytest.raises(ConfigError) as e:
        fill_pipeline([bad])
    text = str(e.value)
    for field in ("url", "dimensions", "timeout", "locale"):
        assert f"pipeline[0].{field}:" in text
    assert "http:// or https://" in text
    with pytest.raises(ConfigError, match="Did you mean 'dimensions'"):
        fill_pipeline([{"name": "DucklingEntityExtractor", "dimension": ["number"]}])
    with pytest.raises(ConfigError, match="renamed it DucklingEntityExtractor"):
        fill_pipeline([{"name": "DucklingHTTPExtractor"}])


def test_logistic_regression_has_rasas_defaults_and_checked_options() -> None:
    filled = fill_pipeline([TOKENIZER, FEATURIZER, {"name": "LogisticRegressionClassifier"}])
    assert filled[-1] == {
        "name": "LogisticRegressionClassifier",
        "max_iter": 100,
        "solver": "lbfgs",
        "tol": 1e-4,
        "random_state": 42,
        "ranking_length": 10,
    }
    bad = {"name": "LogisticRegressionClassifier", "solver": "lbgfs", "max_iter": 0, "tol": -1}
    with pytest.raises(ConfigError) as e:
        fill_pipeline([TOKENIZER, FEATURIZER, bad])
    text = str(e.value)
    assert "pipeline[2].solver: unknown solver 'lbgfs'" in text and "'lbfgs'" in text
    assert "pipeline[2].max_iter: must be an integer >= 1" in text
    assert "pipeline[2].tol:" in text
    with pytest.raises(ConfigError, match="needs a featurizer"):
        fill_pipeline([TOKENIZER, {"name": "LogisticRegressionClassifier"}])


def test_crf_extractor_has_rasas_defaults_and_checked_features() -> None:
    (_, filled) = fill_pipeline([TOKENIZER, {"name": "CRFEntityExtractor"}])
    assert filled["features"][1][:3] == ["low", "bias", "prefix5"]
    assert (filled["max_iterations"], filled["L1_c"], filled["L2_c"]) == (50, 0.1, 0.1)
    bad = {
        "name": "CRFEntityExtractor",
        "features": [["low", "pos"], ["bias", "word3"], ["low"]],
        "max_iterations": 0,
        "L1_c": -1,
    }
    with pytest.raises(ConfigError) as e:
        fill_pipeline([TOKENIZER, bad])
    text = str(e.value)
    assert "'pos' needs spaCy" in text and "unknown feature 'word3'" in text
    assert "pipeline[1].max_iterations:" in text and "pipeline[1].L1_c:" in text
    with pytest.raises(ConfigError, match="odd number"):
        fill_pipeline([TOKENIZER, {"name": "CRFEntityExtractor", "features": [["low"], ["bias"]]}])
    with pytest.raises(ConfigError, match="needs a tokenizer"):
        fill_pipeline([{"name": "CRFEntityExtractor"}])


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


def test_quantize_is_filled_in_only_when_given() -> None:
    # Stratus' own option: a Rasa config's filled form (and model fingerprint) stays Rasa's.
    plain = fill_pipeline([TOKENIZER, FEATURIZER, {"name": "DIETClassifier"}])
    assert "quantize" not in plain[2]
    given = fill_pipeline(
        [
            TOKENIZER,
            FEATURIZER,
            {"name": "DIETClassifier", "quantize": "int8"},
            {"name": "ResponseSelector", "quantize": None},
        ]
    )
    assert given[2]["quantize"] == "int8" and given[3]["quantize"] is None


def test_quantize_names_the_field_and_the_choices() -> None:
    with pytest.raises(ConfigError) as e:
        fill_pipeline(
            [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "quantize": "int4"}],
            "config.yml",
            (2, 3, 4),
        )
    message = str(e.value)
    assert "config.yml:4" in message and "pipeline[2].quantize" in message
    assert "int8" in message and "'int4'" in message
    with pytest.raises(ConfigError, match=r"unknown key 'quantize'.*WhitespaceTokenizer"):
        fill_pipeline([{"name": "WhitespaceTokenizer", "quantize": "int8"}, FEATURIZER])


def test_a_misspelt_quantize_suggests_it() -> None:
    with pytest.raises(ConfigError, match=r"Did you mean 'quantize'\?"):
        fill_pipeline([TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "quantise": "int8"}])


@pytest.mark.parametrize(
    "option",
    ["use_key_relative_attention", "use_value_relative_attention", "unidirectional_encoder"],
)
def test_transformer_options_stratus_does_not_train_are_errors(option: str) -> None:
    # Accepting them would train a different transformer than the config asks for.
    with pytest.raises(ConfigError) as e:
        fill_pipeline(
            [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", option: True}],
            "config.yml",
            (2, 3, 4),
        )
    message = str(e.value)
    assert "config.yml:4" in message and f"pipeline[2].{option}" in message
    assert "not supported by Stratus yet" in message and "set it to false" in message
    # false (Rasa's default) is fine, and so is any value where there is no transformer
    # (the ResponseSelector's default), as Rasa reads it
    fill_pipeline([TOKENIZER, FEATURIZER, {"name": "DIETClassifier", option: False}])
    fill_pipeline([TOKENIZER, FEATURIZER, {"name": "ResponseSelector", option: True}])
    no_text_transformer = {"text": 0, "label": 0}
    fill_pipeline(
        [
            TOKENIZER,
            FEATURIZER,
            {
                "name": "DIETClassifier",
                option: True,
                "number_of_transformer_layers": no_text_transformer,
            },
        ]
    )
    # A ResponseSelector's label transformer is a transformer too (DIET's labels have none).
    label_only = {"text": 0, "label": 1}
    with pytest.raises(ConfigError, match=rf"pipeline\[2\]\.{option}"):
        fill_pipeline(
            [
                TOKENIZER,
                FEATURIZER,
                {
                    "name": "ResponseSelector",
                    option: True,
                    "number_of_transformer_layers": label_only,
                },
            ]
        )
    fill_pipeline(
        [
            TOKENIZER,
            FEATURIZER,
            {"name": "DIETClassifier", option: True, "number_of_transformer_layers": label_only},
        ]
    )


def test_shared_hidden_layers_are_an_error() -> None:
    with pytest.raises(ConfigError, match=r"share_hidden_layers.*not supported"):
        fill_pipeline(
            [TOKENIZER, FEATURIZER, {"name": "ResponseSelector", "share_hidden_layers": True}]
        )


def test_a_tensorboard_directory_is_accepted_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    filled = fill_pipeline(
        [TOKENIZER, FEATURIZER, {"name": "DIETClassifier", "tensorboard_log_directory": "./tb"}]
    )
    assert filled[2]["tensorboard_log_directory"] == "./tb"
    assert "TensorBoard" in caplog.text and "tensorboard_log_directory" in caplog.text
