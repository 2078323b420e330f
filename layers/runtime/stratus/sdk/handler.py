"""One Lambda handler for native actions and unmodified rasa_sdk actions.

    from stratus.sdk import lambda_handler_from_package
    handler = lambda_handler_from_package("actions")

The event is the action-server request (a direct invoke), or an API Gateway / Function
URL event whose body is that request. The answer follows the HTTP action server:
`{"events", "responses"}` on success; `{"statusCode": 400, "body":
{"error", "action_name"}}` when an action rejects (`ActionExecutionRejection`), 404 for
an unknown action, 449 when an action needs the domain and the request has none (what
current rasa_sdk answers; the assistant sends it again with the domain). Any other
error is raised on a direct invoke, so Lambda reports it (`FunctionError`) and counts it,
and answers 500 on an HTTP event, as the action server does.

rasa_sdk `Action` and `FormValidationAction` classes run through rasa_sdk's own
`ActionExecutor` (its `run` is a coroutine in 3.x: it runs in a fresh event loop), so
they behave exactly as under `rasa run actions`. rasa_sdk is imported only when the
actions themselves use it; this package needs nothing but the standard library.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import logging
import pkgutil
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from stratus.sdk.actions import ActionExecutionRejection, NativeAction, native_action_of
from stratus.sdk.dispatcher import Dispatcher
from stratus.sdk.tracker import JsonDict, Tracker

logger = logging.getLogger(__name__)

MISSING_DOMAIN_MESSAGE = (
    "Missing domain context, assistant will retry the request and include the domain "
    "in the request payload."
)


class ActionHandler:
    """The Lambda handler: `handler(event, context)` runs the requested action."""

    def __init__(self, native: Mapping[str, NativeAction], executor: Any | None = None) -> None:
        self.native = dict(native)
        self.executor = executor
        clash = set(self.native) & set(self.sdk_action_names)
        if clash:
            raise ValueError(f"actions defined twice (native and rasa_sdk): {sorted(clash)}")

    @property
    def sdk_action_names(self) -> list[str]:
        return sorted(getattr(self.executor, "actions", {}) or {}) if self.executor else []

    @property
    def action_names(self) -> list[str]:
        return sorted([*self.native, *self.sdk_action_names])

    def __call__(self, event: Any, context: Any = None) -> Any:
        http = _is_http_event(event)
        try:
            request = _request_of(event) if http else event
        except ValueError as error:
            return _reply(http, 400, {"error": str(error)})
        if not isinstance(request, Mapping) or not isinstance(request.get("next_action"), str):
            return _reply(
                http, 400, {"error": "Invalid body request: `next_action` must name an action"}
            )
        name = str(request["next_action"])
        try:
            return _reply(http, 200, self.run(request))
        except _Status as status:
            return _reply(http, status.code, {"error": status.message, "action_name": name})
        except Exception as error:
            if not http:
                raise
            logger.exception("Action '%s' failed.", name)
            return _reply(http, 500, {"error": str(error), "action_name": name})

    def run(self, request: Mapping[str, Any]) -> JsonDict:
        """The answer to one action-server request; raises `_Status` for 400/404/449."""
        name = str(request["next_action"])
        native = self.native.get(name)
        if native is not None:
            return _run_native(native, request)
        if self.executor is not None and name in (self.executor.actions or {}):
            return _run_sdk(self.executor, dict(request), name)
        raise _Status(404, f"No registered action found for name '{name}'.")


class _Status(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _run_native(action: NativeAction, request: Mapping[str, Any]) -> JsonDict:
    if action.needs_domain and not isinstance(request.get("domain"), Mapping):
        raise _Status(449, MISSING_DOMAIN_MESSAGE)
    try:
        tracker = Tracker.from_request(request)
    except ValueError as error:
        raise _Status(400, str(error)) from None
    dispatcher = Dispatcher()
    try:
        events = action.run(tracker, dispatcher)
    except ActionExecutionRejection as rejection:
        raise _Status(400, rejection.message) from None
    valid = [e for e in events if isinstance(e, dict) and e.get("event")]
    if len(valid) < len(events):
        logger.error("Action '%s' returned events without an `event` key; ignored.", action.name)
    return {"events": valid, "responses": dispatcher.messages}


def _run_sdk(executor: Any, request: JsonDict, name: str) -> JsonDict:
    interfaces = importlib.import_module("rasa_sdk.interfaces")
    missing_domain = getattr(interfaces, "ActionMissingDomainException", None)
    try:
        result = asyncio.run(executor.run(request))
    except interfaces.ActionExecutionRejection as rejection:
        raise _Status(400, str(rejection.message)) from None
    except interfaces.ActionNotFoundException as not_found:
        raise _Status(404, str(not_found.message)) from None
    except Exception as error:
        if missing_domain is not None and isinstance(error, missing_domain):
            raise _Status(449, str(error.message)) from None
        raise
    if result is None:
        return {"events": [], "responses": []}
    if hasattr(result, "model_dump"):  # rasa_sdk 3.8+ answers a pydantic model
        result = result.model_dump()
    return {
        "events": list(result.get("events") or []),
        "responses": list(result.get("responses") or []),
    }


def _is_http_event(event: Any) -> bool:
    return (
        isinstance(event, Mapping)
        and "body" in event
        and ("requestContext" in event or "httpMethod" in event or "routeKey" in event)
    )


def _request_of(event: Mapping[str, Any]) -> Any:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    try:
        return json.loads(body)
    except ValueError:
        raise ValueError("Invalid body request: the body is not JSON") from None


def _reply(http: bool, status: int, body: Any) -> Any:
    if http:
        return {
            "statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body),
        }
    if status == 200:
        return body
    return {"statusCode": status, "body": json.dumps(body)}


# -- building handlers -------------------------------------------------------------------


def lambda_handler(actions: Iterable[Any]) -> ActionHandler:
    """A handler for these actions: `@action` functions and rasa_sdk `Action` classes or
    instances (`FormValidationAction` included)."""
    native: dict[str, NativeAction] = {}
    sdk_actions: list[Any] = []
    for candidate in actions:
        found = native_action_of(candidate)
        if found is not None:
            _add_native(native, found)
        elif _is_sdk_action(candidate):
            sdk_actions.append(candidate)
        else:
            raise TypeError(f"{candidate!r} is neither an @action function nor a rasa_sdk Action")
    executor = None
    if sdk_actions:
        executor = _sdk_executor()
        for sdk_action in sdk_actions:
            executor.register_action(sdk_action)
    return ActionHandler(native, executor)


def lambda_handler_from_package(package: str | ModuleType) -> ActionHandler:
    """A handler for every action in a package (or module) and its submodules: the
    `@action` functions, and, as `rasa run actions --actions <package>` finds them, the
    rasa_sdk `Action` subclasses."""
    modules = _import_all(package)
    native: dict[str, NativeAction] = {}
    for module in modules:
        for value in list(vars(module).values()):
            found = native_action_of(value)
            if found is not None and native.get(found.name) is not found:
                _add_native(native, found)
    executor = None
    if "rasa_sdk" in sys.modules:  # the package uses rasa_sdk
        executor = _sdk_executor()
        executor.register_package(modules[0])
    return ActionHandler(native, executor)


def _add_native(native: dict[str, NativeAction], found: NativeAction) -> None:
    if found.name in native:
        raise ValueError(f"two @action functions are named '{found.name}'")
    native[found.name] = found


def _import_all(package: str | ModuleType) -> list[ModuleType]:
    root = importlib.import_module(package) if isinstance(package, str) else package
    modules = [root]
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), root.__name__ + "."):
        modules.append(importlib.import_module(info.name))
    return modules


def _is_sdk_action(candidate: Any) -> bool:
    sdk = sys.modules.get("rasa_sdk")
    base = getattr(sdk, "Action", None) if sdk else None
    if base is None:
        return False
    return isinstance(candidate, base) or (
        isinstance(candidate, type) and issubclass(candidate, base)
    )


def _sdk_executor() -> Any:
    executor_module = importlib.import_module("rasa_sdk.executor")
    return executor_module.ActionExecutor()
