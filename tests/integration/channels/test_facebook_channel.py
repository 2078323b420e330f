"""The Messenger channel end to end: signed page events in, Send API calls to a fake out."""

from __future__ import annotations

import json
from typing import Any

from fake_platforms import CREDENTIALS, FACEBOOK_TOKEN, ChannelApp, FakePlatform

from stratus.channels.facebook import sign
from stratus.stores import SQLiteTrackerStore

WEBHOOK = "/webhooks/facebook/webhook"
APP_SECRET = CREDENTIALS["facebook"]["secret"]


def page_event(*messaging: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": list(messaging)}]}


def text(mid: str, value: str, sender: str = "PSID1") -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": "PAGE"},
        "timestamp": 1700000000000,
        "message": {"mid": mid, "text": value},
    }


def post(app: ChannelApp, body: dict[str, Any] | bytes, secret: str = APP_SECRET) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, raw)}
    return app.client.post(WEBHOOK, content=raw, headers=headers)


def user_texts(store: SQLiteTrackerStore, sender: str) -> list[str]:
    return [e["text"] for e in store.load(sender).events if e["event"] == "user"]


def test_verification_challenge(channel_app: ChannelApp) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "fb-verify",
        "hub.challenge": "1158201444",
    }
    response = channel_app.client.get(WEBHOOK, params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    wrong = channel_app.client.get(WEBHOOK, params={**params, "hub.verify_token": "nope"})
    assert wrong.status_code == 403
    missing = channel_app.client.get(
        WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": "fb-verify"}
    )
    assert missing.status_code == 400
    assert missing.json()["details"]["errors"][0]["field"] == "hub.challenge"


def test_bad_signature_is_refused_and_nothing_is_stored(
    channel_app: ChannelApp, fake_facebook: FakePlatform, store: SQLiteTrackerStore
) -> None:
    assert post(channel_app, page_event(text("m1", "/greet")), secret="wrong").status_code == 401
    unsigned = channel_app.client.post(WEBHOOK, json=page_event(text("m1", "/greet")))
    assert unsigned.status_code == 401
    assert unsigned.json()["reason"] == "NotAuthenticated"
    channel_app.drain()
    assert store.load("PSID1").events == []
    assert fake_facebook.requests == []


def test_buttons_become_quick_replies_and_a_click_answers(
    channel_app: ChannelApp, fake_facebook: FakePlatform, store: SQLiteTrackerStore
) -> None:
    assert post(channel_app, page_event(text("m1", "/greet"))).status_code == 200
    channel_app.drain()
    [greeting] = fake_facebook.posted("/me/messages")
    assert greeting.query == {"access_token": FACEBOOK_TOKEN}
    assert greeting.body == {
        "recipient": {"id": "PSID1"},
        "messaging_type": "RESPONSE",
        "message": {
            "text": "Hey! How are you?",
            "quick_replies": [
                {"content_type": "text", "title": "great", "payload": "/mood_great"},
                {"content_type": "text", "title": "super sad", "payload": "/mood_unhappy"},
            ],
        },
    }
    quick_reply = text("m2", "great")
    quick_reply["message"]["quick_reply"] = {"payload": "/mood_great"}
    post(channel_app, page_event(quick_reply))
    channel_app.drain()
    reply = fake_facebook.posted("/me/messages")[-1]
    assert reply.body["message"] == {"text": "Great, carry on!"}
    assert user_texts(store, "PSID1") == ["/greet", "/mood_great"]


def test_postbacks_and_images(
    channel_app: ChannelApp, fake_facebook: FakePlatform, store: SQLiteTrackerStore
) -> None:
    postback = {
        "sender": {"id": "PSID2"},
        "recipient": {"id": "PAGE"},
        "timestamp": 1700000000001,
        "postback": {"title": "sad", "payload": "/mood_unhappy", "mid": "m9"},
    }
    post(channel_app, page_event(postback))
    channel_app.drain()
    messages = [r.body["message"] for r in fake_facebook.posted("/me/messages")]
    assert messages[0] == {"text": "Here is something to cheer you up:"}
    assert messages[1] == {
        "attachment": {
            "type": "image",
            "payload": {"url": "https://i.imgur.com/nGF1K8f.jpg", "is_reusable": True},
        }
    }
    assert user_texts(store, "PSID2") == ["/mood_unhappy"]


def test_echoes_are_ignored_and_redeliveries_dropped(
    channel_app: ChannelApp, fake_facebook: FakePlatform, store: SQLiteTrackerStore
) -> None:
    echo = text("m5", "Bye", sender="PAGE")
    echo["message"]["is_echo"] = True
    post(channel_app, page_event(echo))
    for _ in range(2):
        post(channel_app, page_event(text("m6", "/goodbye")))
    channel_app.drain()
    assert store.load("PAGE").events == []
    assert user_texts(store, "PSID1") == ["/goodbye"]
    assert len(fake_facebook.posted("/me/messages")) == 1


def test_bad_bodies_get_400_naming_the_field(channel_app: ChannelApp) -> None:
    for raw, field in [
        (b"[1, 2", "body"),
        (b'{"object": "page"}', "entry"),
        (
            json.dumps(page_event({"recipient": {"id": "P"}, "message": {"text": "x"}})).encode(),
            "entry.0.messaging.0.sender",
        ),
    ]:
        response = post(channel_app, raw)
        assert response.status_code == 400, raw
        assert field in [p["field"] for p in response.json()["details"]["errors"]]
