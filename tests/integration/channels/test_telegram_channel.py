"""The Telegram channel end to end: webhook updates in, Bot API calls to a fake out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fake_platforms import CREDENTIALS, TELEGRAM_TOKEN, ChannelApp, FakePlatform

from stratus.stores import SQLiteTrackerStore

WEBHOOK = "/webhooks/telegram/webhook"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": CREDENTIALS["telegram"]["secret_token"]}
API = f"/bot{TELEGRAM_TOKEN}"


def text_update(update_id: int, text: str, chat_id: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": 7, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1700000000,
            "text": text,
        },
    }


def callback_update(update_id: int, data: str, chat_id: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": {"id": 7, "is_bot": False, "first_name": "Ada"},
            "message": {"message_id": 1, "chat": {"id": chat_id, "type": "private"}},
            "data": data,
        },
    }


def user_texts(store: SQLiteTrackerStore, sender: str) -> list[str]:
    return [e["text"] for e in store.load(sender).events if e["event"] == "user"]


def test_secret_token_is_required(
    channel_app: ChannelApp, fake_telegram: FakePlatform, store: SQLiteTrackerStore
) -> None:
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert (
        channel_app.client.post(WEBHOOK, json=text_update(1, "/greet"), headers=wrong).status_code
        == 401
    )
    response = channel_app.client.post(WEBHOOK, json=text_update(1, "/greet"))
    assert response.status_code == 401
    assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["message"]
    channel_app.drain()
    assert store.load("42").events == []
    assert fake_telegram.requests == []


def test_buttons_become_an_inline_keyboard_and_a_click_answers(
    channel_app: ChannelApp, fake_telegram: FakePlatform, store: SQLiteTrackerStore
) -> None:
    assert (
        channel_app.client.post(WEBHOOK, json=text_update(1, "/greet"), headers=SECRET).status_code
        == 200
    )
    channel_app.drain()
    [greeting] = fake_telegram.posted()
    assert greeting.path == f"{API}/sendMessage"
    assert greeting.body == {
        "chat_id": 42,
        "text": "Hey! How are you?",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "great", "callback_data": "/mood_great"},
                    {"text": "super sad", "callback_data": "/mood_unhappy"},
                ]
            ]
        },
    }
    channel_app.client.post(WEBHOOK, json=callback_update(2, "/mood_great"), headers=SECRET)
    channel_app.drain()
    answered, reply = fake_telegram.posted()[1:]
    assert answered.path == f"{API}/answerCallbackQuery"
    assert answered.body == {"callback_query_id": "cb2"}
    # Not the Slack variation: the output channel is `telegram`.
    assert reply.body == {"chat_id": 42, "text": "Great, carry on!"}
    assert user_texts(store, "42") == ["/greet", "/mood_great"]


def test_images_are_sent_as_photos(channel_app: ChannelApp, fake_telegram: FakePlatform) -> None:
    channel_app.client.post(WEBHOOK, json=text_update(1, "/mood_unhappy"), headers=SECRET)
    channel_app.drain()
    calls = [(r.path.rsplit("/", 1)[1], r.body) for r in fake_telegram.posted()]
    assert ("sendPhoto", {"chat_id": 42, "photo": "https://i.imgur.com/nGF1K8f.jpg"}) in calls


def test_a_redelivered_update_is_processed_once(
    channel_app: ChannelApp, fake_telegram: FakePlatform, store: SQLiteTrackerStore
) -> None:
    for _ in range(3):
        response = channel_app.client.post(WEBHOOK, json=text_update(5, "/goodbye"), headers=SECRET)
        assert response.status_code == 200
    channel_app.drain()
    assert user_texts(store, "42") == ["/goodbye"]
    assert len(fake_telegram.posted("/sendMessage")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b'{"message": {"text": "hi"}}', "update_id"),
        (b'{"update_id": 3, "message": {"message_id": 1, "text": "hi"}}', "message.chat"),
    ],
)
def test_bad_updates_get_400_naming_the_field(
    channel_app: ChannelApp, body: bytes, field: str
) -> None:
    response = channel_app.client.post(WEBHOOK, content=body, headers=SECRET)
    assert response.status_code == 400
    assert field in [p["field"] for p in response.json()["details"]["errors"]]


def test_updates_without_text_are_acknowledged_and_ignored(
    channel_app: ChannelApp, fake_telegram: FakePlatform, store: SQLiteTrackerStore
) -> None:
    sticker = text_update(9, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "abc"}
    assert channel_app.client.post(WEBHOOK, json=sticker, headers=SECRET).status_code == 200
    channel_app.drain()
    assert fake_telegram.requests == [] and store.load("42").events == []


def test_platform_errors_are_retried(channel_app: ChannelApp, fake_telegram: FakePlatform) -> None:
    fake_telegram.fail_next(429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 0}})
    fake_telegram.fail_next(502, {"ok": False})
    channel_app.client.post(WEBHOOK, json=text_update(11, "/goodbye"), headers=SECRET)
    channel_app.drain()
    sends = fake_telegram.posted("/sendMessage")
    assert len(sends) == 3
    assert sends[-1].body == {"chat_id": 42, "text": "Bye"}


def test_register_webhook_sends_url_and_secret(
    make_channel_app: Callable[..., ChannelApp], fake_telegram: FakePlatform
) -> None:
    app = make_channel_app()
    telegram = app.client.app.state.channels["telegram"]
    telegram.register_webhook()
    [call] = fake_telegram.posted("/setWebhook")
    assert call.body == {
        "url": CREDENTIALS["telegram"]["webhook_url"],
        "secret_token": CREDENTIALS["telegram"]["secret_token"],
    }
