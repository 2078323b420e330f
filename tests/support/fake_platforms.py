"""Local stand-ins for the Slack, Telegram and Messenger APIs: real HTTP servers on
127.0.0.1 that record every request and answer as the platforms do (including their
error shapes), with scripted failures for the retry tests."""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Recorded], Answer]

# What the fakes accept, and the credentials.yml the test apps are made with.
SLACK_TOKEN = "xoxb-test-token"
TELEGRAM_TOKEN = "123456:telegram-test-token"
FACEBOOK_TOKEN = "page-test-token"
CREDENTIALS: dict[str, dict[str, Any]] = {
    "slack": {"slack_token": SLACK_TOKEN, "slack_signing_secret": "slack-signing-secret"},
    "telegram": {
        "access_token": TELEGRAM_TOKEN,
        "verify": "stratus_test_bot",
        "webhook_url": "https://bot.example.com/webhooks/telegram/webhook",
        "secret_token": "telegram-secret",
    },
    "facebook": {
        "verify": "fb-verify",
        "secret": "fb-app-secret",
        "page-access-token": FACEBOOK_TOKEN,
    },
}


@dataclass
class ChannelApp:
    """An app serving the platform channels, and the dispatcher its turns run on."""

    client: Any
    dispatcher: Any

    def drain(self) -> None:
        assert self.dispatcher.drain(timeout=30), "channel jobs did not finish"


class FakePlatform:
    """An HTTP server answering with `responder`, unless a scripted answer is queued."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Recorded] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests with `status` (recorded all the same)."""
        with self._lock:
            for _ in range(times):
                self._script.append(Answer(status, body or {}, headers or {}))

    def posted(self, path_suffix: str = "") -> list[Recorded]:
        """The recorded POSTs whose path ends with `path_suffix`."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_suffix)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Recorded) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._script:
                return self._script.popleft()
        return self.responder(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = Recorded(
                    "POST",
                    parsed.path,
                    dict(urllib.parse.parse_qsl(parsed.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = fake._answer(request)
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output readable

        return Handler


def slack_responder(token: str) -> Responder:
    """Slack's Web API: 200 with `ok`, `invalid_auth` for a wrong bearer token."""
    counter = iter(range(1, 1_000_000))

    def answer(request: Recorded) -> Answer:
        if request.headers.get("authorization") != f"Bearer {token}":
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        if request.path != "/chat.postMessage":
            return Answer(200, {"ok": False, "error": "unknown_method"})
        body = request.body if isinstance(request.body, dict) else {}
        if not body.get("channel"):
            return Answer(200, {"ok": False, "error": "channel_not_found"})
        return Answer(200, {"ok": True, "channel": body["channel"], "ts": f"1700.{next(counter)}"})

    return answer


def telegram_responder(token: str) -> Responder:
    """The Bot API: `/bot<token>/<method>`, 401 for a wrong token, 400 without chat_id."""

    def answer(request: Recorded) -> Answer:
        prefix = f"/bot{token}/"
        if not request.path.startswith(prefix):
            return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.path[len(prefix) :]
        body = request.body if isinstance(request.body, dict) else {}
        if method != "answerCallbackQuery" and method != "setWebhook" and "chat_id" not in body:
            return Answer(
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"},
            )
        return Answer(200, {"ok": True, "result": {"message_id": len(body)}})

    return answer


def facebook_responder(token: str) -> Responder:
    """The Send API: `/me/messages?access_token=`, an OAuth error for a wrong token."""

    def answer(request: Recorded) -> Answer:
        if request.query.get("access_token") != token:
            error = {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
            return Answer(400, {"error": error})
        body = request.body if isinstance(request.body, dict) else {}
        recipient = (body.get("recipient") or {}).get("id")
        if request.path != "/me/messages" or not recipient:
            return Answer(
                400, {"error": {"message": "(#100) param recipient must be non-empty", "code": 100}}
            )
        return Answer(200, {"recipient_id": recipient, "message_id": "m_1"})

    return answer


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a platform that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
