"""config.yml: language, pipeline, policies and assistant id, with Rasa's defaults filled in."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, suggest, unknown_key, warning
from stratus.shared.yaml_io import YList, line_of, read_yaml_mapping

# Rasa 3.6's `rasa init` defaults, used when config.yml leaves pipeline or policies out.
DEFAULT_PIPELINE: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]
DEFAULT_LANGUAGE = "en"
PLACEHOLDER_ASSISTANT_ID = "placeholder_default"

TOP_LEVEL_KEYS = {
    "recipe",
    "language",
    "pipeline",
    "policies",
    "assistant_id",
    "data",
    "importers",
    "version",  # Rasa 3.6 accepts (and ignores) a format version here too
    # graph recipe (graph.v1) keys, accepted so such configs load
    "train_schema",
    "predict_schema",
    "nlu_target",
    "core_target",
}

# Every component and policy name Rasa 3.6 ships. A name outside this list is a typo;
# a name inside it that Stratus does not implement is reported by the engine's registry.
RASA_COMPONENTS = frozenset(
    {
        "WhitespaceTokenizer",
        "JiebaTokenizer",
        "MitieTokenizer",
        "SpacyTokenizer",
        "LanguageModelFeaturizer",
        "ConveRTFeaturizer",
        "ConveRTTokenizer",
        "HFTransformersNLP",
        "LanguageModelTokenizer",
        "MitieNLP",
        "SpacyNLP",
        "MitieFeaturizer",
        "SpacyFeaturizer",
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "MitieIntentClassifier",
        "LogisticRegressionClassifier",
        "SklearnIntentClassifier",
        "KeywordIntentClassifier",
        "DIETClassifier",
        "FallbackClassifier",
        "MitieEntityExtractor",
        "SpacyEntityExtractor",
        "CRFEntityExtractor",
        "DucklingEntityExtractor",
        "DucklingHTTPExtractor",
        "RegexEntityExtractor",
        "EntitySynonymMapper",
        "ResponseSelector",
        "EmbeddingIntentClassifier",
    }
)
RASA_POLICIES = frozenset(
    {
        "TEDPolicy",
        "UnexpecTEDIntentPolicy",
        "MemoizationPolicy",
        "AugmentedMemoizationPolicy",
        "RulePolicy",
        "KerasPolicy",
        "FallbackPolicy",
        "TwoStageFallbackPolicy",
        "FormPolicy",
        "MappingPolicy",
        "SklearnPolicy",
    }
)


@dataclass(frozen=True)
class ProjectConfig:
    """A config.yml with defaults filled in (what a trained model stores)."""

    language: str = DEFAULT_LANGUAGE
    pipeline: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_PIPELINE))
    policies: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_POLICIES))
    assistant_id: str = PLACEHOLDER_ASSISTANT_ID
    recipe: str = "default.v1"
    file: str | None = None
    # which of "pipeline" / "policies" were filled with defaults because config.yml had none
    defaults_used: tuple[str, ...] = ()
    # line of each pipeline / policy item in the file, parallel to the lists (None when defaulted)
    pipeline_lines: tuple[int | None, ...] = ()
    policy_lines: tuple[int | None, ...] = ()
    warnings: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The filled config, as stored in a model's manifest."""
        return {
            "recipe": self.recipe,
            "language": self.language,
            "assistant_id": self.assistant_id,
            "pipeline": copy.deepcopy(self.pipeline),
            "policies": copy.deepcopy(self.policies),
        }


