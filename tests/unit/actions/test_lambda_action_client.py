"""The Lambda action client over the local invoker: answers, failures, throttling, size."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from stratus.core.actions import ActionDomainRequired
from stratus.core.actions.lambda_client import LambdaActionClient, fit_request
from stratus.core.actions.lambda_invoke import InvokeResult, LocalLambdaInvoker
from stratus.shared.exceptions import ActionFailure, ActionRejection


def request(action: str = "action_x", **extra: Any) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": "s",
        "tracker": {"sender_id": "s", "events": []},
        "version": "3.6.21",
        **extra,
    }


def client_for(handler: Any, **kwargs: Any) -> LambdaActionClient:
    return LambdaActionClient(
        LocalLambdaInvoker(default=handler, timeout=kwargs.pop("timeout", 5)),
        default_function="actions-fn",
        **kwargs,
    )


def test_answers_and_function_mapping() -> None:
    answer = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []}
    invoker = LocalLambdaInvoker(
        {
            "weather-fn": lambda e, c: {"responses": [{"text": c.function_name}]},
            "all-fn": lambda e, c: answer,
        }
    )
    client = LambdaActionClient(invoker, {"action_weather": "weather-fn"}, "all-fn")
    assert client.call(request("action_weather")) == {
        "events": [],
        "responses": [{"text": "weather-fn"}],
    }
    assert client.call(request("action_other")) == answer
    with pytest.raises(ActionFailure, match="No Lambda function"):
        LambdaActionClient(invoker, {"a": "weather-fn"}).call(request("b"))


def test_api_gateway_style_statuses_keep_rasas_meaning() -> None:
    body = json.dumps({"action_name": "action_x", "error": "not now"})
    with pytest.raises(ActionRejection, match="not now"):
        client_for(lambda e, c: {"statusCode": 400, "body": body}).call(request())
    with pytest.raises(ActionDomainRequired):
        client_for(lambda e, c: {"statusCode": 449, "body": "{}"}).call(request())
    with pytest.raises(ActionFailure, match="does not know"):
        client_for(lambda e, c: {"statusCode": 404, "body": "{}"}).call(request())


def test_function_errors_fail_the_action() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise RuntimeError("database down")

    with pytest.raises(ActionFailure, match=r"Unhandled.*RuntimeError: database down"):
        client_for(handler).call(request())


def test_a_timeout_fails_the_action() -> None:
    release = threading.Event()
    try:
        with pytest.raises(ActionFailure, match=r"Task timed out after 0\.20 seconds"):
            client_for(lambda e, c: release.wait(5), timeout=0.2).call(request())
    finally:
        release.set()


@pytest.mark.parametrize(
    "answer",
    [[1, 2], {"events": "nope"}, {"events": [{"no": "event key"}]}, "text"],
)
def test_answers_of_the_wrong_shape_fail(answer: Any) -> None:
    with pytest.raises(ActionFailure):
        client_for(lambda e, c: answer).call(request())


class _MalformedInvoker:
    """A function answering bytes that are not JSON (a non-Python runtime can)."""

    def invoke(self, function_name: str, payload: bytes) -> InvokeResult:
        return InvokeResult(200, None, b"{not json")


def test_malformed_json_fails() -> None:
    client = LambdaActionClient(_MalformedInvoker(), default_function="fn")
    with pytest.raises(ActionFailure, match="malformed JSON"):
        client.call(request())


def _busy_invoker() -> tuple[LocalLambdaInvoker, threading.Event, threading.Thread]:
    """An invoker whose only concurrency slot is held by a running invocation."""
    entered, release = threading.Event(), threading.Event()

    def handler(event: dict[str, Any], context: Any) -> Any:
        if event.get("hold"):
            entered.set()
            release.wait(5)
        return {"responses": [{"text": "ran"}]}

    invoker = LocalLambdaInvoker({"fn": handler}, reserved_concurrency=1)
    holder = threading.Thread(target=invoker.invoke, args=("fn", b'{"hold": true}'))
    holder.start()
    assert entered.wait(5)
    return invoker, release, holder


def test_throttling_is_retried_with_backoff_until_the_function_is_free() -> None:
    invoker, release, holder = _busy_invoker()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the running invocation ends during the second wait
            release.set()
            holder.join(5)

    client = LambdaActionClient(invoker, default_function="fn", backoff=0.1, sleep=sleep)
    try:
        assert client.call(request())["responses"] == [{"text": "ran"}]
    finally:
        release.set()
        holder.join(5)
    assert waits == [0.1, 0.2]


def test_throttling_gives_up_after_max_attempts() -> None:
    invoker, release, holder = _busy_invoker()
    waits: list[float] = []
    client = LambdaActionClient(
        invoker, default_function="fn", max_attempts=3, backoff=0.05, sleep=waits.append
    )
    try:
        with pytest.raises(ActionFailure, match="still throttled after 3 attempts"):
            client.call(request())
    finally:
        release.set()
        holder.join(5)
    assert waits == [0.05, 0.1]


def _session(n: int, text: str) -> list[dict[str, Any]]:
    return [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        *({"event": "user", "text": text} for _ in range(n)),
    ]


def test_big_requests_drop_the_domain_then_earlier_sessions() -> None:
    domain = {"responses": {"utter_x": [{"text": "d" * 2000}]}}
    events = _session(5, "old" * 100) + _session(2, "new")
    big = request(domain=domain, tracker={"sender_id": "s", "events": events})
    assert json.loads(fit_request(big, 100_000)) == big
    without_domain = json.loads(fit_request(big, 2000))
    assert "domain" not in without_domain
    assert without_domain["tracker"]["events"] == events
    trimmed = json.loads(fit_request(big, 700))
    assert "domain" not in trimmed
    assert trimmed["tracker"]["events"] == _session(2, "new")
    with pytest.raises(ActionFailure, match="over the 100-byte limit"):
        fit_request(big, 100)


def test_the_handler_receives_the_fitted_request() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen.update(event)
        return {}

    client = client_for(handler, request_limit=500)
    client.call(request(domain={"big": "x" * 1000}))
    assert "domain" not in seen and seen["next_action"] == "action_x"
