"""Unmodified rasa_sdk actions in an action Lambda built with stratus.sdk.

The function runs in the SDK's own venv (rasa_sdk 3.6 on Python 3.10, and the current
rasa_sdk), in a subprocess with only `layers/runtime` and the bot's actions on its path,
as a Lambda runtime would hold it: each invocation is a JSON event in and a JSON answer
(or Lambda's error payload) out. The processor talks to it through the Lambda client.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sdk_servers import BOT, REPO, SDK_VENVS, book_a_table, sdk_python

from stratus.core.actions.lambda_client import LambdaActionClient
from stratus.core.actions.lambda_invoke import InvokeResult
from stratus.core.nlg import TemplatedNaturalLanguageGenerator
from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.stores import SQLiteTrackerStore

pytestmark = pytest.mark.slow

# The function's runtime loop: one JSON event per line in, one result per line out.
RUNTIME_LOOP = """
import json, sys, traceback
from stratus.sdk import lambda_handler_from_package
handler = lambda_handler_from_package("bot_actions")
print("READY", flush=True)
for line in sys.stdin:
    event = json.loads(line)
    try:
        result = {"error": None, "payload": json.dumps(handler(event, None))}
    except Exception as e:
        result = {"error": "Unhandled", "payload": json.dumps({
            "errorMessage": str(e), "errorType": type(e).__name__,
            "stackTrace": traceback.format_tb(e.__traceback__)})}
    print("RESULT " + json.dumps(result), flush=True)
"""


class SubprocessLambdaInvoker:
    """A LambdaInvoker whose function runs in another interpreter (the SDK's venv)."""

    def __init__(self, python: Path, sdk: str) -> None:
        self.sdk = sdk
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO / "layers" / "runtime"), str(BOT)]),
        }
        self.process = subprocess.Popen(
            [str(python), "-c", RUNTIME_LOOP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lock = threading.Lock()
        assert self._line() == "READY"

    def _line(self) -> str:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the function's runtime exited")
            if line.startswith(("READY", "RESULT ")):
                return line.rstrip("\n")

    def invoke(self, function_name: str, payload: bytes) -> InvokeResult:
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write(json.dumps(json.loads(payload)) + "\n")
            self.process.stdin.flush()
            result = json.loads(self._line().removeprefix("RESULT "))
        return InvokeResult(200, result["error"], result["payload"].encode())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture(scope="module", params=sorted(SDK_VENVS))
def function(request: pytest.FixtureRequest) -> Iterator[SubprocessLambdaInvoker]:
    invoker = SubprocessLambdaInvoker(sdk_python(request.param), request.param)
    try:
        yield invoker
    finally:
        invoker.close()


def test_a_form_validated_by_rasa_sdk_in_a_lambda(
    trained: tuple[Domain, PolicyEnsemble],
    function: SubprocessLambdaInvoker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="stratus.core.actions.remote")
    domain, ensemble = trained
    processor = MessageProcessor(
        domain,
        ensemble,
        SQLiteTrackerStore(tmp_path / "trackers.db"),
        action_client=LambdaActionClient(function, default_function="bot-actions"),
        selective_domain=True,
        nlg=TemplatedNaturalLanguageGenerator.for_domain(domain, random.Random(5)),
    )
    book_a_table(
        lambda text: [
            str(m.get("text"))
            for m in processor.handle_message(UserMessage(text, sender_id="d")).messages
        ]
    )
    # stratus.sdk answers 449 for rasa_sdk versions that need the domain
    retried = [r for r in caplog.records if "asked for the domain" in r.getMessage()]
    assert len(retried) == (1 if function.sdk == "rasa_sdk current" else 0)


def test_errors_come_back_as_the_action_server_answers_them(
    function: SubprocessLambdaInvoker,
) -> None:
    client = LambdaActionClient(function, default_function="bot-actions")
    request = {
        "next_action": "action_submit_booking",
        "sender_id": "s",
        "tracker": {
            "sender_id": "s",
            "slots": {},
            "latest_message": {},
            "events": [],
            "active_loop": {},
        },
        "domain": {"forms": {"restaurant_form": {"required_slots": ["cuisine"]}}},
        "version": "3.6.21",
    }
    with pytest.raises(ActionRejection, match="nothing to book"):
        client.call(request)
    with pytest.raises(ActionFailure, match="does not know action 'action_nope'"):
        client.call({**request, "next_action": "action_nope"})
    # an unset number of people makes the action raise: Lambda's Unhandled error
    tracker = {**request["tracker"], "slots": {"cuisine": "greek", "num_people": None}}
    with pytest.raises(ActionFailure, match=r"Unhandled.*TypeError"):
        client.call({**request, "tracker": tracker})
