"""The options each policy accepts in config.yml: Rasa 3.6's, so a Rasa config loads.

Options Stratus reads change the trained model; the others (TED's architecture knobs
that this implementation does not have) are accepted and recorded, so the same
config.yml works for both. An option Rasa does not know is an error naming the file,
the policy and the close matches.
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
        "drop_rate_label",
        "drop_rate_attention",
        "connection_density",
        "use_sparse_input_dropout",
        "use_dense_input_dropout",
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
        if name == "UnexpecTEDIntentPolicy":
            for key, message in _unexpected_intent_value_problems(entry):
                problems.append(Problem(message, config.file, line, f"policies[{index}].{key}"))
    return problems


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
