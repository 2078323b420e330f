"""Rule-based entity components: RegexEntityExtractor and EntitySynonymMapper."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.message import Message
from stratus.nlu.patterns import NamedPattern, compile_patterns, extract_patterns
from stratus.shared.training_data.message import NluData

logger = logging.getLogger(__name__)

PATTERNS_FILE = "patterns.json"
SYNONYMS_FILE = "synonyms.json"


class RegexEntityExtractor(Component):
    """Entities wherever a regex or lookup table named like an entity type matches."""

    name = "RegexEntityExtractor"
    defaults: ClassVar[dict[str, Any]] = {
        "case_sensitive": False,
        "use_lookup_tables": True,
        "use_regexes": True,
        "use_word_boundaries": True,
    }

    def __init__(self, config: dict[str, Any], patterns: list[NamedPattern] | None = None):
        super().__init__(config)
        self.patterns = patterns or []
        self._compiled = compile_patterns(self.patterns, bool(config["case_sensitive"]))

    def fit(self, messages: list[Message], data: NluData) -> None:
        self.patterns = extract_patterns(
            data,
            use_regexes=self.config["use_regexes"],
            use_lookup_tables=self.config["use_lookup_tables"],
            only_entities=True,
            word_boundaries=self.config["use_word_boundaries"],
        )
        if not self.patterns:
            logger.warning(
                "RegexEntityExtractor: no lookup table or regex is named like an entity in the "
                "training data, so it will extract nothing."
            )
        self._compiled = compile_patterns(self.patterns, bool(self.config["case_sensitive"]))

    def process(self, messages: list[Message]) -> None:
        if not self.patterns:
            return
        for message in messages:
            found = [
                {
                    "entity": named.name,
                    "start": m.start(),
                    "end": m.end(),
                    "value": message.text[m.start() : m.end()],
                    "extractor": self.name,
                }
                for named, pattern in zip(self.patterns, self._compiled)
                for m in pattern.finditer(message.text)
            ]
            message.entities = (message.entities or []) + found

    def persist(self, directory: Path) -> None:
        write_json(directory / PATTERNS_FILE, [p.as_dict() for p in self.patterns])

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> RegexEntityExtractor:
        raw = read_json(directory / PATTERNS_FILE)
        return cls(config, [NamedPattern(p["name"], p["pattern"]) for p in raw])


class EntitySynonymMapper(Component):
    """Replaces entity values by their canonical synonym (case-insensitive lookup)."""

    name = "EntitySynonymMapper"

    def __init__(self, config: dict[str, Any], synonyms: dict[str, str] | None = None):
        super().__init__(config)
        self.synonyms: dict[str, str] = synonyms or {}

    def _add(self, variant: str, canonical: Any) -> None:
        if canonical is None:
            return
        variant, canonical = str(variant), str(canonical)
        if variant == canonical:
            return
        key = variant.lower()
        if key in self.synonyms and self.synonyms[key] != canonical:
            logger.warning(
                "Found conflicting synonym definitions for %r. Overwriting target %r with %r.",
                key,
                self.synonyms[key],
                canonical,
            )
        self.synonyms[key] = canonical
        # Also map the canonical value itself, so "AUSTRIA" becomes "Austria".
        if canonical.lower() not in self.synonyms:
            self.synonyms[canonical.lower()] = canonical

    def fit(self, messages: list[Message], data: NluData) -> None:
        for variant, canonical in data.synonyms.items():
            self._add(variant, canonical)
        for example in data.examples:
            for a in example.entities:
                self._add(example.text[a.start : a.end], a.value)

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            for entity in message.entities or []:
                value = str(entity.get("value"))
                if value.lower() in self.synonyms:
                    entity["value"] = self.synonyms[value.lower()]
                    entity.setdefault("processors", []).append(self.name)

    def persist(self, directory: Path) -> None:
        write_json(directory / SYNONYMS_FILE, self.synonyms)

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> EntitySynonymMapper:
        return cls(config, read_json(directory / SYNONYMS_FILE))
