"""Responses: named bot messages with variations, from the domain or from data files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stratus.shared.domain.constants import RESPONSE_KEY_SEPARATOR, UTTER_PREFIX
from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    is_list,
    is_mapping,
    item_line,
    join,
    key_line,
    kind_of,
    plain,
    text,
)
from stratus.shared.problems import Problem, suggest

# A variation must carry at least one of these to show the user anything.
CONTENT_KEYS = ("text", "image", "custom", "buttons", "attachment", "elements", "quick_replies")
VARIATION_KEYS = (*CONTENT_KEYS, "button_type", "channel", "id", "metadata", "condition")
CONDITION_KEYS = ("type", "name", "value")
CONDITION_TYPES = ("slot",)
_STRING_KEYS = ("text", "image", "button_type", "channel", "id")
_MAPPING_KEYS = ("custom", "attachment")
_BUTTON_LIKE = ("buttons", "quick_replies")


@dataclass(frozen=True)
class ResponseCondition(Located):
    """A variation applies only when slot `name` holds `value`."""

    name: str
    value: Any = None
    type: str = "slot"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "value": self.value}


@dataclass(frozen=True)
class ResponseVariation(Located):
    """One variation of a response; dict-valued parts are plain JSON-like data."""

    text: str | None = None
    image: str | None = None
    buttons: tuple[dict[str, Any], ...] = ()
    button_type: str | None = None
    quick_replies: tuple[dict[str, Any], ...] = ()
    elements: tuple[dict[str, Any], ...] = ()
    attachment: dict[str, Any] | None = None
    custom: dict[str, Any] | None = None
    channel: str | None = None
    id: str | None = None
    metadata: Any = None
    condition: tuple[ResponseCondition, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for key in (
            "text",
            "image",
            "button_type",
            "attachment",
            "custom",
            "channel",
            "id",
            "metadata",
        ):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        for key in ("buttons", "quick_replies", "elements"):
            if getattr(self, key):
                d[key] = [dict(item) for item in getattr(self, key)]
        if self.condition:
            d["condition"] = [c.as_dict() for c in self.condition]
        return d


@dataclass(frozen=True)
class Response(Located):
    """A named response (`utter_greet`, or `utter_faq/ask_name` for a retrieval intent)."""

    name: str
    variations: tuple[ResponseVariation, ...] = ()

    @property
    def retrieval_intent(self) -> str | None:
        """`faq` for `utter_faq/ask_name`; None for an ordinary response."""
        if not self.name.startswith(UTTER_PREFIX) or RESPONSE_KEY_SEPARATOR not in self.name:
            return None
        return self.name[len(UTTER_PREFIX) :].split(RESPONSE_KEY_SEPARATOR, 1)[0] or None

    def as_dict(self) -> list[dict[str, Any]]:
        return [v.as_dict() for v in self.variations]


def responses_from_yaml(
    node: Any, file: str | None
) -> tuple[tuple[Response, ...], tuple[Problem, ...]]:
    """Read a `responses:` section (of a domain or a data file); returns (responses, warnings).

    Raises ProjectError naming every invalid response of the section.
    """
    log = ProblemLog(file)
    responses = read_responses(node, getattr(node, "line", None), log)
    log.raise_if_errors()
    return responses, tuple(log.warnings)


def read_responses(value: Any, line: int | None, log: ProblemLog) -> tuple[Response, ...]:
    if value is None:
        return ()
    if not is_mapping(value, "responses", line, "responses", log):
        return ()
    out = []
    for name, node in value.items():
        response = _read_response(name, node, key_line(value, name), log)
        if response is not None:
            out.append(response)
    return tuple(out)


def _read_response(name: Any, node: Any, line: int | None, log: ProblemLog) -> Response | None:
    field = f"responses.{name}"
    if not isinstance(name, str) or not name.strip():
        log.error(f"a response name must be text, not {kind_of(name)}", line, field)
        return None
    if node is None:
        log.error(
            f"response '{name}' has no variations; add at least one, e.g. "
            '`- text: "..."` indented under it',
            line,
            field,
        )
        return None
    if not is_list(node, f"response '{name}'", line, field, log):
        return None
    if not node:
        log.warn(f"response '{name}' has no variations, so it can never be sent", line, field)
    errors_before = len(log.errors)
    variations = []
    for i, item in enumerate(node):
        variation = _read_variation(item, item_line(node, i), f"{field}[{i}]", log)
        if variation is not None:
            variations.append(variation)
    if len(log.errors) > errors_before:
        return None
    return Response(name, tuple(variations), file=log.file, line=line)


def _read_variation(
    node: Any, line: int | None, field: str, log: ProblemLog
) -> ResponseVariation | None:
    if isinstance(node, str):
        log.error(
            f'a response variation must be a mapping such as `- text: "{node}"`, not plain text',
            line,
            field,
        )
        return None
    if not is_mapping(node, "a response variation", line, field, log):
        return None
    errors_before = len(log.errors)
    check_keys(node, VARIATION_KEYS, "a response variation", field, log)
    if node.get("text") is None and not any(node.get(k) for k in CONTENT_KEYS if k != "text"):
        log.error(
            f"a response variation needs content: one of {', '.join(CONTENT_KEYS)}", line, field
        )
    parts: dict[str, Any] = {}
    for key in _STRING_KEYS:
        if node.get(key) is not None:
            parts[key] = text(
                node[key], key, key_line(node, key), join(field, key), log, empty_ok=True
            )
    for key in _MAPPING_KEYS:
        if node.get(key) is not None and is_mapping(
            node[key], key, key_line(node, key), join(field, key), log
        ):
            parts[key] = plain(node[key])
    for key in (*_BUTTON_LIKE, "elements"):
        if node.get(key) is not None:
            parts[key] = _read_items(node[key], key, key_line(node, key), join(field, key), log)
    conditions: tuple[ResponseCondition, ...] = ()
    if node.get("condition") is not None:
        conditions = _read_conditions(
            node["condition"], key_line(node, "condition"), join(field, "condition"), log
        )
    if len(log.errors) > errors_before:
        return None
    return ResponseVariation(
        **parts,
        metadata=plain(node.get("metadata")),
        condition=conditions,
        file=log.file,
        line=line,
    )


def _read_items(
    value: Any, key: str, line: int | None, field: str, log: ProblemLog
) -> tuple[dict[str, Any], ...]:
    if not is_list(value, key, line, field, log):
        return ()
    out = []
    for i, item in enumerate(value):
        where, sub = item_line(value, i), f"{field}[{i}]"
        if not is_mapping(item, f"an item of {key}", where, sub, log):
            continue
        if key in _BUTTON_LIKE:
            for part in ("title", "payload"):
                if item.get(part) is not None:
                    text(
                        item[part], part, key_line(item, part), join(sub, part), log, empty_ok=True
                    )
        out.append(plain(item))
    return tuple(out)


def _read_conditions(
    value: Any, line: int | None, field: str, log: ProblemLog
) -> tuple[ResponseCondition, ...]:
    if not is_list(value, "condition", line, field, log):
        return ()
    out = []
    for i, node in enumerate(value):
        where, sub = item_line(value, i), f"{field}[{i}]"
        if not is_mapping(node, "a response condition", where, sub, log):
            continue
        check_keys(node, CONDITION_KEYS, "a response condition", sub, log)
        kind = node.get("type")
        if kind not in CONDITION_TYPES:
            found = f"'{kind}'" if isinstance(kind, str) else kind_of(kind)
            log.error(
                f"a response condition needs `type: slot` (found {found})."
                f"{suggest(str(kind), CONDITION_TYPES)}",
                key_line(node, "type") or where,
                join(sub, "type"),
            )
            continue
        name = text(
            node.get("name"),
            "the slot name of a condition",
            key_line(node, "name") or where,
            join(sub, "name"),
            log,
        )
        if name is not None:
            out.append(ResponseCondition(name, plain(node.get("value")), file=log.file, line=where))
    return tuple(out)
