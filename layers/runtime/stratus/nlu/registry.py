"""The one table of NLU components, and the one place their defaults are merged.

A pipeline from config.yml is checked here: unknown components and options are errors
naming the file, line, component and close matches; the result is the filled config
that a trained model stores (spaCy's filled config).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from stratus.nlu.classifiers import FallbackClassifier, KeywordIntentClassifier
from stratus.nlu.component import QUANTIZE, QUANTIZE_CHOICES, Component
from stratus.nlu.crf_extractor import SUPPORTED_FEATURES as CRF_FEATURES
from stratus.nlu.crf_extractor import CRFEntityExtractor
from stratus.nlu.diet import DIETClassifier
from stratus.nlu.duckling import DucklingEntityExtractor
from stratus.nlu.extractors import EntitySynonymMapper, RegexEntityExtractor
from stratus.nlu.featurizers.count_vectors import CountVectorsFeaturizer
from stratus.nlu.featurizers.language_model import LanguageModelFeaturizer
from stratus.nlu.featurizers.lexical_syntactic import (
    SPACY_FEATURES,
    SUPPORTED_FEATURES,
    LexicalSyntacticFeaturizer,
)
from stratus.nlu.featurizers.regex_featurizer import RegexFeaturizer
from stratus.nlu.logistic_regression import LogisticRegressionClassifier
from stratus.nlu.response_selector import ResponseSelector
from stratus.nlu.tokenizers import JiebaTokenizer, Tokenizer, WhitespaceTokenizer
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, suggest, unknown_key

logger = logging.getLogger(__name__)

TOKENIZER, FEATURIZER, CLASSIFIER, EXTRACTOR, PROCESSOR, SELECTOR = (
    "tokenizer",
    "featurizer",
    "classifier",
    "extractor",
    "processor",
    "selector",
)


@dataclass(frozen=True)
class ComponentEntry:
    cls: type[Component]
    kind: str


COMPONENTS: dict[str, ComponentEntry] = {
    "WhitespaceTokenizer": ComponentEntry(WhitespaceTokenizer, TOKENIZER),
    "JiebaTokenizer": ComponentEntry(JiebaTokenizer, TOKENIZER),
    "RegexFeaturizer": ComponentEntry(RegexFeaturizer, FEATURIZER),
    "LexicalSyntacticFeaturizer": ComponentEntry(LexicalSyntacticFeaturizer, FEATURIZER),
    "CountVectorsFeaturizer": ComponentEntry(CountVectorsFeaturizer, FEATURIZER),
    "LanguageModelFeaturizer": ComponentEntry(LanguageModelFeaturizer, FEATURIZER),
    "DIETClassifier": ComponentEntry(DIETClassifier, CLASSIFIER),
    "KeywordIntentClassifier": ComponentEntry(KeywordIntentClassifier, CLASSIFIER),
    "LogisticRegressionClassifier": ComponentEntry(LogisticRegressionClassifier, CLASSIFIER),
    "FallbackClassifier": ComponentEntry(FallbackClassifier, PROCESSOR),
    "RegexEntityExtractor": ComponentEntry(RegexEntityExtractor, EXTRACTOR),
    "DucklingEntityExtractor": ComponentEntry(DucklingEntityExtractor, EXTRACTOR),
    "CRFEntityExtractor": ComponentEntry(CRFEntityExtractor, EXTRACTOR),
    "EntitySynonymMapper": ComponentEntry(EntitySynonymMapper, PROCESSOR),
    "ResponseSelector": ComponentEntry(ResponseSelector, SELECTOR),
}

# Rasa components Stratus deliberately does not ship, with what to use instead.
UNSUPPORTED: dict[str, str] = {
    "SpacyNLP": "spaCy models are not shipped; use WhitespaceTokenizer with "
    "CountVectorsFeaturizer (or LanguageModelFeaturizer for pre-trained embeddings)",
    "SpacyTokenizer": "use WhitespaceTokenizer",
    "SpacyFeaturizer": "use LanguageModelFeaturizer for pre-trained embeddings",
    "SpacyEntityExtractor": "annotate the entities and let DIETClassifier learn them",
    "MitieNLP": "MITIE is not shipped; use WhitespaceTokenizer",
    "MitieTokenizer": "use WhitespaceTokenizer",
    "MitieFeaturizer": "use CountVectorsFeaturizer or LanguageModelFeaturizer",
    "MitieIntentClassifier": "use DIETClassifier",
    "MitieEntityExtractor": "use DIETClassifier",
    "ConveRTFeaturizer": "use LanguageModelFeaturizer",
    "ConveRTTokenizer": "use WhitespaceTokenizer",
    "HFTransformersNLP": "use LanguageModelFeaturizer",
    "LanguageModelTokenizer": "use WhitespaceTokenizer",
    "SklearnIntentClassifier": "use DIETClassifier",
    "EmbeddingIntentClassifier": "use DIETClassifier",
    "DucklingHTTPExtractor": "Rasa 3 renamed it DucklingEntityExtractor (same options)",
}

_CONFIDENCE_HELP = (
    "Rasa 3.6 supports only `model_confidence: softmax` (cosine and inner were removed)."
)

# DIETClassifier and ResponseSelector options whose non-default values Stratus does not
# train: each is an error naming it, never a model that silently differs from Rasa's.
# (option, whether it matters only with a transformer, why it is refused)
_UNTRAINED_OPTIONS = (
    ("use_key_relative_attention", True, "relative attention is not supported by Stratus yet"),
    ("use_value_relative_attention", True, "relative attention is not supported by Stratus yet"),
    (
        "unidirectional_encoder",
        True,
        "a unidirectional transformer is not supported by Stratus yet",
    ),
    (
        "share_hidden_layers",
        False,
        "shared text and label hidden layers are not supported by Stratus yet",
    ),
)
# Options that only steer TensorBoard; Stratus writes no TensorBoard logs.
_TENSORBOARD_OPTIONS = ("tensorboard_log_directory",)


def component_class(name: str) -> type[Component]:
    return COMPONENTS[name].cls


def fill_pipeline(
    pipeline: list[dict[str, Any]],
    file: str | None = None,
    lines: tuple[int | None, ...] = (),
) -> list[dict[str, Any]]:
    """Every component with Rasa's defaults merged in; raises ConfigError on any problem."""
    problems: list[Problem] = []
    filled: list[dict[str, Any]] = []
    for i, item in enumerate(pipeline):
        line = lines[i] if i < len(lines) else None
        where = f"pipeline[{i}]"
        name = str(item.get("name"))
        if name in UNSUPPORTED:
            problems.append(
                Problem(
                    f"Stratus does not support '{name}': {UNSUPPORTED[name]}.",
                    file,
                    line,
                    f"{where}.name",
                )
            )
            continue
        if name not in COMPONENTS:
            hint = (
                suggest(name, COMPONENTS)
                if "." not in name
                else (" Custom component classes are not supported.")
            )
            problems.append(
                Problem(f"unknown component '{name}'.{hint}", file, line, f"{where}.name")
            )
            continue
        cls = COMPONENTS[name].cls
        options = {k: v for k, v in item.items() if k != "name"}
        if "weight_sparsity" in options and name in ("DIETClassifier", "ResponseSelector"):
            # Rasa 2's option; Rasa 3 renamed it to its complement.
            options.setdefault("connection_density", 1.0 - float(options["weight_sparsity"]))
            logger.warning(
                "%s: `weight_sparsity` is deprecated; using connection_density=%s.",
                name,
                options["connection_density"],
            )
            options.pop("weight_sparsity")
        config = copy.deepcopy(cls.defaults)
        for key, value in options.items():
            if key in cls.ignored_options:
                logger.warning(
                    "%s: option '%s' has no effect in Stratus (Rasa 3.6 ignores it "
                    "too); remove it.",
                    name,
                    key,
                )
                continue
            if key not in config and key not in cls.stratus_options:
                problems.append(
                    Problem(
                        unknown_key(key, [*config, *cls.stratus_options], f"component '{name}'"),
                        file,
                        line,
                        f"{where}.{key}",
                    )
                )
                continue
            if key in _TENSORBOARD_OPTIONS and value is not None:
                logger.warning(
                    "%s: Stratus writes no TensorBoard logs; '%s' is ignored "
                    "(`stratus train` prints each epoch's figures).",
                    name,
                    key,
                )
            if isinstance(config.get(key), dict) and isinstance(value, dict):
                config[key] = {**config[key], **copy.deepcopy(value)}
            else:
                config[key] = copy.deepcopy(value)
        problems.extend(
            Problem(msg, file, line, f"{where}.{field}")
            for field, msg in _check_values(name, config)
        )
        filled.append({"name": name, **config})
    if not problems:
        problems.extend(Problem(msg, file, None, "pipeline") for msg in _check_order(filled))
    if problems:
        raise ConfigError(problems)
    return filled


