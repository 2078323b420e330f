"""Choosing the action client from endpoints.yml's action_endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratus.core.actions import InProcessActionClient
from stratus.core.actions.clients import action_client_for
from stratus.core.actions.http_client import HttpActionClient
from stratus.core.actions.lambda_client import LambdaActionClient
from stratus.core.actions.lambda_invoke import Boto3LambdaInvoker, LocalLambdaInvoker
from stratus.shared.endpoints import endpoints_from_dict
from stratus.shared.exceptions import ConfigError

RESTAURANTBOT = Path(__file__).resolve().parents[3] / "examples" / "restaurantbot"


def endpoint(section: dict[str, Any]) -> Any:
    return endpoints_from_dict({"action_endpoint": section}).action


def test_url_gives_the_http_client_with_rasas_settings() -> None:
    client = action_client_for(
        endpoint(
            {
                "url": "http://localhost:5055/webhook",
                "token": "secret",
                "params": {"tenant": "a"},
                "basic_auth": {"username": "u", "password": "p"},
                "headers": {"X-Key": "k"},
                "timeout": 7,
            }
        )
    )
    assert isinstance(client, HttpActionClient)
    assert client.url == "http://localhost:5055/webhook?tenant=a&token=secret"
    assert client.headers["X-Key"] == "k"
    assert client.headers["Authorization"] == "Basic dTpw"
    assert client.timeout == 7.0


def test_type_lambda_gives_the_lambda_client() -> None:
    section = {
        "type": "lambda",
        "function": "stratus-actions-dev",
        "functions": {"action_check_weather": "stratus-weather-dev"},
        "region": "eu-west-1",
        "timeout": 10,
        "enable_selective_domain": True,
    }
    client = action_client_for(endpoint(section))
    assert isinstance(client, LambdaActionClient)
    assert isinstance(client.invoker, Boto3LambdaInvoker)
    assert client.invoker.region == "eu-west-1" and client.invoker.timeout == 10.0
    assert client.function_for("action_check_weather") == "stratus-weather-dev"
    assert client.function_for("validate_booking_form") == "stratus-actions-dev"
    local = action_client_for(
        endpoint(section), local_handlers={"stratus-actions-dev": "json:dumps"}
    )
    assert isinstance(local, LambdaActionClient)
    assert isinstance(local.invoker, LocalLambdaInvoker)
    assert local.invoker.timeout == 10.0


def test_no_endpoint_runs_the_projects_handler_in_process() -> None:
    client = action_client_for(None, actions_dir=RESTAURANTBOT / "actions")
    assert isinstance(client, InProcessActionClient)
    assert action_client_for(None) is None
    assert action_client_for(endpoint({"enable_selective_domain": True})) is None


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"type": "lambda"}, "action_endpoint.function"),
        ({"type": "lambda", "function": ""}, "action_endpoint.function"),
        ({"type": "lambda", "functions": ["a"]}, "action_endpoint.functions"),
        ({"type": "lambda", "functions": {"a": 3}}, "action_endpoint.functions.a"),
        ({"type": "lambda", "function": "f", "timeout": "soon"}, "action_endpoint.timeout"),
        ({"type": "lambda", "function": "f", "timeout": 0}, "action_endpoint.timeout"),
        ({"type": "lambda", "function": "f", "fuction": "g"}, "action_endpoint.fuction"),
        ({"type": "lambda", "function": "f", "url": "http://x"}, "action_endpoint.url"),
        ({"type": "grpc", "url": "http://x"}, "action_endpoint.type"),
        ({"type": "kafka"}, "action_endpoint.type"),
        ({"url": "localhost:5055"}, "action_endpoint.url"),
        ({"url": "http://x", "timeout": -1}, "action_endpoint.timeout"),
        ({"url": "https://x", "cafile": "/no/such/ca.pem"}, "action_endpoint.cafile"),
    ],
)
def test_bad_settings_name_the_file_and_field(section: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        action_client_for(endpoint(section), file="bot/endpoints.yml")
    problem = caught.value.problems[0]
    assert problem.file == "bot/endpoints.yml"
    assert problem.field == field


def test_an_unknown_key_suggests_the_close_one() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'function'"):
        action_client_for(endpoint({"type": "lambda", "function": "f", "fuction": "g"}))
