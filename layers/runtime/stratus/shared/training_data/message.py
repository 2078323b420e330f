"""NLU training examples and their entity annotations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.problems import Problem

# Rasa separates a retrieval intent from its response key with this symbol: faq/ask_name.
RESPONSE_KEY_SYMBOL = "/"


@dataclass(frozen=True)
class EntityAnnotation:
    """An entity marked in an example: `[value](type)` or `[text]{"entity": ..}`."""

    start: int
    end: int
    entity: str
    value: Any  # the annotated text, or the `value` given in the annotation (synonym)
    role: str | None = None
    group: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "entity": self.entity,
        }
        if self.role is not None:
            d["role"] = self.role
        if self.group is not None:
            d["group"] = self.group
        return d


@dataclass(frozen=True)
class NluExample:
    """One training example with its plain text (annotations removed)."""

    text: str
    intent: str | None
    entities: tuple[EntityAnnotation, ...] = ()
    # For retrieval intents `faq/ask_name`: intent is "faq", response_key "ask_name".
    response_key: str | None = None
    # As Rasa builds it: {"intent": <intent metadata>, "example": <example metadata>} for
    # YAML data (either key may be absent); the example's own `metadata` for JSON data.
    metadata: Mapping[str, Any] | None = None
    file: str | None = None
    line: int | None = None

    @property
    def full_intent(self) -> str | None:
        """`faq/ask_name` for retrieval intents, else the plain intent."""
        if self.intent is not None and self.response_key:
            return f"{self.intent}{RESPONSE_KEY_SYMBOL}{self.response_key}"
        return self.intent


@dataclass(frozen=True)
class RegexPattern:
    name: str
    pattern: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class LookupTable:
    name: str
    elements: tuple[str, ...]
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class NluData:
    """Everything NLU training needs, merged over all data files."""

    examples: tuple[NluExample, ...] = ()
    # variant text (as written) -> canonical value
    synonyms: Mapping[str, str] = field(default_factory=dict)
    regexes: tuple[RegexPattern, ...] = ()
    lookup_tables: tuple[LookupTable, ...] = ()
    # Where each synonym variant was defined: (file, line), for located messages.
    synonym_sources: Mapping[str, tuple[str | None, int | None]] = field(default_factory=dict)
    # Things worth telling the user that do not make the data invalid.
    warnings: tuple[Problem, ...] = ()

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples if e.intent})

    @property
    def entity_types(self) -> list[str]:
        return sorted({a.entity for e in self.examples for a in e.entities})
