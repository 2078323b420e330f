"""LexicalSyntacticFeaturizer: one-hot word-shape features over a sliding window of tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.message import Message, SparseBlock, SparseRow, Token
from stratus.shared.training_data.message import NluData

FEATURES_FILE = "feature_to_index.json"
BOS, EOS = "BOS", "EOS"
# Kept for reuse, each cache starting over when full: token text -> its feature values,
# and (window position, values, first?, last?) -> cells.
SHAPES_KEPT = 8192
CELLS_KEPT = 8192

# Rasa stringifies every value ("True"/"False" included), so each becomes its own column.
# Each reads the token's text only (`_cells` keeps their values per text).
FEATURE_FUNCTIONS: dict[str, Callable[[Token], object]] = {
    "low": lambda t: t.text.islower(),
    "title": lambda t: t.text.istitle(),
    "prefix5": lambda t: t.text[:5],
    "prefix2": lambda t: t.text[:2],
    "suffix5": lambda t: t.text[-5:],
    "suffix3": lambda t: t.text[-3:],
    "suffix2": lambda t: t.text[-2:],
    "suffix1": lambda t: t.text[-1:],
    "upper": lambda t: t.text.isupper(),
    "digit": lambda t: t.text.isdigit(),
}
SUPPORTED_FEATURES = frozenset([*FEATURE_FUNCTIONS, BOS, EOS])
# Part-of-speech features need spaCy, which Stratus does not ship.
SPACY_FEATURES = frozenset({"pos", "pos2"})


class LexicalSyntacticFeaturizer(Component):
    """Features of the previous, current and next token (by default), as Rasa 3.6."""

    name = "LexicalSyntacticFeaturizer"
    defaults: ClassVar[dict[str, Any]] = {
        "alias": None,
        "features": [
            ["low", "title", "upper"],
            ["BOS", "EOS", "low", "upper", "title", "digit"],
            ["low", "title", "upper"],
        ],
    }

    def __init__(self, config: dict[str, Any], index: dict[str, dict[str, int]] | None = None):
        super().__init__(config)
        self.windows: list[list[str]] = [list(w) for w in config["features"]]
        half = len(self.windows) // 2
        self._offsets = list(range(-half, half + len(self.windows) % 2))
        # "<window position>|<feature>" -> value -> column
        self.index: dict[str, dict[str, int]] = index or {}
        self.dim = sum(len(v) for v in self.index.values())
        self._shapes_of: dict[str, tuple[tuple[object, ...], ...]] = {}
        self._cells_of: dict[tuple[int, tuple[object, ...], bool, bool], SparseRow] = {}

    def _raw_features(self, tokens: list[Token]) -> list[dict[str, str]]:
        n = len(tokens)
        rows: list[dict[str, str]] = []
        for anchor in range(n):
            row: dict[str, str] = {}
            for position, relative in enumerate(self._offsets):
                at = anchor + relative
                if 0 <= at < n:
                    row.update(self._token_features(position, tokens[at], at == 0, at == n - 1))
            rows.append(row)
        return rows

    def fit(self, messages: list[Message], data: NluData) -> None:
        values: dict[str, set[str]] = {}
        for message in messages:
            for row in self._raw_features(message.tokens):
                for key, value in row.items():
                    values.setdefault(key, set()).add(value)
        index: dict[str, dict[str, int]] = {}
        offset = 0
        for key in sorted(values):
            index[key] = {v: offset + i for i, v in enumerate(sorted(values[key]))}
            offset += len(values[key])
        self.index, self.dim = index, offset
        self._cells_of.clear()  # the columns changed; the feature values did not

    def process(self, messages: list[Message]) -> None:
        if not self.dim:
            return
        for message in messages:
            tokens = message.tokens
            if not tokens:
                continue
            n = len(tokens)
            sequence = []
            for anchor in range(n):
                # Column order (window positions 0-9 sort before the next one's keys).
                row: SparseRow = []
                for position, relative in enumerate(self._offsets):
                    at = anchor + relative
                    if 0 <= at < n:
                        row += self._cells(position, tokens[at], at == 0, at == n - 1)
                sequence.append(row)
            # Rasa's LexicalSyntacticFeaturizer gives no sentence features.
            message.sparse.append(SparseBlock(self.key, self.dim, sequence, None))

    def _token_features(
        self, position: int, token: Token, first: bool, last: bool
    ) -> dict[str, str]:
        """What one token gives at one window position: "<position>|<feature>" -> value."""
        features: dict[str, str] = {}
        for feature in self.windows[position]:
            if feature == BOS:
                value: object = first
            elif feature == EOS:
                value = last
            else:
                value = FEATURE_FUNCTIONS[feature](token)
            features[f"{position}|{feature}"] = str(value)
        return features

    def _cells(self, position: int, token: Token, first: bool, last: bool) -> SparseRow:
        """The cells of `_token_features`, in column order. They depend only on the values
        of the window's features (word shapes, few and repeated) and the two flags, so
        they are kept per values rather than per text: a word not seen before costs its
        feature values once, not a row per window position (~6 us each; SNIPS' test
        messages bring ~2 unseen words each, so this was ~40 us of a 1.1 ms parse)."""
        shapes = self._shapes_of.get(token.text)
        if shapes is None:
            if len(self._shapes_of) >= SHAPES_KEPT:
                self._shapes_of.clear()
            shapes = self._shapes_of[token.text] = tuple(
                tuple(FEATURE_FUNCTIONS[f](token) for f in window if f not in (BOS, EOS))
                for window in self.windows
            )
        key = (position, shapes[position], first, last)
        cells = self._cells_of.get(key)
        if cells is None:
            features = self._token_features(position, token, first, last)
            found = (self.index.get(name, {}).get(value) for name, value in features.items())
            cells = [(col, 1.0) for col in sorted(col for col in found if col is not None)]
            if len(self._cells_of) >= CELLS_KEPT:
                self._cells_of.clear()
            self._cells_of[key] = cells
        return cells

    def persist(self, directory: Path) -> None:
        write_json(directory / FEATURES_FILE, self.index)

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> LexicalSyntacticFeaturizer:
        return cls(config, read_json(directory / FEATURES_FILE))
