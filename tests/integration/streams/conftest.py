"""Kinesis stream, event bus and dead-letter queue on the moto server, made from
template.yaml's own definitions (EventStream, EventBus, EventDeadLetterQueue)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stratus.local.template import read_template, resource_properties

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return read_template(TEMPLATE)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """A boto3 session whose clients (and any the code under test makes) reach moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    yield boto3.session.Session(region_name=REGION)


def _sub(value: Any, stage: str, suffix: str) -> str:
    """A name from the template (`!Sub stratus-${Stage}-events`) made unique per test."""
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else str(value or "")
    return text.replace("${Stage}", stage) + f"-{suffix}" if text else f"stratus-{suffix}"


@pytest.fixture
def event_stream(aws: boto3.session.Session, template: dict[str, Any]) -> str:
    props = resource_properties(template, "EventStream")
    name = f"events-{uuid.uuid4().hex[:10]}"
    client = aws.client("kinesis")
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "ON_DEMAND":
        client.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        client.create_stream(StreamName=name, ShardCount=int(props.get("ShardCount", 1)))
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return name


@pytest.fixture
def event_bus(aws: boto3.session.Session, template: dict[str, Any]) -> str:
    props = resource_properties(template, "EventBus")
    name = _sub(props.get("Name"), "test", uuid.uuid4().hex[:10])
    aws.client("events").create_event_bus(Name=name)
    return name


@pytest.fixture
def dead_letter_queue(aws: boto3.session.Session, template: dict[str, Any]) -> str:
    props = resource_properties(template, "EventDeadLetterQueue")
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in ("MessageRetentionPeriod", "VisibilityTimeout", "SqsManagedSseEnabled")
        if key in props
    }
    name = f"dlq-{uuid.uuid4().hex[:10]}"
    return str(aws.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
