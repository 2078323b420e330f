"""functions/door.py makes a Powertools Tracer exactly when Powertools would trace."""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path
from types import ModuleType

import pytest
from aws_lambda_powertools import Tracer

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
VARIABLES = {
    "POWERTOOLS_TRACE_DISABLED": (None, "true", "false", "1", "0"),
    "LAMBDA_TASK_ROOT": (None, "/var/task"),
    "AWS_SAM_LOCAL": (None, "true"),
    "AWS_CHALICE_CLI_MODE": (None, "true"),
}


@pytest.fixture
def door(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(FUNCTIONS))
    return importlib.import_module("door")


def test_the_door_traces_exactly_when_powertools_would(
    door: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for values in itertools.product(*VARIABLES.values()):
        environ = {k: v for k, v in zip(VARIABLES, values, strict=True) if v is not None}
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        powertools_traces = not Tracer._is_tracer_disabled()
        assert door.tracing_enabled(environ) is powertools_traces, environ


def test_a_malformed_switch_is_refused_as_powertools_refuses_it(door: ModuleType) -> None:
    with pytest.raises(ValueError):
        door.tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "maybe"})
