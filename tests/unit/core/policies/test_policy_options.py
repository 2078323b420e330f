"""config.yml policy options: Rasa 3.6's own default configs load without a word, options
Stratus accepts but does not apply warn when set to something else, and values Rasa
refuses are errors naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.shared.config import config_from_dict
from stratus_train.core.options import option_problems

# Rasa 3.6's TEDPolicy.get_default_config() and UnexpecTEDIntentPolicy's, as printed by
# the peer install (../shared/peers/rasa).
RASA_TED_DEFAULTS: dict[str, Any] = {
    "hidden_layers_sizes": {"text": [], "action_text": [], "label_action_text": []},
    "dense_dimension": {
        "text": 128,
        "action_text": 128,
        "label_action_text": 128,
        "intent": 20,
        "action_name": 20,
        "label_action_name": 20,
        "entities": 20,
        "slots": 20,
        "active_loop": 20,
    },
    "concat_dimension": {"text": 128, "action_text": 128, "label_action_text": 128},
    "encoding_dimension": 50,
    "transformer_size": {
        "text": 128,
        "action_text": 128,
        "label_action_text": 128,
        "dialogue": 128,
    },
    "number_of_transformer_layers": {
        "text": 1,
        "action_text": 1,
        "label_action_text": 1,
        "dialogue": 1,
    },
    "number_of_attention_heads": 4,
    "use_key_relative_attention": False,
    "use_value_relative_attention": False,
    "max_relative_position": 5,
    "unidirectional_encoder": False,
    "batch_size": [64, 256],
    "batch_strategy": "balanced",
    "epochs": 1,
    "random_seed": None,
    "learning_rate": 0.001,
    "embedding_dimension": 20,
    "number_of_negative_examples": 20,
    "similarity_type": "auto",
    "loss_type": "cross_entropy",
    "ranking_length": 0,
    "renormalize_confidences": False,
    "maximum_positive_similarity": 0.8,
    "maximum_negative_similarity": -0.2,
    "use_maximum_negative_similarity": True,
    "scale_loss": True,
    "regularization_constant": 0.001,
    "negative_margin_scale": 0.8,
    "drop_rate_dialogue": 0.1,
    "drop_rate": 0.0,
    "drop_rate_label": 0.0,
    "drop_rate_attention": 0.0,
    "connection_density": 0.2,
    "use_sparse_input_dropout": True,
    "use_dense_input_dropout": True,
    "use_masked_language_model": False,
    "evaluate_every_number_of_epochs": 20,
    "evaluate_on_number_of_examples": 0,
    "tensorboard_log_directory": None,
    "tensorboard_log_level": "epoch",
    "checkpoint_model": False,
    "e2e_confidence_threshold": 0.5,
    "featurizers": [],
    "entity_recognition": True,
    "constrain_similarities": False,
    "model_confidence": "softmax",
    "BILOU_flag": True,
    "split_entities_by_comma": True,
    "max_history": None,
    "priority": 1,
    "use_gpu": True,
}
RASA_UNEXPECTED_DEFAULTS: dict[str, Any] = {
    **{
        k: v
        for k, v in RASA_TED_DEFAULTS.items()
        if k
        not in (
            "maximum_positive_similarity",
            "maximum_negative_similarity",
            "use_maximum_negative_similarity",
            "negative_margin_scale",
            "renormalize_confidences",
            "e2e_confidence_threshold",
            "constrain_similarities",
            "model_confidence",
        )
    },
    "hidden_layers_sizes": {"text": []},
    "dense_dimension": {
        "text": 128,
        "intent": 20,
        "action_name": 20,
        "entities": 20,
        "slots": 20,
        "active_loop": 20,
        "label_intent": 20,
    },
    "concat_dimension": {"text": 128},
    "transformer_size": {"text": 128, "dialogue": 128},
    "number_of_transformer_layers": {"text": 1, "dialogue": 1},
    "ranking_length": 10,
    "ignore_intents_list": [],
    "tolerance": 0.0,
    "similarity_type": "inner",
    "entity_recognition": False,
    "BILOU_flag": False,
    "priority": 2,
}


def problems(name: str, options: dict[str, Any]) -> list[Any]:
    config = config_from_dict({"policies": [{"name": name, **options}]}, "config.yml")
    return option_problems(config)


@pytest.mark.parametrize(
    "name, defaults",
    [("TEDPolicy", RASA_TED_DEFAULTS), ("UnexpecTEDIntentPolicy", RASA_UNEXPECTED_DEFAULTS)],
)
def test_rasas_whole_default_config_loads_without_a_word(name: str, defaults: dict) -> None:
    assert problems(name, defaults) == []


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("constrain_similarities", True, "softmax over all actions"),
        ("number_of_negative_examples", 10, "softmax over all actions"),
        ("dense_dimension", {"intent": 40}, "projects each turn's features once"),
        ("use_key_relative_attention", True, "no relative attention"),
        ("entity_recognition", False, "does not recognize entities"),
        ("tensorboard_log_directory", "logs", "no TensorBoard logs"),
    ],
)
def test_an_option_not_applied_warns_when_set_off_its_default(
    option: str, value: Any, words: str
) -> None:
    [problem] = problems("TEDPolicy", {option: value})
    assert not problem.is_error
    assert problem.field == f"policies[0].{option}"
    assert f"TEDPolicy does not apply '{option}: {value!r}'" in problem.message
    assert words in problem.message and "Rasa's default" in problem.message


def test_a_part_of_a_default_dict_that_keeps_rasas_value_is_quiet() -> None:
    assert problems("TEDPolicy", {"dense_dimension": {"text": 128}}) == []
    assert problems("TEDPolicy", {"transformer_size": {"dialogue": 256}}) == []
    assert problems("TEDPolicy", {"transformer_size": 256}) == []


def test_text_transformer_sizes_warn_that_only_the_dialogue_one_applies() -> None:
    [problem] = problems("TEDPolicy", {"transformer_size": {"text": 256, "dialogue": 64}})
    assert not problem.is_error and problem.field == "policies[0].transformer_size"
    assert "only the dialogue part" in problem.message and "{'text': 256}" in problem.message


@pytest.mark.parametrize(
    "options, field, words",
    [
        (
            {"model_confidence": "linear_norm"},
            "model_confidence",
            "use `model_confidence: softmax`",
        ),
        ({"model_confidence": "cosine"}, "model_confidence", "not valid in Rasa 3.6"),
        ({"loss_type": "margin"}, "loss_type", "only `loss_type: cross_entropy`"),
        ({"similarity_type": "cosine"}, "similarity_type", "only `similarity_type: inner`"),
    ],
)
def test_values_rasa_refuses_are_errors(options: dict, field: str, words: str) -> None:
    errors = [p for p in problems("TEDPolicy", options) if p.is_error]
    assert [p.field for p in errors] == [f"policies[0].{field}"]
    assert words in errors[0].message


def test_the_default_policies_are_not_warned_about() -> None:
    # Rasa's default TEDPolicy sets constrain_similarities; a config without policies
    # gets it from Stratus, not from the user.
    assert option_problems(config_from_dict({}, "config.yml")) == []
