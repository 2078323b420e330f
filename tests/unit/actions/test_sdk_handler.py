"""stratus.sdk: native actions turned into one Lambda handler with the action server's
answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stratus.sdk import (
    ActionExecutionRejection,
    Dispatcher,
    Tracker,
    action,
    lambda_handler,
    lambda_handler_from_package,
    slot_set,
)

RUNTIME = Path(__file__).resolve().parents[3] / "layers" / "runtime"


@action("action_greet_by_name")
def greet(tracker: Tracker, dispatcher: Dispatcher) -> list[dict[str, Any]]:
    name = next(tracker.get_latest_entity_values("name"), None) or tracker.get_slot("name")
    if name is None:
        raise ActionExecutionRejection("action_greet_by_name", "no name to greet")
    dispatcher.utter_message(response="utter_greet_name", name=name)
    return [slot_set("name", name)]


@action("action_count_slots", needs_domain=True)
def count_slots(tracker: Tracker, dispatcher: Dispatcher) -> None:
    dispatcher.utter_message(text=str(len((tracker.domain or {}).get("slots", {}))))


def request(action_name: str, entities: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "next_action": action_name,
        "sender_id": "s",
        "tracker": {
            "sender_id": "s",
            "slots": {"name": None},
            "latest_message": {"intent": {"name": "greet"}, "entities": entities or []},
            "events": [],
        },
        "version": "3.6.21",
        **extra,
    }


HANDLER = lambda_handler(actions=[greet, count_slots])


def test_a_native_action_answers_events_and_responses() -> None:
    answer = HANDLER(request("action_greet_by_name", [{"entity": "name", "value": "Ann"}]))
    assert answer["events"] == [{"event": "slot", "name": "name", "value": "Ann"}]
    [message] = answer["responses"]
    assert message["response"] == "utter_greet_name" and message["name"] == "Ann"


def test_errors_are_answered_as_the_http_action_server_does() -> None:
    rejected = HANDLER(request("action_greet_by_name"))
    assert rejected["statusCode"] == 400
    assert json.loads(rejected["body"]) == {
        "error": "no name to greet",
        "action_name": "action_greet_by_name",
    }
    unknown = HANDLER(request("action_nope"))
    assert unknown["statusCode"] == 404
    assert json.loads(unknown["body"])["action_name"] == "action_nope"
    assert HANDLER(request("action_count_slots"))["statusCode"] == 449
    answer = HANDLER(request("action_count_slots", domain={"slots": {"a": {}, "b": {}}}))
    assert answer["responses"][0]["text"] == "2"
    assert HANDLER({"tracker": {}})["statusCode"] == 400


def test_an_http_event_gets_an_http_answer() -> None:
    event = {"requestContext": {}, "body": json.dumps(request("action_nope"))}
    assert HANDLER(event)["statusCode"] == 404
    event["body"] = json.dumps(request("action_greet_by_name", [{"entity": "name", "value": "Bo"}]))
    ok = HANDLER(event)
    assert ok["statusCode"] == 200
    assert json.loads(ok["body"])["events"][0]["value"] == "Bo"
    assert HANDLER({"httpMethod": "POST", "body": "{oops"})["statusCode"] == 400


def test_bad_action_lists_are_refused() -> None:
    with pytest.raises(TypeError):
        lambda_handler(actions=[print])
    with pytest.raises(ValueError, match="two @action functions"):
        lambda_handler(actions=[greet, action("action_greet_by_name")(count_slots)])


def test_handler_from_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "my_actions"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "weather.py").write_text(
        "from stratus.sdk import action, slot_set\n"
        "@action('action_weather')\n"
        "def weather(tracker, dispatcher):\n"
        "    return [slot_set('forecast', 'sunny')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    handler = lambda_handler_from_package("my_actions")
    assert handler.action_names == ["action_weather"]
    assert handler(request("action_weather"))["events"][0]["value"] == "sunny"


def test_the_sdk_imports_nothing_but_the_standard_library() -> None:
    code = (
        "import sys, stratus.sdk\n"
        "heavy = {'numpy', 'onnxruntime', 'boto3', 'yaml', 'pydantic', 'rasa_sdk'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "print(sorted(m for m in sys.modules if m.startswith('stratus.') "
        "and not m.startswith('stratus.sdk')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(RUNTIME)!r})\n" + code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[:2] == ["[]", "[]"]
