"""Rasa's entity markup for a message: what `user:` steps and `# predicted:` comments show."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def format_message(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """The text with Rasa's entity markup: `[text](entity)`, or `[text]{...}` when the
    value differs from the text or the entity has a role or group."""
    located = sorted(
        (e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)),
        key=lambda e: e["start"],
    )
    out: list[str] = []
    position = 0
    for entity in located:
        start, end = entity["start"], entity["end"]
        if start < position or end > len(text):
            continue
        out.append(text[position:start])
        surface = text[start:end]
        extra = {k: entity[k] for k in ("role", "group") if entity.get(k) is not None}
        if entity.get("value") in (None, surface) and not extra:
            out.append(f"[{surface}]({entity.get('entity')})")
        else:
            body: dict[str, Any] = {"entity": entity.get("entity"), **extra}
            if entity.get("value") not in (None, surface):
                body["value"] = entity.get("value")
            out.append(f"[{surface}]{json.dumps(body, ensure_ascii=False)}")
        position = end
    out.append(text[position:])
    return "".join(out)
