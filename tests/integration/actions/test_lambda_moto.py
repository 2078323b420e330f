"""The Lambda action client's boto3 path against moto server's Lambda.

Without docker, moto's Lambda does not run code: an invoke answers the next canned
response queued at `/moto-api/static/lambda-simple/response` (or echoes the request),
and answers `FunctionError: Unhandled` when the function's answer is over Lambda's
6 MB response limit. That is enough to exercise the real invoke request, its headers
and payload streaming, and the client's mapping of each answer.
"""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from stratus.core.actions.clients import action_client_for
from stratus.core.actions.lambda_client import LambdaActionClient
from stratus.shared.endpoints import endpoints_from_dict
from stratus.shared.exceptions import ActionFailure, ActionRejection

REGION = "us-east-1"


def _post(url: str, body: Any) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


@pytest.fixture(scope="module")
def lambda_endpoint(moto_endpoint: str) -> Iterator[str]:
    _post(f"{moto_endpoint}/moto-api/config", {"lambda": {"use_docker": False}})
    yield moto_endpoint


@pytest.fixture
def function(lambda_endpoint: str) -> str:
    """A deployed action function (its code never runs on moto)."""
    iam = boto3.client("iam", endpoint_url=lambda_endpoint, region_name=REGION)
    name = f"stratus-actions-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    lambda_client(lambda_endpoint).create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return name


def lambda_client(endpoint: str) -> Any:
    return boto3.client("lambda", endpoint_url=endpoint, region_name=REGION)


def queue(endpoint: str, *answers: str) -> None:
    _post(
        f"{endpoint}/moto-api/static/lambda-simple/response",
        {"results": list(answers), "region": REGION},
    )


def client_for(endpoint: str, function: str) -> LambdaActionClient:
    section = {"type": "lambda", "function": function, "region": REGION, "timeout": 10}
    client = action_client_for(
        endpoints_from_dict({"action_endpoint": section}).action,
        lambda_client=lambda_client(endpoint),
    )
    assert isinstance(client, LambdaActionClient)
    return client


REQUEST = {
    "next_action": "action_check_weather",
    "sender_id": "s",
    "tracker": {"sender_id": "s", "events": []},
    "version": "3.6.21",
}


def test_a_canned_answer_comes_back_as_the_actions_answer(
    lambda_endpoint: str, function: str
) -> None:
    answer = {
        "events": [{"event": "slot", "name": "forecast", "value": "sunny"}],
        "responses": [{"text": "Sunny!"}],
    }
    queue(lambda_endpoint, json.dumps(answer))
    assert client_for(lambda_endpoint, function).call(REQUEST) == answer


def test_an_api_gateway_style_rejection(lambda_endpoint: str, function: str) -> None:
    body = json.dumps({"error": "not now", "action_name": "action_check_weather"})
    queue(lambda_endpoint, json.dumps({"statusCode": 400, "body": body}))
    with pytest.raises(ActionRejection, match="not now"):
        client_for(lambda_endpoint, function).call(REQUEST)


def test_function_error_fails_the_action(lambda_endpoint: str, function: str) -> None:
    # moto answers FunctionError Unhandled for an answer over Lambda's response limit
    queue(lambda_endpoint, json.dumps({"responses": [{"text": "x" * 6_100_000}]}))
    with pytest.raises(ActionFailure, match=r"\(Unhandled\): Function.ResponseSizeTooLarge"):
        client_for(lambda_endpoint, function).call(REQUEST)


def test_malformed_json_fails_the_action(lambda_endpoint: str, function: str) -> None:
    queue(lambda_endpoint, "Simple Lambda happy path OK")
    with pytest.raises(ActionFailure, match="malformed JSON"):
        client_for(lambda_endpoint, function).call(REQUEST)
