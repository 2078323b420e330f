"""The broker endpoints.yml asks for (`event_broker:`), built once at the door.

    event_broker:            # Rasa's keys where Rasa has the broker
      type: kinesis          # kinesis | eventbridge | aws (both) | file
      stream_name: stratus-events
      region: eu-west-1
      dead_letter_queue_url: https://sqs.eu-west-1.amazonaws.com/123/stratus-dlq

`type: eventbridge` takes `event_bus_name` and `source` (default `stratus`); `type: aws`
takes `stream_name` and/or `event_bus_name` and publishes to each; `type: file` takes
`path` (default: `default_file`). `dead_letter_queue_url` (SQS) or `dead_letter_file`
receive what cannot be delivered; `retry_attempts` bounds the tries (default 4).
Rasa's `pika`, `kafka` and `sql` brokers are not available in Stratus.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stratus.brokers.base import EventBroker, RetryPolicy
from stratus.brokers.composite import CompositeEventBroker
from stratus.brokers.dead_letter import (
    DeadLetterSink,
    FileDeadLetterSink,
    LogDeadLetterSink,
    SqsDeadLetterSink,
)
from stratus.brokers.eventbridge import DEFAULT_SOURCE, EventBridgeEventBroker
from stratus.brokers.file import DEFAULT_EVENTS_FILE, FileEventBroker
from stratus.brokers.kinesis import KinesisEventBroker
from stratus.shared.endpoints import EndpointConfig
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, unknown_key

SECTION = "event_broker"
_COMMON = {"dead_letter_queue_url", "dead_letter_file", "region", "retry_attempts"}
KEYS: dict[str, frozenset[str]] = {
    "kinesis": frozenset(_COMMON | {"stream_name"}),
    "eventbridge": frozenset(_COMMON | {"event_bus_name", "source"}),
    "aws": frozenset(_COMMON | {"stream_name", "event_bus_name", "source"}),
    "file": frozenset({"path", "dead_letter_file"}),
}
_RASA_ONLY = {"pika", "kafka", "sql"}


def broker_for(
    endpoint: EndpointConfig | None,
    *,
    default_file: Path | None = None,
    session: Any | None = None,
    file: str = "endpoints.yml",
) -> EventBroker | None:
    """The configured broker; without an `event_broker` section, a FileEventBroker on
    `default_file` if given, else None (no publishing). `session` is a boto3 Session
    (default: the process's, `stratus.aws_session`)."""
    if endpoint is None:
        return FileEventBroker(default_file) if default_file is not None else None
    config = _Config(endpoint, file)
    kind = config.kind()
    if kind == "file":
        path = config.text("path", required=False)
        target = Path(path) if path else (default_file or DEFAULT_EVENTS_FILE)
        return FileEventBroker(target, dead_letter=config.dead_letter(None))
    if session is None:
        from stratus.aws_session import boto3_session  # the file broker needs no AWS SDK

        session = boto3_session()
    region = config.text("region", required=False) or None
    retry = RetryPolicy(attempts=config.attempts())
    dead_letter = config.dead_letter(session, region)
    source = config.text("source", required=False) or DEFAULT_SOURCE
    brokers: list[EventBroker] = []
    if kind in ("kinesis", "aws"):
        stream = config.text("stream_name", required=kind == "kinesis")
        if stream:
            client = session.client("kinesis", region_name=region)
            brokers.append(KinesisEventBroker(stream, client, dead_letter=dead_letter, retry=retry))
    if kind in ("eventbridge", "aws"):
        bus = config.text("event_bus_name", required=kind == "eventbridge")
        if bus:
            client = session.client("events", region_name=region)
            brokers.append(
                EventBridgeEventBroker(
                    bus, client, source=source, dead_letter=dead_letter, retry=retry
                )
            )
    if not brokers:
        raise config.error("type", "`type: aws` needs `stream_name`, `event_bus_name` or both")
    return brokers[0] if len(brokers) == 1 else CompositeEventBroker(brokers)


class _Config:
    """Reads and checks one `event_broker` section; errors name the file and field."""

    def __init__(self, endpoint: EndpointConfig, file: str) -> None:
        self.endpoint = endpoint
        self.file = file
        self.values: Mapping[str, Any] = endpoint.kwargs

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(Problem(message, self.file, None, f"{SECTION}.{key}"))

    def kind(self) -> str:
        kind = self.endpoint.type
        if not kind:
            raise self.error("type", f"is missing; use one of: {', '.join(sorted(KEYS))}")
        kind = str(kind).lower()
        if kind in _RASA_ONLY:
            raise self.error(
                "type",
                f"the '{kind}' event broker of Rasa is not available in Stratus; use one of: "
                f"{', '.join(sorted(KEYS))}",
            )
        if kind not in KEYS:
            raise self.error(
                "type", f"unknown event broker '{kind}'; use one of: {', '.join(sorted(KEYS))}"
            )
        if self.endpoint.url is not None:
            raise self.error(
                "url",
                "is not used by Stratus' event brokers; point AWS clients elsewhere with "
                "AWS_ENDPOINT_URL",
            )
        for key in self.values:
            if key not in KEYS[kind]:
                raise self.error(
                    str(key), unknown_key(str(key), KEYS[kind], f"a '{kind}' event broker")
                )
        return kind

    def text(self, key: str, *, required: bool) -> str:
        value = self.values.get(key)
        if value is None or value == "":
            if required:
                raise self.error(key, "is required")
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {type(value).__name__}")
        return value

    def attempts(self) -> int:
        value = self.values.get("retry_attempts", RetryPolicy.attempts)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
            raise self.error(
                "retry_attempts", f"must be a whole number from 1 to 20, not {value!r}"
            )
        return value

    def dead_letter(self, session: Any | None, region: str | None = None) -> DeadLetterSink:
        queue = self.text("dead_letter_queue_url", required=False)
        path = self.text("dead_letter_file", required=False)
        if queue and path:
            raise self.error(
                "dead_letter_file", "give either dead_letter_queue_url or dead_letter_file"
            )
        if queue and session is not None:
            return SqsDeadLetterSink(queue, session.client("sqs", region_name=region))
        if path:
            return FileDeadLetterSink(Path(path))
        return LogDeadLetterSink()
