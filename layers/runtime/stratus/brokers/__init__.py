"""Event brokers: a turn's committed events, published to Kinesis, EventBridge or a file."""

from stratus.brokers.base import EventBroker, RetryPolicy, event_payload
from stratus.brokers.composite import CompositeEventBroker
from stratus.brokers.dead_letter import (
    DeadLetter,
    DeadLetterSink,
    FileDeadLetterSink,
    LogDeadLetterSink,
    SqsDeadLetterSink,
)
from stratus.brokers.eventbridge import EventBridgeEventBroker
from stratus.brokers.factory import broker_for
from stratus.brokers.file import FileEventBroker
from stratus.brokers.kinesis import KinesisEventBroker

__all__ = [
    "CompositeEventBroker",
    "DeadLetter",
    "DeadLetterSink",
    "EventBridgeEventBroker",
    "EventBroker",
    "FileDeadLetterSink",
    "FileEventBroker",
    "KinesisEventBroker",
    "LogDeadLetterSink",
    "RetryPolicy",
    "SqsDeadLetterSink",
    "broker_for",
    "event_payload",
]
