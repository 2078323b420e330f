"""CRFEntityExtractor: Rasa 3.6's linear-chain CRF over hand-made token features.

Rasa trains CRFsuite (through sklearn-crfsuite) on features such as a token's lower
case, prefixes, suffixes and shape, with a window over its neighbours, and tags each
token with the label of highest marginal probability. `stratus_train` trains the same
CRFsuite model on the same features and exports its weights; this module computes the
features, the state scores and the forward-backward marginals in numpy, so serving
needs no CRFsuite. A role or group CRF reads the entity CRF's tags as a feature, as in
Rasa.

Features become CRFsuite attributes as python-crfsuite names them: a string value
`"k": "v"` is the attribute `k:v` with weight 1, a number or bool `"k": x` is `k` with
weight x, and a nested mapping prefixes its keys with `k:`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stratus.nlu.component import Component, read_json
from stratus.nlu.diet import split_config
from stratus.nlu.entity_tags import (
    ENTITY,
    NO_ENTITY,
    Crf,
    ensure_consistent_bilou,
    entities_from_tags,
    strip_prefix,
)
from stratus.nlu.message import Message

# {"order": [kinds], "taggers": {kind: {"labels", "attributes"}}, "pattern_names":
# {RegexFeaturizer key: [names]}, "feature_keys": [featurizer keys] or null (all)}
META_FILE = "crf.json"
WEIGHTS_FILE = "crf_weights.npz"  # per kind: CSR state weights and the transitions

# The features Rasa 3.6 knows; "pos" and "pos2" need spaCy, which Stratus does not ship.
TOKEN_FEATURES: dict[str, Callable[[str], Any]] = {
    "low": str.lower,
    "title": str.istitle,
    "prefix5": lambda text: text[:5],
    "prefix2": lambda text: text[:2],
    "suffix5": lambda text: text[-5:],
    "suffix3": lambda text: text[-3:],
    "suffix2": lambda text: text[-2:],
    "suffix1": lambda text: text[-1:],
    "bias": lambda _: "bias",
    "upper": str.isupper,
    "digit": str.isdigit,
}
PATTERN, DENSE, ENTITY_FEATURE = "pattern", "text_dense_features", "entity"
SUPPORTED_FEATURES = frozenset({*TOKEN_FEATURES, PATTERN, DENSE})


class CrfToken:
    """What the features of one token are computed from (Rasa's CRFToken)."""

    __slots__ = ("dense", "entity_tag", "pattern", "text")

    def __init__(self, text: str, pattern: dict[str, bool], dense: np.ndarray | None) -> None:
        self.text = text
        self.pattern = pattern
        self.dense = dense
        self.entity_tag = NO_ENTITY


def crf_tokens(
    message: Message, pattern_names: Mapping[str, list[str]], feature_keys: set[str] | None
) -> list[CrfToken]:
    """The message's tokens with their regex matches and dense features.

    `pattern_names` names each RegexFeaturizer's columns (by featurizer key). Rasa keeps
    one dict per token for all of them, in pipeline order: a pattern sets its name to
    whether it matched, so of two patterns with one name the later one decides.
    `feature_keys`: the featurizers whose dense features are read (None: all)."""
    patterns: list[dict[str, bool]] = [{} for _ in message.tokens]
    for block in message.sparse:
        names = pattern_names.get(block.featurizer)
        if names is None:
            continue
        for row, found in zip(block.sequence, patterns):
            hits = {column for column, _ in row}
            for column, name in enumerate(names):
                found[name] = column in hits
    dense_blocks = [
        d.sequence for d in message.dense if feature_keys is None or d.featurizer in feature_keys
    ]
    dense = None
    if dense_blocks and all(len(b) == len(message.tokens) for b in dense_blocks):
        dense = np.concatenate([np.asarray(b, np.float64) for b in dense_blocks], axis=1)
    return [
        CrfToken(token.text, found, None if dense is None else dense[i])
        for i, (token, found) in enumerate(zip(message.tokens, patterns))
    ]


def token_features(
    tokens: list[CrfToken], windows: list[list[str]], with_entity: bool
) -> list[dict[str, Any]]:
    """Rasa's `_crf_tokens_to_features`: per token, the configured features of each token
    in the window, keyed `<offset>:<feature>`, and BOS/EOS past the message's ends."""
    half = len(windows) // 2
    out = []
    for index in range(len(tokens)):
        features: dict[str, Any] = {}
        for offset in range(-half, half + 1):
            at = index + offset
            if at >= len(tokens):
                features["EOS"] = True
                continue
            if at < 0:
                features["BOS"] = True
                continue
            token = tokens[at]
            names = windows[offset + half] + ([ENTITY_FEATURE] if with_entity else [])
            for name in names:
                key = f"{offset}:{name}"
                if name == PATTERN:
                    for pattern, matched in token.pattern.items():
                        features[f"{key}:{pattern}"] = matched
                elif name == DENSE:
                    values = token.dense if token.dense is not None else ()
                    features[key] = {DENSE: {str(i): float(v) for i, v in enumerate(values)}}
                elif name == ENTITY_FEATURE:
                    features[key] = token.entity_tag
                else:
                    features[key] = TOKEN_FEATURES[name](token.text)
        out.append(features)
    return out


def attributes(features: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """python-crfsuite's `to_item`: (attribute, value) pairs of one token's features."""
    for key, value in features.items():
        name = prefix + key
        if isinstance(value, Mapping):
            yield from attributes(value, name + ":")
        elif isinstance(value, str):
            yield f"{name}:{value}", 1.0
        else:
            yield name, float(value)


class CrfTagger:
    """One trained CRF: state weights per attribute and label, and the transitions."""

    def __init__(
        self,
        labels: list[str],
        attribute_names: list[str],
        pointers: np.ndarray,
        label_ids: np.ndarray,
        weights: np.ndarray,
        transitions: np.ndarray,
    ) -> None:
        self.labels = labels
        self._index = {name: i for i, name in enumerate(attribute_names)}
        self._pointers, self._label_ids, self._weights = pointers, label_ids, weights
        # DIET's CRF decoding does the forward-backward: the same chain, other weights.
        self._crf = Crf(transitions)

    def state_scores(self, features: list[dict[str, Any]]) -> np.ndarray:
        """[tokens, labels]: each token's score per label (one gather for the message:
        per attribute, numpy calls would cost more than the arithmetic)."""
        n_labels = len(self.labels)
        tokens, found, values = [], [], []
        for t, token in enumerate(features):
            for name, value in attributes(token):
                i = self._index.get(name)
                if i is not None and value != 0.0:
                    tokens.append(t)
                    found.append(i)
                    values.append(value)
        if not found:
            return np.zeros((len(features), n_labels))
        ids = np.asarray(found)
        starts, counts = self._pointers[ids], self._pointers[ids + 1] - self._pointers[ids]
        # the cells of every found attribute's row, one after another
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
        cells = offsets + np.arange(int(counts.sum()))
        target = np.repeat(np.asarray(tokens) * n_labels, counts) + self._label_ids[cells]
        weights = np.repeat(np.asarray(values), counts) * self._weights[cells]
        flat = np.bincount(target, weights=weights, minlength=len(features) * n_labels)
        return flat.reshape(len(features), n_labels)

    def marginals(self, features: list[dict[str, Any]]) -> np.ndarray:
        """[tokens, labels]: CRFsuite's `marginal(label, t)` for every token and label."""
        return self._crf.marginals(self.state_scores(features))


class CRFEntityExtractor(Component):
    """Entities (with roles and groups) tagged by Rasa's CRFEntityExtractor model."""

    name = "CRFEntityExtractor"
    # Rasa 3.6's defaults, option for option.
    defaults: ClassVar[dict[str, Any]] = {
        "BILOU_flag": True,
        "split_entities_by_comma": True,
        "features": [
            ["low", "title", "upper"],
            [
                "low",
                "bias",
                "prefix5",
                "prefix2",
                "suffix5",
                "suffix3",
                "suffix2",
                "upper",
                "title",
                "digit",
                "pattern",
            ],
            ["low", "title", "upper"],
        ],
        "max_iterations": 50,
        "L1_c": 0.1,
        "L2_c": 0.1,
        "featurizers": [],
    }
    neural = True  # trained by stratus_train (CRFsuite), never by the engine

    def __init__(
        self,
        config: dict[str, Any],
        taggers: dict[str, CrfTagger] | None = None,
        pattern_names: dict[str, list[str]] | None = None,
        feature_keys: list[str] | None = None,
    ) -> None:
        super().__init__(config)
        self.taggers = taggers or {}  # entity first, then role and group
        self.pattern_names = pattern_names or {}
        # the blocks of the `featurizers` option (by featurizer key); None: every block
        self.feature_keys = None if feature_keys is None else set(feature_keys)
        self._split = split_config(config.get("split_entities_by_comma", True))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> CRFEntityExtractor:
        meta = read_json(directory / META_FILE)
        taggers: dict[str, CrfTagger] = {}
        if meta["order"]:
            with np.load(directory / WEIGHTS_FILE) as arrays:
                for kind in meta["order"]:
                    info = meta["taggers"][kind]
                    taggers[kind] = CrfTagger(
                        info["labels"],
                        info["attributes"],
                        arrays[f"{kind}_pointers"],
                        arrays[f"{kind}_labels"],
                        arrays[f"{kind}_weights"],
                        arrays[f"{kind}_transitions"],
                    )
        return cls(config, taggers, meta["pattern_names"], meta["feature_keys"])

    def process(self, messages: list[Message]) -> None:
        if not self.taggers:
            return
        for message in messages:
            found = self.entities(message)
            for entity in found:
                entity["extractor"] = self.name
            message.entities = (message.entities or []) + found

    def has_features(self, message: Message) -> bool:
        """Rasa tags only messages with features from the `featurizers` option's."""
        keys = self.feature_keys
        present = [b.featurizer for b in message.sparse] + [d.featurizer for d in message.dense]
        return any(keys is None or key in keys for key in present)

    def entities(self, message: Message) -> list[dict[str, Any]]:
        if not message.tokens or not self.has_features(message):
            return []
        tokens = crf_tokens(message, self.pattern_names, self.feature_keys)
        windows = self.config["features"]
        bilou = bool(self.config["BILOU_flag"])
        tags: dict[str, list[str]] = {}
        confidences: dict[str, list[float]] = {}
        for kind, tagger in self.taggers.items():
            marginals = tagger.marginals(token_features(tokens, windows, kind != ENTITY))
            kind_tags, kind_confidences = most_likely(tagger.labels, marginals, bilou)
            if kind == ENTITY:  # the role and group CRFs read these (before the BILOU fix)
                for token, tag in zip(tokens, kind_tags):
                    token.entity_tag = tag
            if bilou:
                kind_tags, kind_confidences = ensure_consistent_bilou(kind_tags, kind_confidences)
            tags[kind], confidences[kind] = kind_tags, kind_confidences
        if ENTITY not in tags:
            return []
        return entities_from_tags(message.text, message.tokens, tags, confidences, self._split)


def most_likely(
    labels: list[str], marginals: np.ndarray, bilou: bool
) -> tuple[list[str], list[float]]:
    """Rasa's `_most_likely_tag`: each token's most probable label (the first of equals,
    in CRFsuite's label order) and its probability; under BILOU, the summed probability
    of every label of that entity."""
    tags, confidences = [], []
    base = [strip_prefix(label) for label in labels]
    for row in marginals.tolist():
        best = max(range(len(labels)), key=row.__getitem__)
        tags.append(labels[best])
        if bilou:
            confidences.append(sum(p for b, p in zip(base, row) if b == base[best]))
        else:
            confidences.append(row[best])
    return tags, confidences
