"""Custom-action clients: one interface that speaks the action-server JSON.

A client takes Rasa's request (`next_action, sender_id, tracker, domain, version`) and
returns the server's answer (`{"events": [...], "responses": [...]}`), or raises:
`ActionRejection` (HTTP 400), `ActionDomainRequired` (449: send again with the domain),
`ActionFailure` (404, 500, unreachable, malformed answer). The in-process client here
runs Lambda-style handlers; the Lambda client (`lambda_client.py`, over boto3 or the
local invoker of `lambda_invoke.py`) and the HTTP client (`http_client.py`) sit beside
it, and `clients.action_client_for` picks one from endpoints.yml.
"""

from __future__ import annotations

import json
import logging
import operator
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, Protocol, TypedDict

from stratus.shared.events import Event, JsonDict, compact_json
from stratus.shared.exceptions import ActionFailure, ActionRejection

logger = logging.getLogger(__name__)

# The Rasa version this assistant claims to the action server (rasa_sdk checks it).
RASA_COMPATIBLE_VERSION = "3.6.21"

Handler = Callable[[JsonDict, Any], Any]


class ActionRequest(TypedDict):
    """What the action server receives (Rasa's `_action_call_format`)."""

    next_action: str
    sender_id: str
    tracker: JsonDict  # the tracker state with every event
    domain: NotRequired[JsonDict]  # left out for some actions under selective domain
    version: str


class EventDicts(list[JsonDict]):
    """A request's tracker events: the list of their JSON dicts, which also knows the
    events, so `request_json` joins their cached JSON text instead of serializing the
    whole conversation for every action call. The dicts are read-only, as those of
    `current_state` are; a list whose items were replaced, added or removed is
    serialized item by item."""

    def __init__(self, events: Sequence[Event]) -> None:
        super().__init__(event.as_dict() for event in events)
        self.events = tuple(events)
        self._dicts = tuple(self)

    def as_json(self) -> str | None:
        """The events' JSON array; None when the list no longer holds their dicts."""
        if len(self) != len(self._dicts) or not all(map(operator.is_, self, self._dicts)):
            return None
        return "[" + ",".join(event.as_json() for event in self.events) + "]"


def request_json(request: Mapping[str, Any]) -> str:
    """The request as compact JSON text (UTF-8 kept as is); its tracker's events come
    from their cached text when they are `EventDicts`."""
    tracker = request.get("tracker")
    events = tracker.get("events") if isinstance(tracker, dict) else None
    events_json = events.as_json() if isinstance(events, EventDicts) else None
    if events_json is None:
        return compact_json(request)
    assert isinstance(tracker, dict)
    inner = ",".join(
        compact_json(key) + ":" + (events_json if key == "events" else compact_json(value))
        for key, value in tracker.items()
    )
    return (
        "{"
        + ",".join(
            compact_json(key)
            + ":"
            + ("{" + inner + "}" if key == "tracker" else compact_json(value))
            for key, value in request.items()
        )
        + "}"
    )


class ActionResponse(TypedDict):
    """What the action server answers; each response becomes a `bot` event."""

    events: list[JsonDict]
    responses: list[JsonDict]


class ActionDomainRequired(ActionFailure):
    """The action server needs the domain for this action (rasa_sdk's HTTP 449)."""


class ActionClient(Protocol):
    """Runs one custom action on an action server (or in this process)."""

    def call(self, request: JsonDict) -> JsonDict:
        """The server's `{"events", "responses"}` answer to `request`."""
        ...


def check_action_response(action_name: str, answer: Any) -> JsonDict:
    """The answer if it has the action server's shape; raises ActionFailure otherwise."""
    if not isinstance(answer, dict):
        raise ActionFailure(
            f"Action '{action_name}' answered {type(answer).__name__}, not an object."
        )
    events = answer.get("events") or []
    responses = answer.get("responses") or []
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and isinstance(e.get("event"), str) for e in events
    ):
        raise ActionFailure(f"Action '{action_name}' answered events that are not event objects.")
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        raise ActionFailure(f"Action '{action_name}' answered responses that are not objects.")
    return {"events": events, "responses": responses}


def answer_from_status(action_name: str, status: int, body: Any) -> JsonDict:
    """Maps an HTTP-style status and JSON body to an answer or the matching error, with
    Rasa's meaning for each status."""
    if 200 <= status < 300:
        return check_action_response(action_name, body)
    detail = body if isinstance(body, dict) else {}
    if status == 400:
        raise ActionRejection(
            str(detail.get("action_name") or action_name), str(detail.get("error") or "")
        )
    if status == 449:
        raise ActionDomainRequired(
            f"Action '{action_name}' needs the domain: {detail.get('error')}"
        )
    if status == 404:
        raise ActionFailure(f"The action server does not know action '{action_name}'.")
    raise ActionFailure(f"Action '{action_name}' failed with status {status}: {body!r}")


@dataclass
class LambdaContext:
    """The parts of AWS Lambda's context object handlers commonly read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timeout_seconds: float = 30.0
    started: float = field(default_factory=time.monotonic)
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:in-process"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class InProcessActionClient:
    """Runs actions as Lambda-style handlers in this process.

    A handler is `handler(event, context)`: `event` is the action-server request dict
    and the result is the `{"events", "responses"}` dict, or an API-Gateway-style
    `{"statusCode", "body"}` whose status carries Rasa's meaning (400 rejects, 449 asks
    for the domain). `handlers` maps action names to handlers; `default` serves every
    other action (like one Lambda running an action executor). A handler that raises
    fails the action, except with `ActionRejection`, which rejects it.
    """

    def __init__(
        self, handlers: Mapping[str, Handler] | None = None, default: Handler | None = None
    ) -> None:
        self.handlers = dict(handlers or {})
        self.default = default

    def call(self, request: JsonDict) -> JsonDict:
        name = str(request.get("next_action"))
        handler = self.handlers.get(name, self.default)
        if handler is None:
            raise ActionFailure(f"No in-process handler for action '{name}'.")
        # A JSON round trip gives the handler what a remote server would get, and keeps
        # it from changing the processor's own objects.
        event = json.loads(request_json(request))
        try:
            result = handler(event, LambdaContext(function_name=name))
        except (ActionRejection, ActionFailure):
            raise
        except Exception as error:
            raise ActionFailure(
                f"Action '{name}' raised {type(error).__name__}: {error}"
            ) from error
        return answer_from_handler(name, json.loads(json.dumps(result)))


def answer_from_handler(action_name: str, result: Any) -> JsonDict:
    """What a Lambda-style handler returned, as an answer or the matching error: either
    the answer itself or an API-Gateway-style `{"statusCode", "body"}` (Rasa's meaning
    for the status). Shared by the in-process and Lambda clients, so both agree."""
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body")
        if isinstance(body, str):
            try:
                body = json.loads(body) if body else {}
            except ValueError:
                raise ActionFailure(
                    f"Action '{action_name}' answered a body that is not JSON."
                ) from None
        try:
            status = int(result["statusCode"])
        except (TypeError, ValueError):
            raise ActionFailure(
                f"Action '{action_name}' answered a statusCode that is not a number: "
                f"{result['statusCode']!r}."
            ) from None
        return answer_from_status(action_name, status, body)
    return check_action_response(action_name, result)
