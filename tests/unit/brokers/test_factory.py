"""endpoints.yml `event_broker:` -> the broker; bad settings name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from stratus.brokers import (
    CompositeEventBroker,
    EventBridgeEventBroker,
    FileDeadLetterSink,
    FileEventBroker,
    KinesisEventBroker,
    SqsDeadLetterSink,
    broker_for,
)
from stratus.shared.endpoints import EndpointConfig, endpoints_from_dict
from stratus.shared.exceptions import ConfigError


@pytest.fixture
def session() -> Any:
    # Making clients needs no network and no real credentials.
    return boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )


def section(data: dict[str, Any]) -> EndpointConfig | None:
    return endpoints_from_dict({"event_broker": data}).event_broker


def test_no_section_means_the_default_file_or_nothing(tmp_path: Path) -> None:
    assert broker_for(None) is None
    broker = broker_for(None, default_file=tmp_path / "events.jsonl")
    assert isinstance(broker, FileEventBroker) and broker.path == tmp_path / "events.jsonl"


def test_rasa_style_sections(session: Any, tmp_path: Path) -> None:
    kinesis = broker_for(
        section(
            {"type": "kinesis", "stream_name": "s", "region": "eu-west-1", "retry_attempts": 2}
        ),
        session=session,
    )
    assert isinstance(kinesis, KinesisEventBroker)
    assert kinesis.stream_name == "s" and kinesis.retry.attempts == 2
    assert kinesis.client.meta.region_name == "eu-west-1"

    bridge = broker_for(
        section(
            {
                "type": "eventbridge",
                "event_bus_name": "bus",
                "dead_letter_file": str(tmp_path / "d"),
            }
        ),
        session=session,
    )
    assert isinstance(bridge, EventBridgeEventBroker)
    assert bridge.source == "stratus" and isinstance(bridge.dead_letter, FileDeadLetterSink)

    file = broker_for(section({"type": "file", "path": str(tmp_path / "e.jsonl")}))
    assert isinstance(file, FileEventBroker) and file.path == tmp_path / "e.jsonl"


def test_aws_type_publishes_to_both_with_one_dead_letter_queue(session: Any) -> None:
    broker = broker_for(
        section(
            {
                "type": "aws",
                "stream_name": "s",
                "event_bus_name": "b",
                "source": "my.bot",
                "dead_letter_queue_url": "https://sqs.us-east-1.amazonaws.com/1/dlq",
            }
        ),
        session=session,
    )
    assert isinstance(broker, CompositeEventBroker)
    kinesis, bridge = broker.brokers
    assert isinstance(kinesis, KinesisEventBroker) and isinstance(bridge, EventBridgeEventBroker)
    assert bridge.source == "my.bot"
    assert isinstance(kinesis.dead_letter, SqsDeadLetterSink)
    assert kinesis.dead_letter is bridge.dead_letter
    only_stream = broker_for(section({"type": "aws", "stream_name": "s"}), session=session)
    assert isinstance(only_stream, KinesisEventBroker)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"type": "rabbit"}, "event_broker.type", "unknown event broker 'rabbit'"),
        ({"type": "kafka", "url": "localhost"}, "event_broker.type", "not available in Stratus"),
        ({"stream_name": "s"}, "event_broker.type", "is missing"),
        ({"type": "kinesis"}, "event_broker.stream_name", "is required"),
        ({"type": "eventbridge"}, "event_broker.event_bus_name", "is required"),
        ({"type": "aws"}, "event_broker.type", "needs `stream_name`"),
        ({"type": "kinesis", "stream_nme": "s"}, "event_broker.stream_nme", "stream_name"),
        ({"type": "kinesis", "stream_name": 5}, "event_broker.stream_name", "must be a string"),
        (
            {"type": "kinesis", "stream_name": "s", "retry_attempts": 0},
            "event_broker.retry_attempts",
            "1 to 20",
        ),
        ({"type": "file", "stream_name": "s"}, "event_broker.stream_name", "unknown key"),
        (
            {"type": "kinesis", "stream_name": "s", "url": "http://x"},
            "event_broker.url",
            "AWS_ENDPOINT_URL",
        ),
        (
            {
                "type": "kinesis",
                "stream_name": "s",
                "dead_letter_file": "a",
                "dead_letter_queue_url": "b",
            },
            "event_broker.dead_letter_file",
            "either",
        ),
    ],
)
def test_bad_settings_name_the_file_and_field(
    session: Any, data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        broker_for(section(data), session=session, file="bot/endpoints.yml")
    (problem,) = info.value.problems
    assert problem.file == "bot/endpoints.yml"
    assert problem.field == field
    assert words in problem.message