def _components(
    value: Any, key: str, file: str, known: frozenset[str], problems: list[Problem]
) -> tuple[list[dict[str, Any]], tuple[int | None, ...]]:
    if not isinstance(value, list):
        problems.append(
            Problem(
                f"must be a list of components (`- name: ...`), not {type(value).__name__}",
                file,
                None,
                key,
            )
        )
        return [], ()
    items: list[dict[str, Any]] = []
    lines: list[int | None] = []
    for i, item in enumerate(value):
        line = value.line_of(i) if isinstance(value, YList) else None
        where = f"{key}[{i}]"
        if isinstance(item, str):  # Rasa accepts a bare name
            item = {"name": item}
        if not isinstance(item, dict) or "name" not in item:
            problems.append(Problem("each entry needs a `name:` key", file, line, where))
            continue
        name = item["name"]
        if not isinstance(name, str):
            problems.append(Problem("`name` must be a string", file, line, f"{where}.name"))
            continue
        if name not in known and "." not in name:  # a dotted name is a custom class path
            problems.append(
                Problem(
                    f"unknown component '{name}'.{suggest(name, known)}",
                    file,
                    line,
                    f"{where}.name",
                )
            )
            continue
        items.append({k: copy.deepcopy(v) for k, v in item.items()})
        lines.append(line)
    return items, tuple(lines)


def config_from_dict(data: dict[str, Any], file: str = "config.yml") -> ProjectConfig:
    """Validate a parsed config.yml and fill the defaults Rasa fills."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                Problem(
                    unknown_key(str(key), TOP_LEVEL_KEYS, "config.yml"),
                    file,
                    line_of(data, key),
                    str(key),
                )
            )
    language = data.get("language") or DEFAULT_LANGUAGE
    if not isinstance(language, str):
        problems.append(
            Problem(
                "must be a language code such as `en`", file, line_of(data, "language"), "language"
            )
        )
        language = DEFAULT_LANGUAGE
    assistant_id = data.get("assistant_id")
    if assistant_id is None or assistant_id == PLACEHOLDER_ASSISTANT_ID:
        warnings.append(
            warning(
                "no unique `assistant_id` is set; add one so tracker events name their assistant",
                file,
                line_of(data, "assistant_id") if "assistant_id" in data else None,
                "assistant_id",
            )
        )
        assistant_id = PLACEHOLDER_ASSISTANT_ID
    defaults_used: list[str] = []
    pipeline: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    if data.get("pipeline"):
        pipeline, pipeline_lines = _components(
            data["pipeline"], "pipeline", file, RASA_COMPONENTS, problems
        )
    else:
        pipeline, pipeline_lines = copy.deepcopy(DEFAULT_PIPELINE), (None,) * len(DEFAULT_PIPELINE)
        defaults_used.append("pipeline")
    if data.get("policies"):
        policies, policy_lines = _components(
            data["policies"], "policies", file, RASA_POLICIES, problems
        )
    else:
        policies, policy_lines = copy.deepcopy(DEFAULT_POLICIES), (None,) * len(DEFAULT_POLICIES)
        defaults_used.append("policies")
    recipe = data.get("recipe") or "default.v1"
    if recipe not in ("default.v1", "graph.v1"):
        problems.append(
            Problem(
                f"unknown recipe '{recipe}'; use `default.v1`",
                file,
                line_of(data, "recipe"),
                "recipe",
            )
        )
    if problems:
        raise ConfigError(problems)
    return ProjectConfig(
        language=language,
        pipeline=pipeline,
        policies=policies,
        assistant_id=str(assistant_id),
        recipe=str(recipe),
        file=file,
        defaults_used=tuple(defaults_used),
        pipeline_lines=pipeline_lines,
        policy_lines=policy_lines,
        warnings=tuple(warnings),
    )


def load_config(path: str | Path | None) -> ProjectConfig:
    """Load config.yml; a missing path gives Rasa's full default config."""
    if path is None:
        return replace(config_from_dict({}, "<default config>"), warnings=())
    return config_from_dict(read_yaml_mapping(path, "config file"), str(path))


def find_component(config: ProjectConfig, name: str) -> dict[str, Any] | None:
    """The first pipeline or policy entry with this name."""
    for item in [*config.pipeline, *config.policies]:
        if item.get("name") == name:
            return item
    return None


__all__ = [
    "DEFAULT_PIPELINE",
    "DEFAULT_POLICIES",
    "ProjectConfig",
    "config_from_dict",
    "find_component",
    "load_config",
]