def _check_values(name: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for option values Rasa would reject at training time, and for
    Stratus' own options."""
    found: list[tuple[str, str]] = []
    if config.get(QUANTIZE) not in (None, *QUANTIZE_CHOICES):
        found.append(
            (
                QUANTIZE,
                f"must be {' or '.join(QUANTIZE_CHOICES)} (or null for float32 weights), "
                f"not '{config[QUANTIZE]}'",
            )
        )
    if name == "CountVectorsFeaturizer":
        if config["analyzer"] not in ("word", "char", "char_wb"):
            found.append(("analyzer", f"must be word, char or char_wb, not '{config['analyzer']}'"))
        if not (
            isinstance(config["min_ngram"], int)
            and isinstance(config["max_ngram"], int)
            and 1 <= config["min_ngram"] <= config["max_ngram"]
        ):
            found.append(
                (
                    "min_ngram",
                    "min_ngram and max_ngram must be integers with 1 <= min_ngram <= max_ngram",
                )
            )
        if isinstance(config["stop_words"], str):
            found.append(
                (
                    "stop_words",
                    "give the stop words as a list (Stratus ships no built-in stop word list)",
                )
            )
        if config["strip_accents"] not in (None, "ascii", "unicode"):
            found.append(("strip_accents", "must be ascii, unicode or null"))
    elif name == "LexicalSyntacticFeaturizer":
        found.extend(_check_windows(config["features"], SUPPORTED_FEATURES))
    elif name in ("DIETClassifier", "ResponseSelector"):
        if config["model_confidence"] not in ("softmax", "auto"):
            found.append(("model_confidence", _CONFIDENCE_HELP))
        if config["loss_type"] != "cross_entropy":
            found.append(("loss_type", "only cross_entropy works with softmax confidences"))
        if config["similarity_type"] not in ("auto", "inner"):
            found.append(("similarity_type", "only inner (or auto) works with softmax"))
        if not 0.0 < float(config["connection_density"]) <= 1.0:
            found.append(("connection_density", "must be in (0, 1]"))
        if not isinstance(config["epochs"], int) or config["epochs"] < 0:
            found.append(("epochs", "must be a non-negative integer"))
        if config.get("use_masked_language_model"):
            found.append(("use_masked_language_model", "is not supported by Stratus yet"))
        if config.get("use_text_as_label"):
            found.append(("use_text_as_label", "is not supported by Stratus yet"))
        layers = config.get("number_of_transformer_layers")
        # a number, or Rasa's {text:, label:} mapping: the text's transformer, and a
        # ResponseSelector's label transformer
        if not isinstance(layers, dict):
            transformer = bool(layers)
        elif name == "DIETClassifier":  # DIET's labels have no transformer (Rasa's)
            transformer = bool(layers.get("text"))
        else:
            transformer = any(layers.values())
        for key, with_transformer, why in _UNTRAINED_OPTIONS:
            if config.get(key) and (transformer or not with_transformer):
                found.append((key, f"{why}; remove it or set it to false"))
    elif name == "FallbackClassifier":
        for key in ("threshold", "ambiguity_threshold"):
            if not isinstance(config[key], int | float):
                found.append((key, "must be a number"))
    elif name == "DucklingEntityExtractor":
        found.extend(_check_duckling(config))
    elif name == "LogisticRegressionClassifier":
        found.extend(_check_logistic_regression(config))
    elif name == "CRFEntityExtractor":
        found.extend(_check_crf(config))
    return found


def _check_windows(
    windows: Any, supported: frozenset[str], odd: bool = False
) -> list[tuple[str, str]]:
    """A `features` option of windows of feature names (LexicalSyntacticFeaturizer's,
    CRFEntityExtractor's, which needs an odd count: a centre token)."""
    if (
        not isinstance(windows, list)
        or not all(isinstance(w, list) for w in windows)
        or (odd and len(windows) % 2 != 1)
    ):
        shape = (
            "an odd number of lists of feature names (tokens before, the token, tokens after)"
            if odd
            else "a list of lists of feature names"
        )
        return [("features", f"must be {shape}")]
    found: list[tuple[str, str]] = []
    for feature in (f for w in windows for f in w):
        if feature in SPACY_FEATURES:
            found.append(("features", f"'{feature}' needs spaCy, which Stratus does not ship"))
        elif feature not in supported:
            found.append(
                ("features", f"unknown feature '{feature}'.{suggest(str(feature), supported)}")
            )
    return found


def _not_a_number(value: Any, lowest: float, integer: bool = False, above: bool = False) -> bool:
    """Whether `value` is not a number (an integer, with `integer`) >= `lowest` (> it, with
    `above`); YAML's true and false are not numbers."""
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds):
        return True
    return value <= lowest if above else value < lowest


