"""Rasa's entity markup in training examples.

Rasa 3.6 reads three forms (rasa/shared/nlu/training_data/entities_parser.py):

- `[text](entity)`: the value is the annotated text;
- `[text](entity:value)`: the older synonym form, still read by Rasa 3.6;
- `[text]{"entity": "city", "role": "to", "group": "1", "value": "Los Angeles"}`: a JSON
  object; only `entity` is required, and every attribute must be a string.

Offsets are character offsets in the plain text (annotations removed), as Rasa counts them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, unknown_key, warning
from stratus.shared.training_data.message import EntityAnnotation

# The same grammar as Rasa's ENTITY_REGEX, so the same examples match.
ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)|\{(?P<attrs>[^}]+?)\})"
)
# Left over after the annotations are read: a `](` or `]{` that no annotation consumed
# is an annotation that is not closed or not well formed (Rasa keeps it as plain text).
_BROKEN = re.compile(r"\][({]")

ATTRIBUTE_KEYS = ("entity", "role", "group", "value")


@dataclass(frozen=True)
class ParsedExample:
    """An example's plain text and the entities annotated in it."""

    text: str
    entities: tuple[EntityAnnotation, ...] = ()
    warnings: tuple[Problem, ...] = ()


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_markup(example: str, file: str | None = None, line: int | None = None) -> ParsedExample:
    """Split an annotated example into plain text and entity annotations.

    Raises ProjectError (at `file`:`line`, quoting the example) for an annotation that is
    not closed, has no entity type, or whose `{...}` is not a valid attribute object.
    """
    entities: list[EntityAnnotation] = []
    warnings: list[Problem] = []
    pieces: list[str] = []
    position = 0  # in the example
    plain_length = 0  # of the plain text built so far

    def problem(message: str) -> ProjectError:
        return ProjectError(Problem(f'{message} in example "{_short(example)}"', file, line))

    for match in ANNOTATION.finditer(example):
        before = example[position : match.start()]
        _check_no_broken(before, problem)
        pieces.append(before)
        plain_length += len(before)

        text = match.group("text")
        if match.group("attrs") is not None:
            entity, value, role, group = _read_attributes(match, problem, warnings, file, line)
        else:
            entity = match.group("entity")
            value = match.group("value") if match.group("value") is not None else text
            role = group = None
        if not entity.strip():
            raise problem(f"annotation '{match.group(0)}' has no entity type")

        entities.append(
            EntityAnnotation(
                start=plain_length,
                end=plain_length + len(text),
                entity=entity,
                value=value,
                role=role,
                group=group,
            )
        )
        pieces.append(text)
        plain_length += len(text)
        position = match.end()

    rest = example[position:]
    _check_no_broken(rest, problem)
    pieces.append(rest)
    return ParsedExample("".join(pieces), tuple(entities), tuple(warnings))


def strip_markup(example: str) -> str:
    """The plain text of an annotated example (no checks)."""
    return ANNOTATION.sub(lambda m: m.group("text"), example)


def _check_no_broken(segment: str, problem: Any) -> None:
    broken = _BROKEN.search(segment)
    if broken is None:
        return
    opening = segment.rfind("[", 0, broken.start())
    start = opening if opening >= 0 else max(0, broken.start() - 20)
    fragment = _short(segment[start : broken.end() + 30], 60)
    raise problem(
        f"entity annotation '{fragment}' is not closed or not well formed; write "
        '[text](entity) or [text]{"entity": "name"}'
    )


def _read_attributes(
    match: re.Match[str],
    problem: Any,
    warnings: list[Problem],
    file: str | None,
    line: int | None,
) -> tuple[str, str, str | None, str | None]:
    raw = "{" + match.group("attrs") + "}"
    try:
        attrs = json.loads(raw)
    except json.JSONDecodeError as e:
        raise problem(
            f"annotation '{match.group(0)}' is not valid JSON ({e.msg}); write it like "
            '{"entity": "city", "role": "to"} with double quotes'
        ) from None
    if not isinstance(attrs, dict):  # pragma: no cover - braces always give an object
        raise problem(f"annotation '{match.group(0)}' must be a JSON object")
    if "entity" not in attrs:
        raise problem(f"annotation '{match.group(0)}' has no \"entity\" key")
    for key, attr in attrs.items():
        if key not in ATTRIBUTE_KEYS:
            # Rasa accepts and ignores unknown attributes; a misspelt "role" would be lost.
            warnings.append(
                warning(unknown_key(key, ATTRIBUTE_KEYS, "an entity annotation"), file, line)
            )
        elif not isinstance(attr, str):
            raise problem(
                f"annotation '{match.group(0)}': \"{key}\" must be a string in double quotes"
            )
    entity: str = attrs["entity"]
    value: str = attrs.get("value") or match.group("text")
    role: str | None = attrs.get("role")
    group: str | None = attrs.get("group")
    return entity, value, role, group
