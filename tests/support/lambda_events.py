"""API Gateway events for the Lambda doors, made from `sam local generate-event`'s
samples in infra/events (HTTP API v2 and REST API v1), and a Lambda context."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "infra" / "events"


class LambdaContext:
    """The attributes Powertools and Mangum read from Lambda's context object."""

    function_name = "stratus-e2e"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:stratus-e2e"

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


def http_api_event(method: str, path: str, body: Any = None, **options: Any) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event, from `sam local generate-event`'s sample."""
    event = copy.deepcopy(json.loads((EVENTS / "http-api-v2.json").read_text()))
    raw = (
        body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    )
    headers = {"content-type": "application/json", **options.get("headers", {})}
    query = options.get("query", {})
    event.update(
        rawPath=path,
        rawQueryString="&".join(f"{k}={v}" for k, v in query.items()),
        queryStringParameters=query or None,
        headers=headers,
        cookies=[],
        body=base64.b64encode(raw).decode(),
        isBase64Encoded=True,
        routeKey="$default",
    )
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["routeKey"] = "$default"
    return event


def rest_api_event(method: str, path: str, body: Any = None, **options: Any) -> dict[str, Any]:
    """An API Gateway REST API (v1) event, from `sam local generate-event`'s sample."""
    event = copy.deepcopy(json.loads((EVENTS / "rest-api-v1.json").read_text()))
    raw = json.dumps(body) if body is not None else None
    headers = {"Content-Type": "application/json", **options.get("headers", {})}
    event.update(
        path=path,
        resource=path,
        httpMethod=method,
        headers=headers,
        multiValueHeaders={k: [v] for k, v in headers.items()},
        queryStringParameters=options.get("query"),
        multiValueQueryStringParameters=None,
        pathParameters=None,
        body=raw,
        isBase64Encoded=False,
    )
    event["requestContext"].update(httpMethod=method, path=path, resourcePath=path)
    return event


def json_body(answer: dict[str, Any]) -> Any:
    body = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)
