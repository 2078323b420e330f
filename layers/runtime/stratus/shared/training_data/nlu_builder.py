"""Collecting NLU data in reading order, and merging it as Rasa does.

Rasa drops exact duplicate examples (same text, intent, entities and metadata) whenever
it builds training data, keeps the first, lets a later synonym definition win, and
sorts regex features by name and pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, warning
from stratus.shared.training_data._checks import fail
from stratus.shared.training_data.message import (
    RESPONSE_KEY_SYMBOL,
    EntityAnnotation,
    LookupTable,
    NluData,
    NluExample,
    RegexPattern,
)


def split_intent(name: str, file: str | None, line: int | None) -> tuple[str, str | None]:
    """`faq/ask_name` -> ("faq", "ask_name"); `greet` -> ("greet", None)."""
    parts = name.split(RESPONSE_KEY_SYMBOL)
    if len(parts) > 2:
        raise fail(
            f"intent '{name}' has more than one '{RESPONSE_KEY_SYMBOL}'; a retrieval intent "
            "is written <intent>/<response key>",
            file,
            line,
        )
    if len(parts) == 2:
        if not parts[0] or not parts[1]:
            raise fail(
                f"intent '{name}' must have text on both sides of '{RESPONSE_KEY_SYMBOL}'",
                file,
                line,
            )
        return parts[0], parts[1]
    return name, None


@dataclass
class NluBuilder:
    """Collects one file's NLU data in reading order."""

    file: str
    project_dir: Path | None = None
    examples: list[NluExample] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    synonym_sources: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    regexes: list[RegexPattern] = field(default_factory=list)
    lookups: dict[str, tuple[list[str], int | None]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def warn(self, message: str, line: int | None, field_name: str | None = None) -> None:
        self.warnings.append(warning(message, self.file, line, field_name))

    def add_synonym(self, variant: str, value: str, line: int | None) -> None:
        add_synonym(
            self.synonyms, self.synonym_sources, self.warnings, variant, value, (self.file, line)
        )

    def add_example(
        self,
        text: str,
        intent: str,
        entities: tuple[EntityAnnotation, ...],
        metadata: Mapping[str, Any] | None,
        line: int | None,
    ) -> None:
        base, response_key = split_intent(intent.strip(), self.file, line)
        for entity in entities:
            span = text[entity.start : entity.end]
            if isinstance(entity.value, str) and span != entity.value:
                self.add_synonym(span, entity.value, line)
        self.examples.append(
            NluExample(
                text=text,
                intent=base,
                entities=entities,
                response_key=response_key,
                metadata=metadata,
                file=self.file,
                line=line,
            )
        )

    def build(self) -> NluData:
        if self.errors:
            raise ProjectError(self.errors)
        return NluData(
            examples=tuple(drop_duplicate_examples(self.examples)),
            synonyms=dict(self.synonyms),
            regexes=tuple(sorted(self.regexes, key=_regex_order)),
            lookup_tables=tuple(
                LookupTable(name, tuple(elements), self.file, line)
                for name, (elements, line) in self.lookups.items()
            ),
            synonym_sources=dict(self.synonym_sources),
            warnings=tuple(self.warnings),
        )


def _regex_order(regex: RegexPattern) -> str:
    # Rasa sorts regex features by "name+pattern"; the featurizer's columns follow it.
    return f"{regex.name}+{regex.pattern}"


def add_synonym(
    synonyms: dict[str, str],
    sources: dict[str, tuple[str | None, int | None]],
    warnings: list[Problem],
    variant: str,
    value: str,
    where: tuple[str | None, int | None],
) -> None:
    previous = synonyms.get(variant)
    if previous is not None and previous != value:
        first_file, first_line = sources.get(variant, (None, None))
        first = f"{first_file}:{first_line}" if first_file else "earlier"
        warnings.append(
            warning(
                f"'{variant}' is a synonym of '{previous}' ({first}) and of '{value}'; "
                f"'{value}' wins, as in Rasa",
                where[0],
                where[1],
            )
        )
    synonyms[variant] = value
    sources[variant] = where


def _example_key(example: NluExample) -> tuple[Any, ...]:
    entities = tuple(
        (e.start, e.end, e.entity, repr(e.value), e.role, e.group) for e in example.entities
    )
    metadata = (
        None
        if example.metadata is None
        else json.dumps(example.metadata, sort_keys=True, default=repr)
    )
    return (example.text, example.intent, example.response_key, entities, metadata)


def drop_duplicate_examples(examples: Iterable[NluExample]) -> list[NluExample]:
    """Drop exact duplicates (same text, intent, entities, metadata), keeping the first."""
    seen: set[tuple[Any, ...]] = set()
    unique: list[NluExample] = []
    for example in examples:
        key = _example_key(example)
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return unique


def merge_nlu(parts: Iterable[NluData]) -> NluData:
    """Merge NLU data of several files as Rasa does: in order, first duplicate example kept,
    later synonym definitions win, regexes sorted, lookup tables kept per file."""
    examples: list[NluExample] = []
    synonyms: dict[str, str] = {}
    sources: dict[str, tuple[str | None, int | None]] = {}
    regexes: list[RegexPattern] = []
    lookups: list[LookupTable] = []
    warnings: list[Problem] = []
    for part in parts:
        examples.extend(part.examples)
        warnings.extend(part.warnings)
        for variant, value in part.synonyms.items():
            where = part.synonym_sources.get(variant, (None, None))
            add_synonym(synonyms, sources, warnings, variant, value, where)
        regexes.extend(part.regexes)
        lookups.extend(part.lookup_tables)
    return NluData(
        examples=tuple(drop_duplicate_examples(examples)),
        synonyms=synonyms,
        regexes=tuple(sorted(regexes, key=_regex_order)),
        lookup_tables=tuple(lookups),
        synonym_sources=sources,
        warnings=tuple(warnings),
    )
