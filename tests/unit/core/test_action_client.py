"""The in-process action client: Lambda-style handlers and Rasa's status semantics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stratus.core.actions import ActionDomainRequired, InProcessActionClient
from stratus.core.actions.client import request_json
from stratus.core.actions.remote import action_request
from stratus.shared.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.shared.tracker import DialogueStateTracker

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


def test_a_request_from_a_tracker_serializes_as_its_dict_does() -> None:
    """The request joins each event's cached JSON; it must say what serializing the
    request's dict says, also after the tracker grows or the event list is changed."""
    tracker = DialogueStateTracker("s", None)
    tracker.update(ActionExecuted(action_name="action_listen"))
    tracker.update(
        UserUttered(
            text='h\u00e9llo \U0001f44b "quoted"',
            parse_data={
                "intent": {"name": "greet", "confidence": 0.1 + 0.2},
                "intent_ranking": [{"name": "greet", "confidence": 1e-300}],
            },
            metadata={"events": [], "rtl": "\u05e9\u05dc\u05d5\u05dd"},
        )
    )
    tracker.update(SlotSet("cities", ["Z\u00fcrich", None, 3]))
    tracker.update(BotUttered(text="hi", data={"buttons": [{"title": "a", "payload": "/a"}]}))

    def same_as_the_dict(request: dict[str, Any]) -> None:
        text = request_json(request)
        assert json.loads(text) == json.loads(json.dumps(request))
        assert list(json.loads(text)) == list(request)  # the keys in Rasa's order

    request = action_request("action_x", tracker, None, include_domain=False)  # type: ignore[arg-type]
    same_as_the_dict(request)
    assert [e["event"] for e in request["tracker"]["events"]] == ["action", "user", "slot", "bot"]
    tracker.update(SlotSet("cities", []))
    grown = action_request("action_x", tracker, None, include_domain=False)  # type: ignore[arg-type]
    same_as_the_dict(grown)
    assert json.loads(request_json(grown))["tracker"]["events"][-1]["value"] == []
    grown["tracker"]["events"][0] = {"event": "restart", "timestamp": 2.0}
    same_as_the_dict(grown)
    grown["tracker"]["events"].append({"event": "restart", "timestamp": 1.0})
    same_as_the_dict(grown)
