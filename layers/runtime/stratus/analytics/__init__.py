"""Analytics over the published event stream (the stream consumer's engine side)."""

from stratus.analytics.stream_metrics import (
    Metric,
    MetricSettings,
    StreamSummary,
    summarize_eventbridge_event,
    summarize_events,
    summarize_kinesis_event,
)

__all__ = [
    "Metric",
    "MetricSettings",
    "StreamSummary",
    "summarize_eventbridge_event",
    "summarize_events",
    "summarize_kinesis_event",
]
