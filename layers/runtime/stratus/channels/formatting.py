"""Bot replies (REST-shaped items: text, buttons, image, attachment, custom) as each
platform's request bodies. Pure functions: what goes over the wire is tested here.

A `custom` item is passed through as the platform's message body, as Rasa does: for
Slack the `chat.postMessage` arguments, for Messenger the Send API body, for Telegram
the arguments of the Bot API method its keys select.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

# Platform limits: Slack buttons per actions block and button label length,
# Telegram callback_data bytes, Messenger quick replies and their title length.
SLACK_MAX_BUTTONS = 25
SLACK_MAX_BUTTON_TEXT = 75
TELEGRAM_MAX_CALLBACK_BYTES = 64
MESSENGER_MAX_QUICK_REPLIES = 13
MESSENGER_MAX_TITLE = 20

# Telegram Bot API methods selected by the keys of a custom payload (Rasa's table),
# the most specific match first.
_TELEGRAM_METHODS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"latitude", "longitude", "title", "address"}), "sendVenue"),
    (frozenset({"latitude", "longitude"}), "sendLocation"),
    (frozenset({"text"}), "sendMessage"),
    (frozenset({"photo"}), "sendPhoto"),
    (frozenset({"audio"}), "sendAudio"),
    (frozenset({"document"}), "sendDocument"),
    (frozenset({"sticker"}), "sendSticker"),
    (frozenset({"video"}), "sendVideo"),
    (frozenset({"video_note"}), "sendVideoNote"),
    (frozenset({"animation"}), "sendAnimation"),
    (frozenset({"voice"}), "sendVoice"),
    (frozenset({"media"}), "sendMediaGroup"),
    (frozenset({"phone_number"}), "sendContact"),
    (frozenset({"game_short_name"}), "sendGame"),
    (frozenset({"action"}), "sendChatAction"),
)


def _title(button: Mapping[str, Any]) -> str:
    return str(button.get("title") or button.get("payload") or "")


def _payload(button: Mapping[str, Any]) -> str:
    return str(button.get("payload") or button.get("title") or "")


# -- Slack ------------------------------------------------------------------------------


def slack_messages(reply_to: Mapping[str, Any], replies: list[JsonDict]) -> list[JsonDict]:
    """`chat.postMessage` bodies; `reply_to` holds `channel` and maybe `thread_ts`."""
    base = {k: v for k, v in reply_to.items() if k in ("channel", "thread_ts")}
    out: list[JsonDict] = []
    for item in replies:
        text = item.get("text")
        if item.get("buttons"):
            out.append({**base, "text": text or "", "blocks": slack_button_blocks(item)})
        elif text:
            out.append({**base, "text": str(text)})
        if item.get("image"):
            url = str(item["image"])
            image_block = {"type": "image", "image_url": url, "alt_text": url}
            out.append({**base, "text": url, "blocks": [image_block]})
        if item.get("attachment"):
            attachment = item["attachment"]
            if isinstance(attachment, dict):
                out.append({**base, "attachments": [attachment]})
            else:
                out.append({**base, "text": f"Attachment: {attachment}"})
        if isinstance(item.get("custom"), dict):
            out.append({**base, **item["custom"]})
    return out


def slack_button_blocks(item: Mapping[str, Any]) -> list[JsonDict]:
    """A section with the text, then an actions block with one button per button."""
    buttons = list(item.get("buttons") or [])
    if len(buttons) > SLACK_MAX_BUTTONS:
        logger.warning("slack: only the first %d buttons are shown.", SLACK_MAX_BUTTONS)
    blocks: list[JsonDict] = []
    if item.get("text"):
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": item["text"]}})
    elements: list[JsonDict] = []
    for index, button in enumerate(buttons[:SLACK_MAX_BUTTONS]):
        element: JsonDict = {
            "type": "button",
            "text": {"type": "plain_text", "text": _title(button)[:SLACK_MAX_BUTTON_TEXT]},
            "value": _payload(button),
            "action_id": f"button_{index}",
        }
        if button.get("url"):
            element["url"] = str(button["url"])
        elements.append(element)
    blocks.append({"type": "actions", "elements": elements})
    return blocks


# -- Telegram ---------------------------------------------------------------------------


def telegram_requests(chat_id: Any, replies: list[JsonDict]) -> list[tuple[str, JsonDict]]:
    """(Bot API method, body) pairs: sendMessage with an inline keyboard for buttons,
    sendPhoto for images, the method its keys select for a custom payload."""
    out: list[tuple[str, JsonDict]] = []
    for item in replies:
        text = item.get("text")
        if item.get("buttons"):
            buttons = list(item["buttons"])
            body: JsonDict = {
                "chat_id": chat_id,
                "text": text or " / ".join(_title(b) for b in buttons),
                "reply_markup": telegram_keyboard(buttons),
            }
            out.append(("sendMessage", body))
        elif text:
            out.append(("sendMessage", {"chat_id": chat_id, "text": str(text)}))
        if item.get("image"):
            out.append(("sendPhoto", {"chat_id": chat_id, "photo": str(item["image"])}))
        attachment = item.get("attachment")
        if isinstance(attachment, dict):
            out.append(telegram_custom(chat_id, attachment))
        elif attachment:
            out.append(("sendDocument", {"chat_id": chat_id, "document": str(attachment)}))
        if isinstance(item.get("custom"), dict):
            out.append(telegram_custom(chat_id, item["custom"]))
    return out


def telegram_keyboard(buttons: list[Mapping[str, Any]]) -> JsonDict:
    """An inline keyboard with the buttons in one row (Rasa's `inline` button type)."""
    row: list[JsonDict] = []
    for button in buttons:
        if button.get("url"):
            row.append({"text": _title(button), "url": str(button["url"])})
            continue
        data = _payload(button)
        if len(data.encode("utf-8")) > TELEGRAM_MAX_CALLBACK_BYTES:
            logger.warning(
                "telegram: button '%s' has a payload over %d bytes; Telegram refuses it.",
                _title(button),
                TELEGRAM_MAX_CALLBACK_BYTES,
            )
        row.append({"text": _title(button), "callback_data": data})
    return {"inline_keyboard": [row]}


def telegram_custom(chat_id: Any, custom: Mapping[str, Any]) -> tuple[str, JsonDict]:
    """The method a custom payload's keys select, with `chat_id` filled in.

    An explicit `method` key wins; a payload matching no method is sent as text."""
    body: JsonDict = {"chat_id": chat_id, **{k: v for k, v in custom.items() if k != "method"}}
    if isinstance(custom.get("method"), str):
        return str(custom["method"]), body
    keys = set(custom)
    for required, method in _TELEGRAM_METHODS:
        if required <= keys:
            return method, body
    logger.warning("telegram: a custom payload with keys %s matches no method.", sorted(keys))
    return "sendMessage", {"chat_id": chat_id, "text": str(dict(custom))}


# -- Facebook Messenger -----------------------------------------------------------------


def messenger_messages(recipient_id: str, replies: list[JsonDict]) -> list[JsonDict]:
    """Send API bodies: text, text with quick replies for buttons, image attachments;
    a custom payload is the whole body (its `recipient` filled in)."""
    recipient = {"id": recipient_id}
    out: list[JsonDict] = []

    def send(message: JsonDict) -> None:
        out.append({"recipient": recipient, "messaging_type": "RESPONSE", "message": message})

    for item in replies:
        text = item.get("text")
        if item.get("buttons"):
            send({"text": text or "", "quick_replies": messenger_quick_replies(item["buttons"])})
        elif text:
            send({"text": str(text)})
        if item.get("image"):
            image = {"url": str(item["image"]), "is_reusable": True}
            send({"attachment": {"type": "image", "payload": image}})
        attachment = item.get("attachment")
        if isinstance(attachment, dict):
            send({"attachment": attachment})
        elif attachment:
            send({"attachment": {"type": "file", "payload": {"url": str(attachment)}}})
        custom = item.get("custom")
        if isinstance(custom, dict):
            body = dict(custom)
            body["recipient"] = {**recipient, **(body.get("recipient") or {})}
            out.append(body)
    return out


def messenger_quick_replies(buttons: list[Mapping[str, Any]]) -> list[JsonDict]:
    """Quick replies for buttons (at most 13, titles cut to 20 characters)."""
    if len(buttons) > MESSENGER_MAX_QUICK_REPLIES:
        logger.warning(
            "facebook: only the first %d buttons are shown.", MESSENGER_MAX_QUICK_REPLIES
        )
    return [
        {
            "content_type": "text",
            "title": _title(button)[:MESSENGER_MAX_TITLE],
            "payload": _payload(button),
        }
        for button in buttons[:MESSENGER_MAX_QUICK_REPLIES]
    ]