def _check_crf(config: dict[str, Any]) -> list[tuple[str, str]]:
    found = _check_windows(config["features"], CRF_FEATURES, odd=True)
    if _not_a_number(config["max_iterations"], 1, integer=True):
        found.append(("max_iterations", "must be an integer >= 1"))
    found.extend(
        (key, "must be a number >= 0") for key in ("L1_c", "L2_c") if _not_a_number(config[key], 0)
    )
    return found


# scikit-learn's solvers (Rasa passes `solver` through to it)
_SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")


def _check_logistic_regression(config: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if config["solver"] not in _SOLVERS:
        found.append(
            (
                "solver",
                f"unknown solver '{config['solver']}'.{suggest(str(config['solver']), _SOLVERS)}",
            )
        )
    for key, lowest in (("max_iter", 1), ("ranking_length", 0)):
        if _not_a_number(config[key], lowest, integer=True):
            found.append((key, f"must be an integer >= {lowest}"))
    if _not_a_number(config["tol"], 0, above=True):
        found.append(("tol", "must be a positive number"))
    seed = config["random_state"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        found.append(("random_state", "must be an integer or null"))
    return found


def _check_duckling(config: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    dimensions = config["dimensions"]
    if dimensions is not None and not (
        isinstance(dimensions, list) and all(isinstance(d, str) for d in dimensions)
    ):
        found.append(("dimensions", "must be a list of Duckling dimensions (e.g. [number, time])"))
    for key in ("url", "locale", "timezone"):
        if config[key] is not None and not isinstance(config[key], str):
            found.append((key, "must be a string"))
    url = config["url"]
    if isinstance(url, str) and not url.startswith(("http://", "https://")):
        found.append(("url", f"must be an http:// or https:// URL, not '{url}'"))
    if _not_a_number(config["timeout"], 0, above=True):
        found.append(("timeout", "must be a positive number of seconds"))
    return found


def _check_order(pipeline: list[dict[str, Any]]) -> list[str]:
    """Rasa's graph validation, in words a user can act on."""
    messages: list[str] = []
    seen: set[str] = set()
    for item in pipeline:
        name = item["name"]
        kind = COMPONENTS[name].kind
        if (
            kind != TOKENIZER
            and TOKENIZER not in seen
            and name
            not in (
                "KeywordIntentClassifier",
                "RegexEntityExtractor",
                "DucklingEntityExtractor",
                "EntitySynonymMapper",
                "FallbackClassifier",
            )
        ):
            messages.append(f"'{name}' needs a tokenizer (e.g. WhitespaceTokenizer) before it")
        if (
            name in ("DIETClassifier", "ResponseSelector", "LogisticRegressionClassifier")
            and FEATURIZER not in seen
        ):
            messages.append(f"'{name}' needs a featurizer (e.g. CountVectorsFeaturizer) before it")
        if name == "FallbackClassifier" and CLASSIFIER not in seen:
            messages.append("'FallbackClassifier' needs an intent classifier before it")
        seen.add(kind)
    if sum(1 for i in pipeline if COMPONENTS[i["name"]].kind == TOKENIZER) > 1:
        messages.append("the pipeline has more than one tokenizer")
    return messages


def build_component(item: dict[str, Any], index: int) -> Component:
    """A fresh, untrained component for a filled pipeline entry."""
    name = item["name"]
    component = COMPONENTS[name].cls({k: v for k, v in item.items() if k != "name"})
    component.key = component_key(index, name)
    return component


def component_key(index: int, name: str) -> str:
    """Names a featurizer's feature block; unique even with two featurizers of one kind."""
    return f"{index}_{name}"


def is_tokenizer(component: Component) -> bool:
    return isinstance(component, Tokenizer)
