"""The REST channel over a trained moodbot: Rasa's reply shapes, and bad input that is
refused with the right status without touching the stored conversation."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stratus.shared.exceptions import TrackerConflictError
from stratus.stores import SQLiteTrackerStore

pytestmark = pytest.mark.slow

MakeClient = Callable[..., TestClient]  # the `make_client` fixture

WEBHOOK = "/webhooks/rest/webhook"


def say(client: TestClient, text: str, sender: str = "alice") -> list[dict[str, Any]]:
    response = client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_health_check(client: TestClient) -> None:
    response = client.get("/webhooks/rest/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_reply_is_a_list_of_messages_for_the_sender(client: TestClient) -> None:
    assert say(client, "  hello  ") == [
        {
            "recipient_id": "alice",
            "text": "Hey! How are you?",
            "buttons": [
                {"title": "great", "payload": "/mood_great"},
                {"title": "super sad", "payload": "/mood_unhappy"},
            ],
        }
    ]
    cheer = say(client, "/mood_unhappy")
    assert cheer[0] == {"recipient_id": "alice", "text": "Here is something to cheer you up:"}
    assert cheer[1] == {"recipient_id": "alice", "image": "https://i.imgur.com/nGF1K8f.jpg"}
    assert cheer[2] == {"recipient_id": "alice", "text": "Did that help you?"}


def test_text_is_split_on_blank_lines(client: TestClient) -> None:
    assert say(client, "/goodbye", sender="bob") == [
        {"recipient_id": "bob", "text": "Bye"},
        {"recipient_id": "bob", "text": "See you soon"},
    ]


def test_missing_sender_is_the_default_conversation(
    client: TestClient, store: SQLiteTrackerStore
) -> None:
    response = client.post(WEBHOOK, json={"message": "/greet"})
    assert response.json()[0]["recipient_id"] == "default"
    assert store.load_all("default").exists


def test_input_channel_and_metadata_are_recorded(
    client: TestClient, store: SQLiteTrackerStore
) -> None:
    body = {"sender": "m", "message": "/greet", "metadata": {"k": 1}}
    client.post(WEBHOOK, json=body)
    user = next(e for e in store.load_all("m").events if e["event"] == "user")
    assert user["input_channel"] == "rest"
    assert user["metadata"] == {"k": 1}
    assert len(user["message_id"]) == 32


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_json_body_is_read_whatever_its_content_type(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = b'{"sender": "curl", "message": "/goodbye"}'
    response = client.post(WEBHOOK, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()[0] == {"recipient_id": "curl", "text": "Bye"}


def test_stream_sends_one_json_message_per_line(client: TestClient) -> None:
    response = client.post(WEBHOOK + "?stream=true", json={"sender": "s", "message": "/goodbye"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = response.text.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"recipient_id": "s", "text": "Bye"},
        {"recipient_id": "s", "text": "See you soon"},
    ]


def _field_of(response: Any) -> list[str]:
    body = response.json()
    assert body["status"] == "failure" and body["code"] == response.status_code
    assert set(body) == {"version", "status", "message", "reason", "details", "help", "code"}
    return [error["field"] for error in body["details"]["errors"]]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"sender": "alice", "message": ', "body"),
        (b"[1, 2]", "body"),
        (b'{"sender": "alice"}', "message"),
        (b'{"sender": "alice", "message": 42}', "message"),
        (b'{"sender": 7, "message": "hi"}', "sender"),
        (b'{"sender": "", "message": "hi"}', "sender"),
        (b'{"sender": "alice", "message": "hi", "metadata": "x"}', "metadata"),
    ],
)
def test_bad_body_is_400_naming_the_field_and_loses_nothing(
    client: TestClient, store: SQLiteTrackerStore, content: bytes, field: str
) -> None:
    say(client, "hello")
    before = store.load_all("alice").events
    response = client.post(WEBHOOK, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert field in _field_of(response)
    assert field in response.json()["message"]
    assert store.load_all("alice").events == before


def test_body_over_one_megabyte_is_413_and_loses_nothing(
    client: TestClient, store: SQLiteTrackerStore
) -> None:
    say(client, "hello")
    before = store.load_all("alice").events
    big = json.dumps({"sender": "alice", "message": "a" * (1024 * 1024)})
    response = client.post(WEBHOOK, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["reason"] == "PayloadTooLarge"

    def chunks() -> Any:  # no Content-Length: the size is counted as it streams in
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536].encode()

    response = client.post(WEBHOOK, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert store.load_all("alice").events == before
    # A body just under the limit still goes through.
    assert say(client, "b" * 1000)


class ConflictingStore(SQLiteTrackerStore):
    """Loses every commit race: another writer always got there first."""

    def append(
        self,
        conversation_id: str,
        new_events: Sequence[Mapping[str, Any]],
        expected_version: int,
        head_update: Mapping[str, Any] | None = None,
        lock: Any = None,
    ) -> int:
        raise TrackerConflictError(f"conversation '{conversation_id}' moved on")


def test_a_lost_commit_race_is_409_and_keeps_the_stored_events(
    tmp_path: Any, make_client: MakeClient
) -> None:
    path = tmp_path / "conflict.db"
    say(make_client(store=SQLiteTrackerStore(path)), "hello", sender="c")
    before = SQLiteTrackerStore(path).load_all("c").events
    response = make_client(store=ConflictingStore(path)).post(
        WEBHOOK, json={"sender": "c", "message": "/mood_great"}
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert SQLiteTrackerStore(path).load_all("c").events == before


def test_channels_follow_credentials(make_client: MakeClient) -> None:
    assert make_client(credentials={"rest": {}}).get("/webhooks/rest/").status_code == 200
    slack = {"slack_token": "xoxb-1", "slack_signing_secret": "s3cret"}
    assert make_client(credentials={"slack": slack}).get("/webhooks/rest/").status_code == 404


def test_concurrent_messages_to_one_conversation_are_all_recorded(
    client: TestClient, store: SQLiteTrackerStore
) -> None:
    def send(n: int) -> list[dict[str, Any]]:
        body = {"sender": "busy", "message": "/greet", "metadata": {"n": n}}
        response = client.post(WEBHOOK, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(send, range(12)))
    assert any(replies)
    assert all(message["recipient_id"] == "busy" for reply in replies for message in reply)
    events = store.load_all("busy").events
    users = [e["metadata"]["n"] for e in events if e["event"] == "user"]
    assert sorted(users) == list(range(12))
    # Turns ran one at a time: each one ended listening before the next user message.
    latest_action = None
    for event in events:
        if event["event"] == "user":
            assert latest_action in (None, "action_listen")
        elif event["event"] == "action":
            latest_action = event["name"]
