"""The HTTP action client against a loopback server: Rasa's EndpointConfig settings on
the wire, the statuses' meaning, and servers that are down or slow."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stratus.core.actions import ActionDomainRequired
from stratus.core.actions.clients import action_client_for
from stratus.shared.endpoints import endpoints_from_dict
from stratus.shared.exceptions import ActionFailure, ActionRejection

# next_action -> (status, body bytes, seconds to wait first)
SCRIPT: dict[str, tuple[int, bytes, float]] = {
    "action_ok": (200, b'{"events": [{"event": "slot", "name": "a", "value": 1}]}', 0),
    "action_reject": (400, b'{"error": "no", "action_name": "action_reject"}', 0),
    "action_domain": (449, b'{"error": "Missing domain context"}', 0),
    "action_crash": (500, b'{"error": "boom"}', 0),
    "action_garbage": (200, b"<html>", 0),
    "action_slow": (200, b"{}", 2),
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, answer, wait = SCRIPT.get(body["next_action"], (404, b"{}", 0))
            time.sleep(wait)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/webhook", seen
    httpd.shutdown()
    thread.join(5)


def client(url: str, **settings: Any) -> Any:
    endpoints = endpoints_from_dict({"action_endpoint": {"url": url, **settings}})
    return action_client_for(endpoints.action)


def request(name: str) -> dict[str, Any]:
    return {"next_action": name, "sender_id": "s", "tracker": {"events": []}, "version": "3"}


def test_settings_go_on_the_wire(server: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = server
    answer = client(
        url,
        token="t0k",
        params={"tenant": "a"},
        headers={"X-Api-Key": "k"},
        basic_auth={"username": "u", "password": "p"},
    ).call(request("action_ok"))
    assert answer == {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []}
    sent = seen[-1]
    assert sent["path"] == "/webhook?tenant=a&token=t0k"
    assert sent["headers"]["X-Api-Key"] == "k"
    assert sent["headers"]["Authorization"] == "Basic dTpw"
    assert sent["body"]["next_action"] == "action_ok"


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("action_reject", ActionRejection, "no"),
        ("action_domain", ActionDomainRequired, "Missing domain context"),
        ("action_crash", ActionFailure, "status 500"),
        ("action_unknown", ActionFailure, "does not know"),
        ("action_garbage", ActionFailure, "malformed JSON"),
    ],
)
def test_statuses_keep_rasas_meaning(
    server: tuple[str, list[dict[str, Any]]], name: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        client(server[0]).call(request(name))


def test_a_slow_server_times_out(server: tuple[str, list[dict[str, Any]]]) -> None:
    with pytest.raises(ActionFailure, match=r"did not answer within 0\.3 seconds"):
        client(server[0], timeout=0.3).call(request("action_slow"))


def test_a_server_that_is_down_fails_the_action() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ActionFailure, match="could not be reached") as caught:
        client(f"http://127.0.0.1:{port}/webhook", token="secret").call(request("action_ok"))
    assert "secret" not in str(caught.value)
