"""The options each policy accepts in config.yml: Rasa 3.6's, so a Rasa config loads.

Options Stratus reads change the trained model. The others (TED's architecture knobs
that this implementation does not have) are accepted and recorded, so the same
config.yml works for both, and a value other than Rasa's default gets a warning saying
it is not applied. Values Rasa 3.6 refuses are errors here too. An option Rasa does not
know is an error naming the file, the policy and the close matches.
"""

from __future__ import annotations

from typing import Any

from stratus.shared.config import ProjectConfig
from stratus.shared.problems import Problem, suggest, warning

COMMON = ("name", "priority", "max_history", "featurizer")
# Options of older Rasa versions that Rasa 3.6 still accepts without effect (Rasa's own
# concertbot sets `max_training_samples`): a warning, not an error.
LEGACY_OPTIONS = ("max_training_samples", "weight_sparsity", "evaluate_on_num_examples")
POLICY_OPTIONS: dict[str, tuple[str, ...]] = {
    "RulePolicy": (
        "core_fallback_threshold",
        "core_fallback_action_name",
        "enable_fallback_prediction",
        "restrict_rules",
        "check_for_contradictions",
        "use_nlu_confidence_as_score",
    ),
    "MemoizationPolicy": ("enable_feature_string_compression", "use_nlu_confidence_as_score"),
    "AugmentedMemoizationPolicy": (
        "enable_feature_string_compression",
        "use_nlu_confidence_as_score",
    ),
    "TEDPolicy": (
        "hidden_layers_sizes",
        "dense_dimension",
        "concat_dimension",
        "encoding_dimension",
        "transformer_size",
        "number_of_transformer_layers",
        "number_of_attention_heads",
        "unidirectional_encoder",
        "use_key_relative_attention",
        "use_value_relative_attention",
        "max_relative_position",
        "batch_size",
        "batch_strategy",
        "epochs",
        "random_seed",
        "learning_rate",
        "embedding_dimension",
        "number_of_negative_examples",
        "similarity_type",
        "loss_type",
        "ranking_length",
        "renormalize_confidences",
        "maximum_positive_similarity",
        "maximum_negative_similarity",
        "use_maximum_negative_similarity",
        "scale_loss",
        "regularization_constant",
        "negative_margin_scale",
        "drop_rate_dialogue",
        "drop_rate",
        "drop_rate_label",
        "drop_rate_attention",
        "connection_density",
        "use_sparse_input_dropout",
        "use_dense_input_dropout",
        "use_masked_language_model",
        "evaluate_every_number_of_epochs",
        "evaluate_on_number_of_examples",
        "tensorboard_log_directory",
        "tensorboard_log_level",
        "checkpoint_model",
        "e2e_confidence_threshold",
        "featurizers",
        "entity_recognition",
        "constrain_similarities",
        "model_confidence",
        "BILOU_flag",
        "split_entities_by_comma",
        "run_eagerly",
        "use_gpu",
    ),
    # Rasa 3.6's UnexpecTEDIntentPolicy.get_default_config()
    "UnexpecTEDIntentPolicy": (
        "hidden_layers_sizes",
        "dense_dimension",
        "concat_dimension",
        "encoding_dimension",
        "transformer_size",
        "number_of_transformer_layers",
        "number_of_attention_heads",
        "use_key_relative_attention",
        "use_value_relative_attention",
        "max_relative_position",
        "unidirectional_encoder",
        "batch_size",
        "batch_strategy",
        "epochs",
        "random_seed",
        "learning_rate",
        "embedding_dimension",
        "number_of_negative_examples",
        "ranking_length",
        "scale_loss",
        "regularization_constant",
        "drop_rate_dialogue",
        "drop_rate",
        "drop_rate_label",
        "drop_rate_attention",
        "connection_density",
        "use_sparse_input_dropout",
        "use_dense_input_dropout",
        "use_masked_language_model",
        "evaluate_every_number_of_epochs",
        "evaluate_on_number_of_examples",
        "tensorboard_log_directory",
        "tensorboard_log_level",
        "checkpoint_model",
        "featurizers",
        "ignore_intents_list",
        "tolerance",
        "split_entities_by_comma",
        "similarity_type",
        "entity_recognition",
        "BILOU_flag",
        "loss_type",
        "use_gpu",
    ),
}

