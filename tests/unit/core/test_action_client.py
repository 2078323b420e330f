"""The in-process action client: Lambda-style handlers and Rasa's status semantics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stratus.core.actions import ActionDomainRequired, InProcessActionClient
from stratus.shared.exceptions import ActionFailure, ActionRejection

REQUEST = {
    "next_action": "action_x",
    "sender_id": "s",
    "tracker": {"events": []},
    "version": "3.6.21",
}


def call(handler: Any) -> dict[str, Any]:
    return InProcessActionClient({"action_x": handler}).call(REQUEST)


def test_plain_answer_and_api_gateway_answer() -> None:
    answer = {"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "t"}]}
    assert call(lambda e, c: answer) == answer
    wrapped = {"statusCode": 200, "body": json.dumps(answer)}
    assert call(lambda e, c: wrapped) == answer
    assert call(lambda e, c: {}) == {"events": [], "responses": []}


def test_handler_gets_a_copy_and_a_lambda_context() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["tracker"]["events"].append("mutated")
        seen["name"] = context.function_name
        return {}

    call(handler)
    assert REQUEST["tracker"] == {"events": []}
    assert seen["name"] == "action_x"


def test_status_400_rejects() -> None:
    body = json.dumps({"action_name": "action_x", "error": "no"})
    with pytest.raises(ActionRejection) as caught:
        call(lambda e, c: {"statusCode": 400, "body": body})
    assert caught.value.action_name == "action_x"


def test_raising_rejection_rejects() -> None:
    def handler(event: dict[str, Any], context: Any) -> Any:
        raise ActionRejection("action_x", "not now")

    with pytest.raises(ActionRejection):
        call(handler)


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (lambda e, c: {"statusCode": 449, "body": "{}"}, ActionDomainRequired),
        (lambda e, c: {"statusCode": 404, "body": ""}, ActionFailure),
        (lambda e, c: {"statusCode": 500, "body": "not json"}, ActionFailure),
        (lambda e, c: {"events": "nope"}, ActionFailure),
        (lambda e, c: [1, 2], ActionFailure),
        (lambda e, c: {}["missing"], ActionFailure),
    ],
)
def test_failures(handler: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call(handler)


def test_unknown_action_fails_and_default_handler_serves_all() -> None:
    with pytest.raises(ActionFailure):
        InProcessActionClient({}).call(REQUEST)
    client = InProcessActionClient(default=lambda e, c: {"responses": [{"text": e["next_action"]}]})
    assert client.call(REQUEST)["responses"] == [{"text": "action_x"}]
