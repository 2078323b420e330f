"""The one table from Stratus exceptions to HTTP answers, and the cheap package import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stratus import RASA_COMPATIBLE_VERSION
from stratus.server.errors import api_error_for
from stratus.shared.events.base import InvalidEventError
from stratus.shared.exceptions import (
    ActionFailure,
    ConfigError,
    IncompatibleModelError,
    StratusError,
    TrackerConflictError,
)
from stratus.shared.problems import Problem
from stratus.stores import LockLostError, LockTimeoutError


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (ConfigError(Problem("bad", "endpoints.yml")), 400, "BadRequest"),
        (InvalidEventError("no such event"), 400, "BadRequest"),
        (TrackerConflictError("moved on"), 409, "Conflict"),
        (LockLostError("lost"), 409, "Conflict"),
        (LockTimeoutError("busy"), 503, "ConversationBusy"),
        (IncompatibleModelError("old"), 500, "LoadingError"),
        (ActionFailure("timed out"), 502, "ActionExecutionFailed"),
        (StratusError("other"), 500, "ConversationError"),
        (RuntimeError("boom"), 500, "ConversationError"),
    ],
)
def test_exceptions_map_to_rasa_error_bodies(
    error: BaseException, status: int, reason: str
) -> None:
    body = api_error_for(error).body()
    assert (body["code"], body["reason"], body["status"]) == (status, reason, "failure")
    assert body["version"] == RASA_COMPATIBLE_VERSION
    assert set(body) == {"version", "status", "message", "reason", "details", "help", "code"}


def test_unexpected_errors_do_not_leak_their_text() -> None:
    body = api_error_for(RuntimeError("password=hunter2")).body()
    assert "hunter2" not in body["message"]


def test_importing_the_package_loads_no_web_framework() -> None:
    code = "import sys, stratus.server; print('fastapi' in sys.modules, 'jwt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
