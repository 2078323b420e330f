"""Collecting what an action says: each message becomes a `bot` event in the assistant."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


class Dispatcher:
    """Collects messages in the action-server answer's `responses` shape.

    `utter_message` takes the keywords of rasa_sdk's `CollectingDispatcher`, and builds
    the same dict, so the assistant renders both alike: `response` names a domain
    response (other keywords fill its variables), `text` is sent as it is.
    """

    def __init__(self) -> None:
        self.messages: list[JsonDict] = []

    def utter_message(
        self,
        text: str | None = None,
        image: str | None = None,
        json_message: JsonDict | None = None,
        response: str | None = None,
        attachment: str | None = None,
        buttons: list[JsonDict] | None = None,
        elements: list[JsonDict] | None = None,
        **kwargs: Any,
    ) -> None:
        message: JsonDict = {
            "text": text,
            "buttons": buttons or [],
            "elements": elements or [],
            "custom": json_message or {},
            "template": response,
            "response": response,
            "image": image,
            "attachment": attachment,
        }
        message.update(kwargs)
        self.messages.append(message)
