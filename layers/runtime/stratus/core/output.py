"""Bot messages in the REST channel's reply shape (Rasa's CollectingOutputChannel)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stratus.shared.events import BotUttered, Event, JsonDict


def rest_messages(recipient_id: str, events: Iterable[Event]) -> list[JsonDict]:
    """One or more reply items per `bot` event, as Rasa's REST channel sends them:
    text split on blank lines, buttons (or quick replies) with their text, then custom,
    image, attachment and elements as items of their own."""
    out: list[JsonDict] = []
    for event in events:
        if isinstance(event, BotUttered):
            out += _items(recipient_id, event.message())
    return out


def _item(recipient_id: str, **parts: Any) -> JsonDict:
    return {"recipient_id": recipient_id, **{k: v for k, v in parts.items() if v is not None}}


def _items(recipient_id: str, message: JsonDict) -> list[JsonDict]:
    items: list[JsonDict] = []
    text = message.get("text")
    buttons = message.get("quick_replies") or message.get("buttons")
    if buttons:
        items.append(_item(recipient_id, text=text, buttons=buttons))
    elif text:
        items += [_item(recipient_id, text=part) for part in str(text).strip().split("\n\n")]
    if message.get("custom"):
        items.append(_item(recipient_id, custom=message["custom"]))
    if message.get("image"):
        items.append(_item(recipient_id, image=message["image"]))
    if message.get("attachment"):
        items.append(_item(recipient_id, attachment=message["attachment"]))
    for element in message.get("elements") or []:
        # Channels without carousels get each element as text with its buttons.
        title = f"{element.get('title', '')} : {element.get('subtitle', '')}"
        items.append(_item(recipient_id, text=title, buttons=element.get("buttons") or []))
    return items
