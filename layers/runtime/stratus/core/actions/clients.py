"""Choosing the custom-action client from endpoints.yml's `action_endpoint`.

- `url:` (Rasa's default) -> `HttpActionClient`, an existing action server.
- `type: lambda` -> `LambdaActionClient` (see lambda_client.py for the keys): boto3
  (the client made on first use) or, with `local_handlers`, the local invoker.
- nothing -> the project's `actions/handler.py` run in-process, if there is one.

Bad settings are `ConfigError`s that name the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stratus.core.actions.client import ActionClient
from stratus.core.actions.http_client import DEFAULT_HTTP_TIMEOUT, HttpActionClient
from stratus.core.actions.lambda_client import LambdaActionClient
from stratus.core.actions.lambda_invoke import (
    DEFAULT_FUNCTION_TIMEOUT,
    Boto3LambdaInvoker,
    HandlerSpec,
    LambdaInvoker,
    LocalLambdaInvoker,
)
from stratus.shared.endpoints import EndpointConfig
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, unknown_key

SECTION = "action_endpoint"
LAMBDA_TYPE = "lambda"
HTTP_TYPES = frozenset({"http", "rest"})
# Keys of a Lambda action endpoint besides `type` (selective domain is the processor's).
LAMBDA_KEYS = frozenset(
    {"function", "functions", "region", "timeout", "max_attempts", "enable_selective_domain"}
)


def action_client_for(
    endpoint: EndpointConfig | None,
    *,
    actions_dir: Path | None = None,
    lambda_client: Any | None = None,
    local_handlers: Mapping[str, HandlerSpec] | None = None,
    file: str = "endpoints.yml",
) -> ActionClient | None:
    """The action client endpoints.yml asks for (None: custom actions will fail).

    `lambda_client` is a boto3 Lambda client to use instead of making one;
    `local_handlers` (function name -> `module:function` or callable) runs the
    functions in this process with `LocalLambdaInvoker` instead of invoking AWS.
    """
    kind = (endpoint.type or "").strip().lower() if endpoint else ""
    if endpoint is not None and kind == LAMBDA_TYPE:
        return _lambda_client(endpoint, lambda_client, local_handlers, file)
    if endpoint is not None and endpoint.url is not None:
        if kind and kind not in HTTP_TYPES:
            raise _error(
                file,
                "type",
                f"unknown action endpoint type '{endpoint.type}'; use 'lambda', or leave "
                "it out and give `url` for an action server.",
            )
        return _http_client(endpoint, file)
    if endpoint is not None and kind:
        if kind in HTTP_TYPES:
            raise _error(file, "url", "an HTTP action endpoint needs the action server's `url`.")
        raise _error(
            file,
            "type",
            f"unknown action endpoint type '{endpoint.type}'; use 'lambda', or leave it "
            "out and give `url` for an action server.",
        )
    if actions_dir is None:
        return None
    from stratus.agent import local_action_client  # the door's helper; imported late

    return local_action_client(actions_dir)


def _http_client(endpoint: EndpointConfig, file: str) -> HttpActionClient:
    url = endpoint.url
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _error(file, "url", f"must be an http:// or https:// URL, not {url!r}.")
    if endpoint.basic_auth is not None and not isinstance(endpoint.basic_auth, Mapping):
        raise _error(file, "basic_auth", "must be a mapping with `username` and `password`.")
    if endpoint.cafile is not None and not Path(endpoint.cafile).is_file():
        raise _error(file, "cafile", f"no such file: '{endpoint.cafile}'.")
    return HttpActionClient(
        url,
        headers=endpoint.headers,
        params=endpoint.params,
        token=str(endpoint.token) if endpoint.token is not None else None,
        token_name=endpoint.token_name,
        basic_auth=endpoint.basic_auth,
        cafile=endpoint.cafile,
        timeout=_timeout(endpoint.kwargs, DEFAULT_HTTP_TIMEOUT, file),
    )


def _lambda_client(
    endpoint: EndpointConfig,
    lambda_client: Any | None,
    local_handlers: Mapping[str, HandlerSpec] | None,
    file: str,
) -> LambdaActionClient:
    settings = endpoint.kwargs
    if endpoint.url is not None:
        raise _error(
            file, "url", "a Lambda action endpoint takes `function`/`functions`, not a url."
        )
    for key in settings:
        if key not in LAMBDA_KEYS:
            raise _error(
                file, str(key), unknown_key(str(key), LAMBDA_KEYS, "a Lambda action endpoint")
            )
    default = settings.get("function")
    if default is not None and (not isinstance(default, str) or not default.strip()):
        raise _error(file, "function", f"must be a Lambda function name, not {default!r}.")
    functions = settings.get("functions") or {}
    if not isinstance(functions, Mapping):
        raise _error(
            file,
            "functions",
            "must map action names to function names, e.g. "
            "{action_check_weather: stratus-weather-dev}.",
        )
    for action, function in functions.items():
        if not isinstance(function, str) or not function.strip():
            raise _error(file, f"functions.{action}", f"must be a function name, not {function!r}.")
    if default is None and not functions:
        raise _error(
            file,
            "function",
            "a Lambda action endpoint needs `function` (one function for every action) "
            "or `functions` (action name -> function name).",
        )
    region = settings.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise _error(file, "region", f"must be an AWS region name, not {region!r}.")
    timeout = _timeout(settings, DEFAULT_FUNCTION_TIMEOUT, file)
    max_attempts = settings.get("max_attempts", 4)
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
        raise _error(
            file, "max_attempts", f"must be a whole number of at least 1, not {max_attempts!r}."
        )
    invoker: LambdaInvoker
    if local_handlers is not None:
        invoker = LocalLambdaInvoker(local_handlers, timeout=timeout)
    else:
        invoker = Boto3LambdaInvoker(lambda_client, region=region, timeout=timeout)
    return LambdaActionClient(
        invoker, {str(k): str(v) for k, v in functions.items()}, default, max_attempts=max_attempts
    )


def _timeout(settings: Mapping[str, Any], default: float, file: str) -> float:
    value = settings.get("timeout", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _error(file, "timeout", f"must be a positive number of seconds, not {value!r}.")
    return float(value)


def _error(file: str, key: str, message: str) -> ConfigError:
    return ConfigError(Problem(message, file, None, f"{SECTION}.{key}"))
