"""Invoking a Lambda function: over boto3, or a handler in this process as Lambda would.

`LambdaActionClient` speaks to a `LambdaInvoker`, so one client code path serves AWS
and local runs. An invoker answers as Lambda's synchronous `Invoke` does: the status
code, the `FunctionError` header (`"Unhandled"` when the handler raised or timed out)
and the payload bytes. Errors of the invoke call itself (no such function, throttling,
the network) are raised: `LambdaThrottled` for `TooManyRequestsException`, which the
client retries, and `ActionFailure` for the rest.
"""

from __future__ import annotations

import importlib
import json
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from stratus.core.actions.client import Handler, LambdaContext
from stratus.shared.exceptions import ActionFailure

# What `errorType` Lambda's Python runtime reports in each case.
TIMEOUT_ERROR_TYPE = "Sandbox.Timedout"
IMPORT_ERROR_TYPE = "Runtime.ImportModuleError"
MARSHAL_ERROR_TYPE = "Runtime.MarshalError"

DEFAULT_FUNCTION_TIMEOUT = 30.0


class InvokeResult(NamedTuple):
    """Lambda's answer to a synchronous invoke."""

    status: int
    function_error: str | None
    payload: bytes


class LambdaThrottled(ActionFailure):
    """Lambda refused the invocation (`TooManyRequestsException`): worth retrying."""


class LambdaInvoker(Protocol):
    """Invokes a function synchronously (`InvocationType=RequestResponse`)."""

    def invoke(self, function_name: str, payload: bytes) -> InvokeResult:
        """Lambda's answer; raises LambdaThrottled or ActionFailure when the invoke
        call itself fails."""
        ...


def lambda_error(error_type: str, message: str, stack: list[str] | None = None) -> bytes:
    """The payload Lambda's Python runtime sends for an unhandled error."""
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}
    ).encode("utf-8")


HandlerSpec = str | Handler


def resolve_handler(spec: HandlerSpec) -> Handler:
    """A handler from `module:function` (or Lambda's `module.function`) or a callable."""
    if callable(spec):
        return spec
    module_name, sep, attribute = spec.partition(":")
    if not sep:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"'{spec}' is not a handler name of the form 'module:function'.")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AttributeError(f"Handler '{attribute}' missing on module '{module_name}'")
    return handler


class LocalLambdaInvoker:
    """Runs Lambda handlers in this process the way the Lambda runtime calls them.

    The event and the answer make a JSON round trip; the handler gets a context object
    and runs in a worker thread, so the function timeout is enforced: past it the
    invoke answers `Task timed out after X seconds` (the thread cannot be killed and
    finishes in the background, its answer ignored). Errors come back in Lambda's
    shape: `FunctionError: Unhandled` and `{"errorMessage", "errorType",
    "stackTrace"}`. `handlers` maps function names to handlers; `default` serves
    every other name. `reserved_concurrency` makes invocations beyond that many at
    once fail with `LambdaThrottled`, as Lambda's reserved concurrency does.
    """

    def __init__(
        self,
        handlers: Mapping[str, HandlerSpec] | None = None,
        *,
        default: HandlerSpec | None = None,
        timeout: float = DEFAULT_FUNCTION_TIMEOUT,
        reserved_concurrency: int | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.specs = dict(handlers or {})
        self.default = default
        self.timeout = timeout
        self._resolved: dict[str, Handler] = {}
        self._slots = (
            threading.BoundedSemaphore(reserved_concurrency)
            if reserved_concurrency is not None
            else None
        )

    def invoke(self, function_name: str, payload: bytes) -> InvokeResult:
        spec = self.specs.get(function_name, self.default)
        if spec is None:
            raise ActionFailure(f"Function not found: {function_name} (no local handler).")
        if self._slots is not None and not self._slots.acquire(blocking=False):
            raise LambdaThrottled(f"Rate exceeded: function '{function_name}' is throttled.")
        try:
            return self._invoke(function_name, spec, payload)
        finally:
            if self._slots is not None:
                self._slots.release()

    def _invoke(self, function_name: str, spec: HandlerSpec, payload: bytes) -> InvokeResult:
        try:
            event = json.loads(payload)
        except ValueError as error:
            raise ActionFailure(
                f"Could not parse request body into json: {error}"
            ) from None  # Lambda's InvalidRequestContentException
        try:
            handler = self._handler(function_name, spec)
        except Exception as error:
            message = f"Unable to import module '{spec}': {error}"
            return InvokeResult(200, "Unhandled", lambda_error(IMPORT_ERROR_TYPE, message))
        context = LambdaContext(
            function_name=function_name,
            timeout_seconds=self.timeout,
            invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{function_name}",
        )
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = handler(event, context)
            except BaseException as error:  # the runtime reports whatever the handler raised
                outcome["error"] = error

        worker = threading.Thread(target=run, name=f"lambda-{function_name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            message = f"Task timed out after {self.timeout:.2f} seconds"
            return InvokeResult(200, "Unhandled", lambda_error(TIMEOUT_ERROR_TYPE, message))
        if "error" in outcome:
            raised: BaseException = outcome["error"]
            stack = traceback.format_tb(raised.__traceback__)
            return InvokeResult(
                200, "Unhandled", lambda_error(type(raised).__name__, str(raised), stack)
            )
        try:
            answer = json.dumps(outcome.get("result")).encode("utf-8")
        except (TypeError, ValueError) as error:
            message = f"Unable to marshal response: {error}"
            return InvokeResult(200, "Unhandled", lambda_error(MARSHAL_ERROR_TYPE, message))
        return InvokeResult(200, None, answer)

    def _handler(self, function_name: str, spec: HandlerSpec) -> Handler:
        # Imported once, like a warm container's module.
        if function_name not in self._resolved:
            self._resolved[function_name] = resolve_handler(spec)
        return self._resolved[function_name]


class Boto3LambdaInvoker:
    """Invokes deployed functions with boto3's Lambda client.

    The client is made on first use (a door that never calls a custom action never
    pays for it) unless one is given; botocore's own retries are off, since the action
    client retries throttling itself with a bound it knows.
    """

    def __init__(
        self,
        client: Any | None = None,
        *,
        region: str | None = None,
        timeout: float = DEFAULT_FUNCTION_TIMEOUT,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self._client = client
        self.region = region
        self.timeout = timeout
        self._factory = client_factory
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = (self._factory or self._new_client)()
            return self._client

    def _new_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            read_timeout=self.timeout,
            connect_timeout=min(self.timeout, 10.0),
            retries={"total_max_attempts": 1},
        )
        return boto3.client("lambda", region_name=self.region, config=config)

    def invoke(self, function_name: str, payload: bytes) -> InvokeResult:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.invoke(
                FunctionName=function_name, InvocationType="RequestResponse", Payload=payload
            )
            body = response["Payload"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "TooManyRequestsException":
                raise LambdaThrottled(
                    f"Lambda function '{function_name}' is throttled: {error}"
                ) from error
            raise ActionFailure(
                f"Invoking Lambda function '{function_name}' failed: {error}"
            ) from error
        except BotoCoreError as error:  # timeouts and connection errors
            raise ActionFailure(
                f"Invoking Lambda function '{function_name}' failed: {error}"
            ) from error
        return InvokeResult(
            int(response.get("StatusCode", 200)), response.get("FunctionError"), body
        )
