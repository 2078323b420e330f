"""RegexFeaturizer: marks the tokens that a regex or lookup-table entry matches."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.message import Message, SparseBlock
from stratus.nlu.patterns import NamedPattern, compile_patterns, extract_patterns
from stratus.shared.training_data.message import NluData

PATTERNS_FILE = "patterns.json"


class RegexFeaturizer(Component):
    """One column per pattern: 1 on every token a match overlaps, and on the sentence."""

    name = "RegexFeaturizer"
    defaults: ClassVar[dict[str, Any]] = {
        "alias": None,
        "case_sensitive": True,
        "use_lookup_tables": True,
        "use_regexes": True,
        "use_word_boundaries": True,
    }
    # Removed in Rasa 3 (vocabulary growth for incremental training); accepted, ignored.
    ignored_options = frozenset({"number_additional_patterns"})

    def __init__(self, config: dict[str, Any], patterns: list[NamedPattern] | None = None):
        super().__init__(config)
        self.patterns = patterns or []
        self._compiled = compile_patterns(self.patterns, bool(config["case_sensitive"]))

    def fit(self, messages: list[Message], data: NluData) -> None:
        self.patterns = extract_patterns(
            data,
            use_regexes=self.config["use_regexes"],
            use_lookup_tables=self.config["use_lookup_tables"],
            word_boundaries=self.config["use_word_boundaries"],
        )
        self._compiled = compile_patterns(self.patterns, bool(self.config["case_sensitive"]))

    def process(self, messages: list[Message]) -> None:
        if not self.patterns:
            return
        for message in messages:
            if not message.text or not message.tokens:
                continue
            sequence: list[list[tuple[int, float]]] = [[] for _ in message.tokens]
            sentence: list[tuple[int, float]] = []
            for col, pattern in enumerate(self._compiled):
                spans = [m.span() for m in pattern.finditer(message.text)]
                if not spans:
                    continue
                hit = False
                for row, token in zip(sequence, message.tokens):
                    if any(token.start < end and token.end > start for start, end in spans):
                        row.append((col, 1.0))
                        hit = True
                if hit:
                    sentence.append((col, 1.0))
            message.sparse.append(SparseBlock(self.key, len(self.patterns), sequence, sentence))

    def persist(self, directory: Path) -> None:
        write_json(directory / PATTERNS_FILE, [p.as_dict() for p in self.patterns])

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> RegexFeaturizer:
        raw = read_json(directory / PATTERNS_FILE)
        return cls(config, [NamedPattern(p["name"], p["pattern"]) for p in raw])
