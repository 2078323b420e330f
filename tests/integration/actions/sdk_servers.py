"""Helpers for the action tests: action servers built with the real rasa_sdk, on
loopback, and the test bot's conversation. (A uniquely named module rather than
conftest.py: test modules import from it.)

The servers run from the venvs `make sdk-venvs` builds (infra/local/requirements-sdk*.txt):
`.venv-sdk36` (rasa_sdk 3.6 on Python 3.10, as Rasa 3.6 users run it) and `.venv-sdk`
(the current rasa_sdk, which answers 449 when selective domain leaves the domain out).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BOT = Path(__file__).resolve().parent / "bot"
SDK_VENVS = {"rasa_sdk 3.6": REPO / ".venv-sdk36", "rasa_sdk current": REPO / ".venv-sdk"}


@dataclass(frozen=True)
class ActionServer:
    name: str
    url: str  # the webhook
    python: Path


def sdk_python(name: str) -> Path:
    """The venv's interpreter; skips the test when the venv is not built."""
    python = SDK_VENVS[name] / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{SDK_VENVS[name].name} is missing: run `make sdk-venvs` to build it")
    return python


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the action server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the action server did not get healthy:\n{log.read_text()[-3000:]}")


def start_action_server(
    sdk: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActionServer]:
    """`python -m rasa_sdk --actions bot_actions` serving the test bot's actions."""
    python = sdk_python(sdk)
    port = _free_port()
    log = tmp_path_factory.mktemp("action-server") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(BOT), "SANIC_NO_UVLOOP": "true"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "rasa_sdk", "--actions", "bot_actions", "--port", str(port)],
            cwd=BOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", process, log)
        yield ActionServer(sdk, f"http://127.0.0.1:{port}/webhook", python)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def book_a_table(say: Callable[[str], list[str]]) -> None:
    """The test bot's form conversation; every answer checked."""
    assert say("/request_restaurant") == ["What cuisine?"]
    assert say('/inform{"cuisine": "klingon"}') == [
        "Cuisine type is not in the database, please try again",
        "What cuisine?",
    ]
    assert say('/inform{"cuisine": "Mexican"}') == ["How many people?"]
    assert say('/inform{"number": "-3"}') == [
        "Number of people should be a positive integer, please try again",
        "How many people?",
    ]
    # action_submit_booking gets no domain under selective domain: rasa_sdk 3.6 runs it
    # anyway, the current rasa_sdk answers 449 and gets it on the second request.
    assert say('/inform{"number": "4"}') == ["Booked a table for 4 (mexican)."]
