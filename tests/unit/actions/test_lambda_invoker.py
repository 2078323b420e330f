"""The local Lambda invoker: handlers called as the Lambda runtime calls them."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from stratus.core.actions.lambda_invoke import LambdaThrottled, LocalLambdaInvoker
from stratus.shared.exceptions import ActionFailure


def invoke(handler: Any, event: Any = None, **kwargs: Any) -> tuple[int, str | None, Any]:
    invoker = LocalLambdaInvoker({"fn": handler}, **kwargs)
    status, error, payload = invoker.invoke("fn", json.dumps(event or {"a": 1}).encode())
    return status, error, json.loads(payload)


def test_event_and_answer_make_a_json_round_trip_with_a_context() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen["event"] = event
        seen["name"] = context.function_name
        seen["remaining"] = context.get_remaining_time_in_millis()
        return {"tuple": (1, 2)}

    assert invoke(handler, {"x": [1]}, timeout=5) == (200, None, {"tuple": [1, 2]})
    assert seen["event"] == {"x": [1]}
    assert seen["name"] == "fn"
    assert 0 < seen["remaining"] <= 5000


def test_a_raising_handler_is_reported_in_lambdas_shape() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise KeyError("slot")

    status, error, payload = invoke(handler)
    assert (status, error) == (200, "Unhandled")
    assert payload["errorType"] == "KeyError"
    assert payload["errorMessage"] == "'slot'"
    assert any("raise KeyError" in line for line in payload["stackTrace"])


def test_a_slow_handler_times_out() -> None:
    release = threading.Event()

    def handler(event: Any, context: Any) -> Any:
        release.wait(5)
        return {}

    try:
        _, error, payload = invoke(handler, timeout=0.2)
    finally:
        release.set()
    assert error == "Unhandled"
    assert payload["errorMessage"] == "Task timed out after 0.20 seconds"


def test_an_answer_that_is_not_json_is_a_marshal_error() -> None:
    _, error, payload = invoke(lambda e, c: {"when": object()})
    assert error == "Unhandled"
    assert payload["errorType"] == "Runtime.MarshalError"


def test_handlers_by_name_and_import_errors() -> None:
    invoker = LocalLambdaInvoker(
        {"dumps": "json:dumps", "dotted": "json.dumps", "missing": "no_such_module_x:handler"}
    )
    # json.dumps(event, context) fails: the handler really was imported and called
    _, error, payload = invoker.invoke("dumps", b"{}")
    assert error == "Unhandled" and payload
    _, error, payload = invoker.invoke("missing", b"{}")
    assert error == "Unhandled"
    assert json.loads(payload)["errorType"] == "Runtime.ImportModuleError"
    with pytest.raises(ActionFailure, match="Function not found"):
        invoker.invoke("other", b"{}")


def test_reserved_concurrency_throttles() -> None:
    entered, release = threading.Event(), threading.Event()

    def handler(event: Any, context: Any) -> Any:
        entered.set()
        release.wait(5)
        return {}

    invoker = LocalLambdaInvoker({"fn": handler}, reserved_concurrency=1)
    first = threading.Thread(target=invoker.invoke, args=("fn", b"{}"))
    first.start()
    try:
        assert entered.wait(5)
        with pytest.raises(LambdaThrottled):
            invoker.invoke("fn", b"{}")
    finally:
        release.set()
        first.join(5)
    assert invoker.invoke("fn", b"{}").function_error is None
