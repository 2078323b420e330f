"""`{slot}` templating as Rasa 3.6 does it: `{{`/`}}` escape braces, and a template that
cannot be filled is sent unchanged rather than failing the turn."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

# A placeholder: anything but braces and newlines between single braces (Rasa's pattern).
_PLACEHOLDER = re.compile(r"\{([^\n{}]+?)\}")


class _Unfillable(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def interpolate_text(text: str, values: Mapping[str, Any], sender_id: str | None = None) -> str:
    """`text` with every `{name}` replaced by `values[name]` printed raw (None -> "None").

    A missing variable or a stray brace leaves the whole text unchanged and logs an
    error, as in Rasa: the bot says something slightly wrong instead of nothing.
    """
    try:
        return _fill(text, values)
    except _Unfillable as problem:
        logger.error(
            "Conversation '%s': cannot fill the response template %r (%s); sending it unchanged.",
            sender_id,
            text,
            problem.reason,
        )
        return text


def _fill(text: str, values: Mapping[str, Any]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{":
            if text.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            match = _PLACEHOLDER.match(text, i)
            if match is None:
                raise _Unfillable("a single '{' that opens no placeholder")
            name = match.group(1)
            if name not in values:
                raise _Unfillable(f"no slot or variable named '{name}'")
            out.append(format(values[name]))
            i = match.end()
        elif char == "}":
            if not text.startswith("}}", i):
                raise _Unfillable("a single '}' that closes no placeholder")
            out.append("}")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def interpolate(value: Any, values: Mapping[str, Any], sender_id: str | None = None) -> Any:
    """Fills templates in every string inside `value` (dicts and lists are walked; button
    payloads too, which is how `{{"k": "v"}}` payloads become JSON)."""
    if isinstance(value, str):
        return interpolate_text(value, values, sender_id)
    if isinstance(value, dict):
        return {key: interpolate(item, values, sender_id) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [interpolate(item, values, sender_id) for item in value]
    return value
