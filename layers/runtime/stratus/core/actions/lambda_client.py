"""The Lambda action client: custom actions as AWS Lambda functions.

The payload is Rasa's action-server request (`next_action, sender_id, tracker, domain,
version`), sent with `Invoke` (`InvocationType=RequestResponse`). Which function runs
an action comes from endpoints.yml (Rasa's `action_endpoint` key)::

    action_endpoint:
      type: lambda
      function: stratus-actions-dev        # serves every action (an action executor)
      functions:                           # and/or one function per action
        action_check_weather: stratus-weather-dev
      region: us-east-1                    # optional
      timeout: 10                          # optional: seconds to wait for an answer

What the function answers keeps Rasa's meaning: `{"events", "responses"}` is the
answer; an API-Gateway-style `{"statusCode": 400, "body": ...}` rejects the action and
449 asks for the domain (as the HTTP action server's statuses do); an error
(`FunctionError` Unhandled or Handled, a timeout, a malformed answer) fails the action,
and the processor goes on without its events, as for any failed action. Throttling is
retried a few times with exponential backoff, then fails the action.

Lambda's synchronous payload limit is 6 MB. A request over `request_limit` (5.5 MiB)
is made smaller, in this order: the domain is left out (as selective domain does: an
action that needs it answers 449, and `RemoteAction` sends it again, which fails if it
is still too big); then the tracker's events are cut to the current session (from the
last `action_session_start`), which is what most actions read. A request still too big
fails the action without invoking anything.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from stratus.core.actions.client import answer_from_handler, request_json
from stratus.core.actions.lambda_invoke import LambdaInvoker, LambdaThrottled
from stratus.shared.events import JsonDict
from stratus.shared.exceptions import ActionFailure

logger = logging.getLogger(__name__)

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Room under the hard limit for what the invoke call adds around the payload.
REQUEST_LIMIT = int(5.5 * 1024 * 1024)
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_BACKOFF = 0.2


class LambdaActionClient:
    """Runs custom actions by invoking Lambda functions through a `LambdaInvoker`.

    `functions` maps action names to function names; `default_function` serves every
    other action. `max_attempts` bounds the invocations of one action while Lambda
    throttles, waiting `backoff`, then twice as long, and so on between them.
    """

    def __init__(
        self,
        invoker: LambdaInvoker,
        functions: Mapping[str, str] | None = None,
        default_function: str | None = None,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float = DEFAULT_BACKOFF,
        request_limit: int = REQUEST_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        self.invoker = invoker
        self.functions = dict(functions or {})
        self.default_function = default_function
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.request_limit = request_limit
        self._sleep = sleep

    def function_for(self, action_name: str) -> str:
        """The function that runs `action_name`; ActionFailure when none is configured."""
        function = self.functions.get(action_name, self.default_function)
        if function is None:
            raise ActionFailure(
                f"No Lambda function is configured for action '{action_name}' "
                "(endpoints.yml: action_endpoint.functions or action_endpoint.function)."
            )
        return function

    def call(self, request: JsonDict) -> JsonDict:
        name = str(request.get("next_action"))
        function = self.function_for(name)
        payload = fit_request(request, self.request_limit)
        status, function_error, body = self._invoke(name, function, payload)
        if function_error:
            raise ActionFailure(
                f"Action '{name}' failed in Lambda function '{function}' "
                f"({function_error}): {_error_summary(body)}"
            )
        if not 200 <= status < 300:
            raise ActionFailure(
                f"Action '{name}': Lambda function '{function}' answered status {status}."
            )
        try:
            answer = json.loads(body) if body else None
        except ValueError:
            raise ActionFailure(
                f"Action '{name}': Lambda function '{function}' answered malformed JSON: "
                f"{body[:200]!r}"
            ) from None
        return answer_from_handler(name, answer)

    def _invoke(self, name: str, function: str, payload: bytes) -> tuple[int, str | None, bytes]:
        delay = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self.invoker.invoke(function, payload)
            except LambdaThrottled as throttled:
                if attempt == self.max_attempts:
                    raise ActionFailure(
                        f"Action '{name}': Lambda function '{function}' is still throttled "
                        f"after {attempt} attempts: {throttled}"
                    ) from throttled
                logger.warning(
                    "Action '%s': Lambda function '%s' is throttled; retrying in %.2f s.",
                    name,
                    function,
                    delay,
                )
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def fit_request(request: JsonDict, limit: int = REQUEST_LIMIT) -> bytes:
    """The request as JSON bytes within `limit`: without the domain, then with only the
    current session's events if it must (see the module docstring); ActionFailure when
    even that is too big."""
    payload = _dump(request)
    if len(payload) <= limit:
        return payload
    name = request.get("next_action")
    original = len(payload)
    smaller = dict(request)
    if "domain" in smaller:
        del smaller["domain"]
        payload = _dump(smaller)
        logger.warning(
            "Action '%s': the request is %d bytes, over Lambda's limit; the domain is left out.",
            name,
            original,
        )
        if len(payload) <= limit:
            return payload
    tracker = smaller.get("tracker")
    if isinstance(tracker, dict) and isinstance(tracker.get("events"), list):
        events = tracker["events"]
        session = current_session_events(events)
        if len(session) < len(events):
            smaller["tracker"] = {**tracker, "events": session}
            payload = _dump(smaller)
            logger.warning(
                "Action '%s': the request is still over Lambda's limit; only the current "
                "session's %d of %d events are sent.",
                name,
                len(session),
                len(events),
            )
            if len(payload) <= limit:
                return payload
    raise ActionFailure(
        f"Action '{name}': the request is {len(payload)} bytes even without the domain and "
        f"earlier sessions, over the {limit}-byte limit for a synchronous Lambda invoke."
    )


def current_session_events(events: list[Any]) -> list[Any]:
    """The events from the last `action_session_start` (or `session_started`) on."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if not isinstance(event, dict):
            continue
        if event.get("event") == "session_started":
            previous = events[index - 1] if index > 0 else None
            if (
                isinstance(previous, dict)
                and previous.get("event") == "action"
                and previous.get("name") == "action_session_start"
            ):
                return events[index - 1 :]
            return events[index:]
    return events


def _dump(request: JsonDict) -> bytes:
    return request_json(request).encode("utf-8")


def _error_summary(body: bytes) -> str:
    """`errorType: errorMessage` from Lambda's error payload, or the raw text."""
    try:
        error = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace")
    if isinstance(error, dict) and ("errorMessage" in error or "errorType" in error):
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    return json.dumps(error)[:300]
