"""`make demo`: train the example bot, serve it locally, and talk to it over HTTP.

Everything runs locally with the embedded defaults: the model in
examples/restaurantbot/models, `stratus run` with an SQLite tracker store, the bot's
custom actions (actions/handler.py) invoked in-process the way Lambda would invoke them,
and the tracker events streamed to a local file. The conversation goes through the
REST channel (`POST /webhooks/rest/webhook`), exactly as a website would send it, and
the HTTP API shows the stored conversation afterwards.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from stratus.cli.main import main

BOT = Path(__file__).resolve().parents[1] / "examples" / "restaurantbot"
SCRIPT = [
    "hi there",
    "what's the weather in Lisbon?",
    "I'd like to book a table",
    "italian please",
    "we are 4 people",
    "where are you located?",
    "at 7:30 pm",
    "actually, make it six",
    "where is my order 48213?",
    "thanks, bye",
]
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: Any | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as answer:
        raw = answer.read().decode()
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < START_TIMEOUT_SECONDS:
        if server.poll() is not None:
            raise SystemExit(f"stratus run exited with {server.returncode}")
        try:
            request(f"{base}/version")
            return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise SystemExit(f"stratus run did not answer within {START_TIMEOUT_SECONDS:.0f} s")


def show(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        if message.get("text"):
            print(f"  bot:  {message['text']}")
        for number, button in enumerate(message.get("buttons") or [], 1):
            print(f"        {number}: {button.get('title')} ({button.get('payload')})")
        if message.get("image"):
            print(f"        [image] {message['image']}")
        if message.get("custom"):
            print(f"        [custom] {json.dumps(message['custom'])}")


def converse(base: str, sender: str) -> None:
    for line in SCRIPT:
        print(f"user: {line}")
        started = time.perf_counter()
        replies = request(f"{base}/webhooks/rest/webhook", {"sender": sender, "message": line})
        show(replies)
        print(f"        ({(time.perf_counter() - started) * 1000:.1f} ms)")
    tracker = request(f"{base}/conversations/{sender}/tracker")
    filled = {k: v for k, v in tracker["slots"].items() if v is not None}
    print(f"\nstored: {len(tracker['events'])} events; slots set: {json.dumps(filled)}")


def run() -> int:
    print(f"== stratus validate --project {BOT}")
    if main(["validate", "--project", str(BOT), "--quiet"]) != 0:
        return 1
    print(f"\n== stratus train --project {BOT}")
    started = time.perf_counter()
    if main(["train", "--project", str(BOT), "--out", str(BOT / "models")]) != 0:
        return 1
    print(f"(training took {time.perf_counter() - started:.1f} s)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "stratus.cli.main", "run", "--project", str(BOT)]
    command += ["--interface", "127.0.0.1", "--port", str(port), "--enable-api"]
    print(f"\n== stratus run --project {BOT} --port {port} --enable-api")
    log_path = BOT / ".stratus" / "demo-server.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        print(f"(serving after {wait_until_up(base, server):.2f} s)\n")
        converse(base, f"demo-{int(time.time())}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print(f"(server log: {log_path})")
    return 0


if __name__ == "__main__":
    sys.exit(run())
