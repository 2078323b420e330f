"""Regex patterns from the training data's `regex:` and `lookup:` entries (Rasa's pattern_utils)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem
from stratus.shared.training_data.message import NluData


@dataclass(frozen=True)
class NamedPattern:
    name: str
    pattern: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "pattern": self.pattern}


def lookup_regex(elements: tuple[str, ...] | list[str], word_boundaries: bool) -> str:
    """One alternation over the escaped elements, as Rasa builds it."""
    escaped = [re.escape(e) for e in elements]
    if word_boundaries:
        return "(\\b" + "\\b|\\b".join(escaped) + "\\b)"
    return "(" + "|".join(escaped) + ")"


def extract_patterns(
    data: NluData,
    use_regexes: bool = True,
    use_lookup_tables: bool = True,
    only_entities: bool = False,
    word_boundaries: bool = True,
) -> list[NamedPattern]:
    """Regexes first, then lookup tables; optionally only those named like an entity type."""
    entities = set(data.entity_types)
    patterns: list[NamedPattern] = []
    problems: list[Problem] = []
    if use_regexes:
        for r in data.regexes:
            if only_entities and r.name not in entities:
                continue
            try:
                re.compile(r.pattern)
            except re.error as e:
                problems.append(
                    Problem(
                        f"regex '{r.name}' is not a valid regular expression: {e}", r.file, r.line
                    )
                )
                continue
            patterns.append(NamedPattern(r.name, r.pattern))
    if use_lookup_tables:
        for table in data.lookup_tables:
            if (only_entities and table.name not in entities) or not table.elements:
                continue
            patterns.append(NamedPattern(table.name, lookup_regex(table.elements, word_boundaries)))
    if problems:
        raise ProjectError(problems)
    return patterns


def compile_patterns(patterns: list[NamedPattern], case_sensitive: bool) -> list[re.Pattern[str]]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return [re.compile(p.pattern, flags) for p in patterns]
