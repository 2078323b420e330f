"""The HTTP API (`--enable-api`) over a trained moodbot: Rasa's shapes and statuses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import yaml
from fastapi.testclient import TestClient

from stratus import RASA_COMPATIBLE_VERSION
from stratus.stores import SQLiteTrackerStore

pytestmark = pytest.mark.slow

MakeClient = Callable[..., TestClient]  # the `make_client` fixture

ERROR_KEYS = {"version", "status", "message", "reason", "details", "help", "code"}
TRACKER_KEYS = {
    "sender_id",
    "slots",
    "latest_message",
    "latest_event_time",
    "followup_action",
    "paused",
    "events",
    "latest_input_channel",
    "active_loop",
    "latest_action",
    "latest_action_name",
}


def chat(client: TestClient, text: str, sender: str = "alice") -> list[dict[str, Any]]:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return response.json()


def failure(response: Any, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["code"], body["reason"]) == ("failure", status, reason)
    return body


def test_api_is_off_unless_enabled(make_client: MakeClient) -> None:
    client = make_client()
    assert client.get("/status").status_code == 404
    assert client.get("/conversations/alice/tracker").status_code == 404
    assert client.get("/").text == f"Hello from Rasa: {RASA_COMPATIBLE_VERSION}"


def test_root_version_status_and_domain(client: TestClient, project: Any) -> None:
    assert client.get("/").text == f"Hello from Rasa: {RASA_COMPATIBLE_VERSION}"
    version = client.get("/version").json()
    assert version["version"] == RASA_COMPATIBLE_VERSION
    assert version["minimum_compatible_version"]
    status = client.get("/status").json()
    assert status["model_file"].startswith(str(project / "models"))
    assert status["model_id"] and status["num_active_training_jobs"] == 0
    domain = client.get("/domain").json()
    assert "mood_unhappy" in domain["intents"]
    assert "utter_cheer_up" in domain["responses"]
    as_yaml = client.get("/domain", headers={"Accept": "application/x-yml"})
    assert as_yaml.headers["content-type"].startswith("application/x-yml")
    assert yaml.safe_load(as_yaml.text)["intents"] == domain["intents"]
    failure(client.get("/domain", headers={"Accept": "text/html"}), 406, "NotAcceptable")


def test_tracker_renders_the_conversation(client: TestClient) -> None:
    chat(client, "hello")
    chat(client, "/mood_great")
    state = client.get("/conversations/alice/tracker").json()
    assert set(state) == TRACKER_KEYS
    assert state["sender_id"] == "alice"
    assert state["latest_message"]["intent"]["name"] == "mood_great"
    assert state["latest_input_channel"] == "rest"
    assert state["latest_action_name"] == "action_listen"
    names = [e["event"] for e in state["events"]]
    assert names[:3] == ["action", "session_started", "action"]
    assert names.count("user") == 2
    texts = [e["text"] for e in state["events"] if e["event"] == "bot"]
    assert texts == ["Hey! How are you?", "Great, carry on!"]

    none = client.get("/conversations/alice/tracker?include_events=none").json()
    assert none["events"] is None
    first_user = next(e for e in state["events"] if e["event"] == "user")
    earlier = client.get(f"/conversations/alice/tracker?until={first_user['timestamp']}").json()
    assert [e["event"] for e in earlier["events"]].count("user") == 1
    bad = client.get("/conversations/alice/tracker?include_events=some")
    assert "include_events" in failure(bad, 400, "BadRequest")["message"]


def test_unknown_conversation_is_404(client: TestClient) -> None:
    failure(client.get("/conversations/nobody/tracker"), 404, "NotFound")
    failure(client.post("/conversations/nobody/predict"), 404, "NotFound")
    failure(client.get("/conversations/nobody/story"), 404, "NotFound")


def test_story_export_is_the_conversation_as_a_yaml_test_story(client: TestClient) -> None:
    chat(client, "hello")
    response = client.get("/conversations/alice/story")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/yaml")
    story = yaml.safe_load(response.text)
    assert story["version"] == "3.1"
    [only] = story["stories"]
    assert only["story"] == "alice"
    assert only["steps"][0] == {"intent": "greet", "user": "hello"}
    assert only["steps"][1] == {"action": "utter_greet"}
    # A second session makes a second story only with all_sessions.
    client.post("/conversations/alice/tracker/events", json={"event": "session_started"})
    chat(client, "hello")
    assert len(yaml.safe_load(client.get("/conversations/alice/story").text)["stories"]) == 1
    every = client.get("/conversations/alice/story", params={"all_sessions": "true"})
    names = [s["story"] for s in yaml.safe_load(every.text)["stories"]]
    assert names == ["alice, story 1", "alice, story 2"]
    failure(client.get("/conversations/nobody/story"), 404, "NotFound")


def test_appending_events_to_a_new_conversation_starts_its_session(client: TestClient) -> None:
    body = {"event": "slot", "name": "name", "value": "Ada"}
    response = client.post("/conversations/fresh/tracker/events", json=body)
    assert response.status_code == 200, response.text
    names = [e.get("name") or e["event"] for e in response.json()["events"]]
    assert names == ["action_session_start", "session_started", "action_listen", "name"]


def test_events_are_appended_and_replaced(client: TestClient, store: SQLiteTrackerStore) -> None:
    chat(client, "hello")
    url = "/conversations/alice/tracker/events"
    state = client.post(url, json={"event": "slot", "name": "name", "value": "Ann"}).json()
    assert state["slots"]["name"] == "Ann"
    state = client.post(
        url, json=[{"event": "bot", "text": "one"}, {"event": "bot", "text": "two"}]
    )
    assert [e["text"] for e in state.json()["events"][-2:]] == ["one", "two"]
    assert store.load_all("alice").events[-1]["text"] == "two"

    before = store.load_all("alice").events
    assert len(client.post(url, json=[]).json()["events"]) == len(before)
    failure(client.post(url, json={"event": "no_such_event"}), 400, "BadRequest")
    failure(client.post(url, json=[{"event": "bot"}, "text"]), 400, "BadRequest")
    failure(
        client.post(url, content=b"{", headers={"content-type": "application/json"}),
        400,
        "BadRequest",
    )
    assert store.load_all("alice").events == before

    replaced = client.put(url, json=[{"event": "slot", "name": "name", "value": "Bo"}]).json()
    assert [e["event"] for e in replaced["events"]] == ["slot"]
    assert replaced["slots"]["name"] == "Bo"
    assert [e["event"] for e in store.load_all("alice").events] == ["slot"]


def test_messages_logs_without_predicting(client: TestClient) -> None:
    url = "/conversations/m/messages"
    state = client.post(url, json={"text": "/mood_unhappy", "sender": "user"}).json()
    assert state["latest_message"]["intent"]["name"] == "mood_unhappy"
    assert not [e for e in state["events"] if e["event"] == "bot"]
    assert state["latest_action_name"] == "action_listen"
    bad = client.post(url, json={"text": "hi", "sender": "bot"})
    assert failure(bad, 400, "BadRequest")["details"] == {"parameter": "sender", "in": "body"}
    missing = client.post(url, json={"sender": "user"})
    assert "text" in failure(missing, 400, "BadRequest")["message"]


def test_predict_scores_without_executing(client: TestClient, store: SQLiteTrackerStore) -> None:
    client.post("/conversations/p/messages", json={"text": "/mood_unhappy"})
    before = store.load_all("p").events
    answer = client.post("/conversations/p/predict").json()
    scores = [s["score"] for s in answer["scores"]]
    assert scores == sorted(scores, reverse=True)
    assert answer["scores"][0]["action"] == "utter_cheer_up"
    assert answer["confidence"] == pytest.approx(scores[0])
    assert answer["policy"]
    assert set(answer["tracker"]) == TRACKER_KEYS
    assert store.load_all("p").events == before


def test_execute_runs_one_action(client: TestClient) -> None:
    answer = client.post(
        "/conversations/e/execute", json={"name": "utter_goodbye", "policy": "Manual"}
    ).json()
    assert answer["messages"] == [
        {"recipient_id": "e", "text": "Bye"},
        {"recipient_id": "e", "text": "See you soon"},
    ]
    actions = [e for e in answer["tracker"]["events"] if e["event"] == "action"]
    assert actions[-1]["name"] == "utter_goodbye" and actions[-1]["policy"] == "Manual"
    failure(client.post("/conversations/e/execute", json={"name": "utter_nope"}), 404, "NotFound")
    failure(client.post("/conversations/e/execute", json={"name": 3}), 400, "BadRequest")


def test_trigger_intent_predicts_and_answers(client: TestClient) -> None:
    answer = client.post("/conversations/t/trigger_intent", json={"name": "greet"}).json()
    assert answer["messages"][0]["text"] == "Hey! How are you?"
    assert answer["tracker"]["latest_message"]["intent"]["name"] == "greet"
    unknown = client.post("/conversations/t/trigger_intent", json={"name": "dance"})
    assert "dance" in failure(unknown, 404, "NotFound")["message"]


def test_model_parse(client: TestClient) -> None:
    parsed = client.post("/model/parse", json={"text": "/mood_great"}).json()
    assert parsed["intent"]["name"] == "mood_great"
    parsed = client.post("/model/parse", json={"text": "hello there"}).json()
    assert parsed["text"] == "hello there"
    assert {"intent", "entities", "intent_ranking"} <= set(parsed)
    failure(client.post("/model/parse", json={}), 400, "BadRequest")


def test_token_auth(make_client: MakeClient) -> None:
    client = make_client(enable_api=True, auth_token="s3cret")
    failure(client.get("/status"), 401, "NotAuthenticated")
    failure(client.get("/status?token=wrong"), 401, "NotAuthenticated")
    assert client.get("/status?token=s3cret").status_code == 200
    # The channel and the greeting stay open.
    assert client.get("/").status_code == 200
    assert chat(client, "hello", sender="u")


def _bearer(secret: str, username: str, role: str) -> dict[str, str]:
    claims = {"user": {"username": username, "role": role}, "exp": int(time.time()) + 60}
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


def test_jwt_roles(make_client: MakeClient) -> None:
    client = make_client(enable_api=True, jwt_secret="a-jwt-secret-of-at-least-32-bytes!")
    chat(client, "hello", sender="ann")
    chat(client, "hello", sender="bob")
    ann = _bearer("a-jwt-secret-of-at-least-32-bytes!", "ann", "user")
    assert client.get("/conversations/ann/tracker", headers=ann).status_code == 200
    failure(client.get("/conversations/bob/tracker", headers=ann), 403, "NotAuthorized")
    failure(client.get("/status", headers=ann), 403, "NotAuthorized")
    admin = _bearer("a-jwt-secret-of-at-least-32-bytes!", "root", "admin")
    assert client.get("/conversations/bob/tracker", headers=admin).status_code == 200
    forged = _bearer("another-secret-of-at-least-32-bytes", "root", "admin")
    failure(client.get("/conversations/bob/tracker", headers=forged), 401, "NotAuthenticated")
    failure(client.get("/conversations/bob/tracker"), 401, "NotAuthenticated")


def test_cors_allows_the_configured_origin(make_client: MakeClient) -> None:
    client = make_client(enable_api=True, cors=["https://app.example"])
    response = client.options(
        "/status",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    other = client.get("/version", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_openapi_document_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/webhooks/rest/webhook",
        "/status",
        "/conversations/{conversation_id}/tracker",
        "/conversations/{conversation_id}/tracker/events",
        "/conversations/{conversation_id}/trigger_intent",
        "/model/parse",
        "/domain",
    ):
        assert path in paths
    assert {"post", "put"} <= set(paths["/conversations/{conversation_id}/tracker/events"])
    # Bad input is documented as it is answered: 400 with Rasa's error body.
    webhook = paths["/webhooks/rest/webhook"]["post"]
    assert "422" not in webhook["responses"]
    assert webhook["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "sender" in webhook["requestBody"]["content"]["application/json"]["schema"]["properties"]