# Why Stratus' TED leaves a group of Rasa's options out.
_LOSS = "Stratus' TED trains a softmax over all actions, not sampled negatives"
_INPUTS = (
    "Stratus' TED projects each turn's features once and has no relative attention "
    "or sparse-input layers"
)
_ENTITIES = "Stratus' TED does not recognize entities; end-to-end text is a bag of words"
_TENSORBOARD = "Stratus writes no TensorBoard logs; `stratus train` prints the epochs"
_HARDWARE = "Stratus trains on the CPU"
# Accepted options Stratus does not apply, with Rasa 3.6's defaults
# (`TEDPolicy.get_default_config()`): another value gets a warning, since the policy
# trains as with the default.
_TED_NOT_APPLIED: dict[str, tuple[Any, str]] = {
    "hidden_layers_sizes": ({"text": [], "action_text": [], "label_action_text": []}, _INPUTS),
    "dense_dimension": (
        {
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
        _INPUTS,
    ),
    "concat_dimension": ({"text": 128, "action_text": 128, "label_action_text": 128}, _INPUTS),
    "encoding_dimension": (50, _INPUTS),
    "use_key_relative_attention": (False, _INPUTS),
    "use_value_relative_attention": (False, _INPUTS),
    "max_relative_position": (5, _INPUTS),
    "drop_rate": (0.0, _INPUTS),
    "drop_rate_label": (0.0, _INPUTS),
    "connection_density": (0.2, _INPUTS),
    "use_sparse_input_dropout": (True, _INPUTS),
    "use_dense_input_dropout": (True, _INPUTS),
    "use_masked_language_model": (False, _INPUTS),
    "number_of_negative_examples": (20, _LOSS),
    "maximum_positive_similarity": (0.8, _LOSS),
    "maximum_negative_similarity": (-0.2, _LOSS),
    "use_maximum_negative_similarity": (True, _LOSS),
    "scale_loss": (True, _LOSS),
    "negative_margin_scale": (0.8, _LOSS),
    "constrain_similarities": (False, _LOSS),
    "featurizers": ([], _ENTITIES),
    "entity_recognition": (True, _ENTITIES),
    "BILOU_flag": (True, _ENTITIES),
    "split_entities_by_comma": (True, _ENTITIES),
    "tensorboard_log_directory": (None, _TENSORBOARD),
    "tensorboard_log_level": ("epoch", _TENSORBOARD),
    "use_gpu": (True, _HARDWARE),
    "run_eagerly": (False, _HARDWARE),
}
# UnexpecTEDIntentPolicy's (`UnexpecTEDIntentPolicy.get_default_config()`).
_UNEXPECTED_NOT_APPLIED: dict[str, tuple[Any, str]] = {
    **{
        key: _TED_NOT_APPLIED[key]
        for key in (
            "encoding_dimension",
            "use_key_relative_attention",
            "use_value_relative_attention",
            "max_relative_position",
            "drop_rate",
            "drop_rate_label",
            "connection_density",
            "use_sparse_input_dropout",
            "use_dense_input_dropout",
            "use_masked_language_model",
            "number_of_negative_examples",
            "scale_loss",
            "featurizers",
            "split_entities_by_comma",
            "tensorboard_log_directory",
            "tensorboard_log_level",
            "use_gpu",
        )
    },
    "hidden_layers_sizes": ({"text": []}, _INPUTS),
    "dense_dimension": (
        {
            "text": 128,
            "intent": 20,
            "action_name": 20,
            "entities": 20,
            "slots": 20,
            "active_loop": 20,
            "label_intent": 20,
        },
        _INPUTS,
    ),
    "concat_dimension": ({"text": 128}, _INPUTS),
    "entity_recognition": (False, _ENTITIES),
    "BILOU_flag": (False, _ENTITIES),
}
NOT_APPLIED = {"TEDPolicy": _TED_NOT_APPLIED, "UnexpecTEDIntentPolicy": _UNEXPECTED_NOT_APPLIED}
# transformer_size and number_of_transformer_layers may be given per part, as in Rasa;
# Stratus' TED has the dialogue transformer only.
_PER_PART = {"transformer_size": 128, "number_of_transformer_layers": 1}


def option_problems(config: ProjectConfig) -> list[Problem]:
    """Unknown options of the configured policies (errors) and options of older Rasa
    versions (warnings), located in config.yml."""
    problems: list[Problem] = []
    for index, entry in enumerate(config.policies):
        name = str(entry.get("name"))
        known = POLICY_OPTIONS.get(name)
        if known is None:
            continue
        allowed = (*COMMON, *known)
        line = config.policy_lines[index] if index < len(config.policy_lines) else None
        for key in entry:
            if key in LEGACY_OPTIONS:
                problems.append(
                    warning(
                        f"'{key}' has no effect in Rasa 3 and is ignored",
                        config.file,
                        line,
                        f"policies[{index}].{key}",
                    )
                )
            elif key not in allowed:
                problems.append(
                    Problem(
                        f"unknown option '{key}' for {name}.{suggest(key, allowed)}",
                        config.file,
                        line,
                        f"policies[{index}].{key}",
                    )
                )
        # Only what the user wrote: the default policies (Rasa's, with TED's
        # constrain_similarities) are documented, not warned about at every training.
        written = "policies" not in config.defaults_used
        for key, message in _not_applied(name, entry) if written else ():
            problems.append(warning(message, config.file, line, f"policies[{index}].{key}"))
        if name == "TEDPolicy":
            for key, message in _ted_value_problems(entry):
                problems.append(Problem(message, config.file, line, f"policies[{index}].{key}"))
        if name == "UnexpecTEDIntentPolicy":
            for key, message in _unexpected_intent_value_problems(entry):
                problems.append(Problem(message, config.file, line, f"policies[{index}].{key}"))
    return problems


def _not_applied(name: str, entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(option, warning) for each option set to something other than Rasa's default
    that Stratus' policy does not apply."""
    found = []
    for key, (default, why) in NOT_APPLIED.get(name, {}).items():
        if key not in entry:
            continue
        value = entry[key]
        merged = (
            {**default, **value} if isinstance(default, dict) and isinstance(value, dict) else value
        )
        if merged != default:
            found.append(
                (
                    key,
                    f"{name} does not apply '{key}: {value!r}' ({why}); "
                    f"it trains as with Rasa's default {default!r}",
                )
            )
    for key, default in _PER_PART.items():
        value = entry.get(key)
        if not isinstance(value, dict):
            continue
        ignored = {part: size for part, size in value.items() if part != "dialogue"}
        if any(size != default for size in ignored.values()):
            found.append(
                (
                    key,
                    f"{name} applies only the dialogue part of '{key}'; "
                    f"{ignored!r} is not applied (Stratus' TED has no text transformers)",
                )
            )
    return found


def _ted_value_problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """What Rasa 3.6's `validate_configuration_settings` refuses for TEDPolicy."""
    found = []
    confidence = entry.get("model_confidence", "softmax")
    if confidence not in ("softmax", "auto"):
        found.append(
            (
                "model_confidence",
                f"'model_confidence: {confidence}' is not valid in Rasa 3.6; "
                "use `model_confidence: softmax`",
            )
        )
    elif confidence == "softmax":
        if entry.get("loss_type", "cross_entropy") != "cross_entropy":
            found.append(
                ("loss_type", "only `loss_type: cross_entropy` works with softmax confidences")
            )
        if entry.get("similarity_type", "auto") not in ("auto", "inner"):
            found.append(
                (
                    "similarity_type",
                    "only `similarity_type: inner` (or auto) works with softmax confidences",
                )
            )
    return found


def _unexpected_intent_value_problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """UnexpecTEDIntentPolicy's own options, whose values Rasa would misread silently."""
    found = []
    tolerance = entry.get("tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        found.append(("tolerance", f"'tolerance' must be a number, not {tolerance!r}"))
    elif not 0.0 <= tolerance <= 1.0:
        found.append(("tolerance", f"'tolerance' must be from 0.0 to 1.0, not {tolerance}"))
    ignored = entry.get("ignore_intents_list", [])
    if not isinstance(ignored, list) or not all(isinstance(i, str) for i in ignored):
        found.append(
            (
                "ignore_intents_list",
                f"'ignore_intents_list' must be a list of intents, not {ignored!r}",
            )
        )
    return found
