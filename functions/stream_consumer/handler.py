"""Lambda door of the stream consumer: tracker events (Kinesis) become CloudWatch metrics
(EMF through Powertools): messages, fallback rate, intent confidence, completion."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric

from stratus.analytics.stream_metrics import (
    StreamSummary,
    summarize_eventbridge_event,
    summarize_kinesis_event,
)

logger = Logger()
metrics = Metrics()
tracer = Tracer(auto_patch=False)  # it calls no AWS API or HTTP service: nothing to patch


def emit(summary: StreamSummary) -> None:
    """Overall figures through the function's Metrics; per-dimension ones one by one
    (an EMF document carries one dimension set)."""
    for metric in summary.metrics:
        if not metric.dimensions:
            metrics.add_metric(name=metric.name, unit=metric.unit, value=metric.value)
            continue
        with single_metric(
            name=metric.name,
            unit=metric.unit,
            value=metric.value,
            namespace=metrics.namespace,
        ) as one:
            for key, value in metric.dimensions.items():
                one.add_dimension(name=key, value=value)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        summary = summarize_kinesis_event(event)
    else:
        summary = summarize_eventbridge_event(event)
    logger.info("Stream batch", extra={"records": summary.records, "events": summary.events})
    emit(summary)
    return summary.response()
