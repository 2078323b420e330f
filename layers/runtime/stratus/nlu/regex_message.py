"""`/intent@0.9{"entity": "value"}` messages, which bypass the model (Rasa's RegexMessageHandler)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from typing import Any

logger = logging.getLogger(__name__)

EXTRACTOR = "RegexMessageHandler"
_PATTERN = re.compile(r"^/(?P<name>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)")


def _confidence(raw: str | None) -> float:
    if raw is None:
        return 1.0
    try:
        value = float(raw[1:])
    except ValueError:
        logger.warning("Expected a confidence such as @0.9 but found '%s'; using 0.0.", raw)
        return 0.0
    return min(value, 1.0)


def parse_intent_message(
    text: str, intents: Collection[str] | None = None, entities: Collection[str] | None = None
) -> dict[str, Any] | None:
    """The parse result for a `/intent{...}` text, or None when the text is not one.

    With `intents` given, an unknown intent is not unpacked (the text goes to the model),
    and entity types outside `entities` are dropped, as Rasa does with its domain.
    """
    user_text = text.strip()
    if not user_text.startswith("/"):
        return None
    match = _PATTERN.match(user_text)
    if not match:
        logger.warning("Failed to parse the intent message '%s'.", user_text)
        return None
    intent = match.group("name").strip()
    if intents is not None and intent not in intents:
        logger.warning(
            "'%s' names intent '%s', which the model does not know; parsing it as text.",
            user_text,
            intent,
        )
        return None
    if match.group("rest"):
        logger.warning("Ignoring '%s' in the intent message '%s'.", match.group("rest"), user_text)
    confidence = _confidence(match.group("confidence"))
    return {
        "text": user_text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": _entities(match, entities),
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }


def _entities(match: re.Match[str], known: Collection[str] | None) -> list[dict[str, Any]]:
    raw = match.group("entities")
    if raw is None:
        return []
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as e:
        logger.warning("Entities in '%s' are not a JSON object (%s); ignoring them.", raw, e)
        return []
    if not isinstance(parsed, dict):
        logger.warning("Entities in '%s' are not a JSON object; ignoring them.", raw)
        return []
    if known is not None:
        unknown = set(parsed) - set(known)
        if unknown:
            logger.warning("Ignoring unknown entity types %s in '%s'.", sorted(unknown), raw)
            parsed = {k: v for k, v in parsed.items() if k not in unknown}
    start, end = match.start("entities"), match.end("entities")
    result = []
    for entity, values in parsed.items():
        for value in values if isinstance(values, list) else [values]:
            result.append(
                {
                    "entity": entity,
                    "value": value,
                    "start": start,
                    "end": end,
                    "extractor": EXTRACTOR,
                }
            )
    return result
