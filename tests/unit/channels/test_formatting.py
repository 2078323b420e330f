"""Bot replies as each platform's request bodies."""

from __future__ import annotations

import logging

import pytest

from stratus.channels.formatting import (
    messenger_messages,
    slack_messages,
    telegram_custom,
    telegram_requests,
)

BUTTONS = [{"title": "great", "payload": "/mood_great"}, {"title": "sad", "payload": "/mood_sad"}]


def test_slack_text_buttons_image_attachment_and_custom() -> None:
    replies = [
        {"recipient_id": "U1", "text": "Hi"},
        {"recipient_id": "U1", "text": "Pick", "buttons": BUTTONS},
        {"recipient_id": "U1", "image": "https://x/y.png"},
        {"recipient_id": "U1", "attachment": {"fallback": "f", "text": "att"}},
        {"recipient_id": "U1", "custom": {"blocks": [{"type": "divider"}], "channel": "C9"}},
    ]
    out = slack_messages({"channel": "C1", "thread_ts": "1.0"}, replies)
    assert out[0] == {"channel": "C1", "thread_ts": "1.0", "text": "Hi"}
    assert out[1]["blocks"] == [
        {"type": "section", "text": {"type": "plain_text", "text": "Pick"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "great"},
                    "value": "/mood_great",
                    "action_id": "button_0",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "sad"},
                    "value": "/mood_sad",
                    "action_id": "button_1",
                },
            ],
        },
    ]
    assert out[2]["blocks"] == [
        {"type": "image", "image_url": "https://x/y.png", "alt_text": "https://x/y.png"}
    ]
    assert out[3]["attachments"] == [{"fallback": "f", "text": "att"}]
    # The custom payload is the body; its own channel wins over the default.
    assert out[4] == {"channel": "C9", "thread_ts": "1.0", "blocks": [{"type": "divider"}]}


def test_slack_keeps_at_most_25_buttons_with_short_labels() -> None:
    buttons = [{"title": "x" * 100, "payload": f"/b{i}"} for i in range(30)]
    [body] = slack_messages({"channel": "C"}, [{"buttons": buttons}])
    [actions] = body["blocks"]  # no text: no section block
    assert len(actions["elements"]) == 25
    assert len(actions["elements"][0]["text"]["text"]) == 75


def test_telegram_requests() -> None:
    replies = [
        {"text": "Pick", "buttons": BUTTONS},
        {"text": "plain"},
        {"image": "https://x/y.png"},
        {"custom": {"latitude": 1.0, "longitude": 2.0}},
    ]
    out = telegram_requests(42, replies)
    assert out == [
        (
            "sendMessage",
            {
                "chat_id": 42,
                "text": "Pick",
                "reply_markup": {
                    "inline_keyboard": [
                        [
                            {"text": "great", "callback_data": "/mood_great"},
                            {"text": "sad", "callback_data": "/mood_sad"},
                        ]
                    ]
                },
            },
        ),
        ("sendMessage", {"chat_id": 42, "text": "plain"}),
        ("sendPhoto", {"chat_id": 42, "photo": "https://x/y.png"}),
        ("sendLocation", {"chat_id": 42, "latitude": 1.0, "longitude": 2.0}),
    ]


@pytest.mark.parametrize(
    ("custom", "method"),
    [
        ({"photo": "p", "caption": "c"}, "sendPhoto"),
        ({"latitude": 1, "longitude": 2, "title": "t", "address": "a"}, "sendVenue"),
        ({"text": "t", "parse_mode": "MarkdownV2"}, "sendMessage"),
        ({"method": "sendDice", "emoji": "🎲"}, "sendDice"),
    ],
)
def test_telegram_custom_payload_selects_the_method(custom: dict, method: str) -> None:
    chosen, body = telegram_custom(7, custom)
    assert chosen == method
    assert body["chat_id"] == 7 and "method" not in body


def test_telegram_warns_about_long_callback_data(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        telegram_requests(1, [{"text": "t", "buttons": [{"title": "b", "payload": "/x" * 40}]}])
    assert "over 64 bytes" in caplog.text


def test_messenger_quick_replies_image_and_custom() -> None:
    buttons = [{"title": f"a rather long title {i}", "payload": f"/p{i}"} for i in range(15)]
    out = messenger_messages(
        "PSID",
        [
            {"text": "Pick", "buttons": buttons},
            {"image": "https://x/y.png"},
            {"custom": {"message": {"attachment": {"type": "template"}}}},
        ],
    )
    quick = out[0]["message"]["quick_replies"]
    assert len(quick) == 13
    assert quick[0] == {"content_type": "text", "title": "a rather long title ", "payload": "/p0"}
    assert out[0]["recipient"] == {"id": "PSID"}
    assert out[1]["message"]["attachment"]["payload"]["url"] == "https://x/y.png"
    assert out[2] == {
        "message": {"attachment": {"type": "template"}},
        "recipient": {"id": "PSID"},
    }
