"""`stratus run` serves the model over real HTTP on loopback, with its embedded defaults."""

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

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"stratus run exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("stratus run did not answer in time")


def test_stratus_run_serves_the_rest_channel_and_the_api(project: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "stratus.cli.main", "run", "--project", str(project)]
    command += ["-i", "127.0.0.1", "-p", str(port), "--enable-api", "--auth-token", "tok"]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(base + "/", server, log)
        status, messages = request(
            base + "/webhooks/rest/webhook", {"sender": "u", "message": "hi"}
        )
        assert status == 200
        assert messages[0]["recipient_id"] == "u"
        assert messages[0]["text"] == "Hey! How are you?"

        status, body = request(base + "/conversations/u/tracker")
        assert (status, body["reason"]) == (401, "NotAuthenticated")
        status, tracker = request(base + "/conversations/u/tracker?token=tok")
        assert status == 200
        assert [e["text"] for e in tracker["events"] if e["event"] == "bot"] == [
            "Hey! How are you?"
        ]
        assert (project / ".stratus" / "trackers.db").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode is not None
