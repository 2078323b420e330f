"""The Slack channel end to end: signed webhooks in, chat.postMessage to a fake Slack out."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from fake_platforms import CREDENTIALS, ChannelApp, FakePlatform

from stratus.channels.slack import sign
from stratus.stores import SQLiteTrackerStore

WEBHOOK = "/webhooks/slack/webhook"
SECRET = CREDENTIALS["slack"]["slack_signing_secret"]


def post(
    app: ChannelApp,
    body: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    form: bool = False,
    headers: dict[str, str] | None = None,
) -> Any:
    if isinstance(body, bytes):
        raw = body
    elif form:
        raw = urllib.parse.urlencode({"payload": json.dumps(body)}).encode()
    else:
        raw = json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    all_headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, raw),
        **(headers or {}),
    }
    return app.client.post(WEBHOOK, content=raw, headers=all_headers)


def message_event(text: str, *, user: str = "U1", channel: str = "C1", ts: str = "1.1") -> dict:
    return {
        "type": "event_callback",
        "event_id": f"Ev{ts}",
        "authorizations": [{"user_id": "UBOT", "is_bot": True}],
        "event": {"type": "message", "user": user, "text": text, "channel": channel, "ts": ts},
    }


def click(value: str, *, user: str = "U1", channel: str = "C1", action_ts: str = "9.9") -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": channel},
        "message": {"ts": "1.2"},
        "actions": [{"action_id": "button_0", "value": value, "action_ts": action_ts}],
    }


def user_texts(store: SQLiteTrackerStore, sender: str) -> list[str]:
    return [e["text"] for e in store.load(sender).events if e["event"] == "user"]


def test_url_verification_answers_the_challenge(channel_app: ChannelApp) -> None:
    response = post(channel_app, {"type": "url_verification", "challenge": "c-123", "token": "t"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


def test_conversation_with_buttons_and_a_click(
    channel_app: ChannelApp, fake_slack: FakePlatform, store: SQLiteTrackerStore
) -> None:
    response = post(channel_app, message_event("<@UBOT> /greet"))
    assert response.status_code == 200
    channel_app.drain()
    [greeting] = fake_slack.posted("/chat.postMessage")
    assert greeting.headers["authorization"] == f"Bearer {CREDENTIALS['slack']['slack_token']}"
    assert greeting.body["channel"] == "C1"
    section, actions = greeting.body["blocks"]
    assert section["text"]["text"] == "Hey! How are you?"
    assert actions["type"] == "actions"
    assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
        ("great", "/mood_great"),
        ("super sad", "/mood_unhappy"),
    ]

    response = post(channel_app, click("/mood_great"), form=True)
    assert response.status_code == 200
    channel_app.drain()
    reply = fake_slack.posted("/chat.postMessage")[-1]
    # The channel-specific variation: the output channel is `slack`.
    assert reply.body == {"channel": "C1", "text": "Great, carry on! (from Slack)"}
    assert user_texts(store, "U1") == ["/greet", "/mood_great"]
    inputs = {e.get("input_channel") for e in store.load("U1").events if e["event"] == "user"}
    assert inputs == {"slack"}


def test_a_retried_event_is_processed_once(
    channel_app: ChannelApp, fake_slack: FakePlatform, store: SQLiteTrackerStore
) -> None:
    event = message_event("/greet", ts="2.1")
    assert post(channel_app, event).status_code == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post(channel_app, event, headers=retry).status_code == 200
    # A retry for another reason is dropped too: the message was seen.
    other = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    assert post(channel_app, event, headers=other).status_code == 200
    channel_app.drain()
    assert user_texts(store, "U1") == ["/greet"]
    assert len(fake_slack.posted("/chat.postMessage")) == 1


def test_bad_signature_is_refused_and_nothing_is_stored(
    channel_app: ChannelApp, fake_slack: FakePlatform, store: SQLiteTrackerStore
) -> None:
    response = post(channel_app, message_event("/greet"), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["reason"] == "NotAuthenticated"
    unsigned = channel_app.client.post(WEBHOOK, json=message_event("/greet"))
    assert unsigned.status_code == 401
    channel_app.drain()
    assert store.load("U1").events == []
    assert fake_slack.requests == []


def test_stale_timestamp_is_refused(channel_app: ChannelApp, store: SQLiteTrackerStore) -> None:
    stale = int(time.time()) - 6 * 60
    response = post(channel_app, message_event("/greet"), timestamp=stale)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["message"]
    channel_app.drain()
    assert store.load("U1").events == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"type": "event_callback", ', "body"),
        (json.dumps({"event": {}}).encode(), "type"),
        (
            json.dumps(
                {"type": "event_callback", "event": {"type": "message", "user": "U1", "ts": "1"}}
            ).encode(),
            "event.channel",
        ),
    ],
)
def test_bad_bodies_get_400_naming_the_field(
    channel_app: ChannelApp, raw: bytes, field: str
) -> None:
    response = post(channel_app, raw)
    assert response.status_code == 400
    body = response.json()
    assert body["reason"] == "BadRequest"
    assert field in [problem["field"] for problem in body["details"]["errors"]]


def test_click_without_payload_field_is_400(channel_app: ChannelApp) -> None:
    raw = urllib.parse.urlencode({"other": "x"}).encode()
    stamp = str(int(time.time()))
    response = channel_app.client.post(
        WEBHOOK,
        content=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sign(SECRET, stamp, raw),
        },
    )
    assert response.status_code == 400
    assert response.json()["details"]["errors"][0]["field"] == "payload"


def test_bot_messages_are_ignored(
    channel_app: ChannelApp, fake_slack: FakePlatform, store: SQLiteTrackerStore
) -> None:
    from_bot = message_event("/greet", user="UBOT", ts="3.1")
    with_bot_id = message_event("/greet", ts="3.2")
    with_bot_id["event"]["bot_id"] = "B1"
    edited = message_event("/greet", ts="3.3")
    edited["event"]["subtype"] = "message_changed"
    for event in (from_bot, with_bot_id, edited):
        assert post(channel_app, event).status_code == 200
    channel_app.drain()
    assert fake_slack.requests == []
    assert store.load("U1").events == store.load("UBOT").events == []


def test_body_over_1_mb_is_413(channel_app: ChannelApp) -> None:
    response = post(channel_app, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413


def test_platform_500_then_200_is_retried(
    channel_app: ChannelApp, fake_slack: FakePlatform
) -> None:
    fake_slack.fail_next(500, {"ok": False, "error": "internal_error"})
    post(channel_app, message_event("/goodbye", ts="4.1"))
    channel_app.drain()
    posts = fake_slack.posted("/chat.postMessage")
    assert len(posts) == 2
    assert posts[0].body == posts[1].body == {"channel": "C1", "text": "Bye"}


def test_platform_down_is_logged_and_the_turn_stored(
    make_channel_app: Callable[..., ChannelApp],
    down_url: str,
    store: SQLiteTrackerStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_channel_app(api_urls={"slack": down_url})
    with caplog.at_level(logging.ERROR, logger="stratus.channels"):
        assert post(app, message_event("/goodbye", ts="5.1")).status_code == 200
        app.drain()
    assert any("not delivered" in r.getMessage() for r in caplog.records)
    events = store.load("U1").events
    assert [e["text"] for e in events if e["event"] == "bot"] == ["Bye"]


def test_use_threads_replies_in_the_thread(
    make_channel_app: Callable[..., ChannelApp], credentials: dict, fake_slack: FakePlatform
) -> None:
    credentials["slack"].update(use_threads=True, conversation_granularity="thread")
    app = make_channel_app(credentials=credentials)
    event = message_event("/goodbye", ts="6.1")
    event["event"]["thread_ts"] = "6.0"
    post(app, event)
    app.drain()
    [reply] = fake_slack.posted("/chat.postMessage")
    assert reply.body == {"channel": "C1", "thread_ts": "6.0", "text": "Bye"}
