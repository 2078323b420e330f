"""Turn metrics for a door's metrics sink (Powertools Metrics in Lambda, EMF).

The engine does not import Powertools: a door passes its `Metrics` object, which has the
`add_metric(name=, unit=, value=)` method this module needs.
"""

from __future__ import annotations

import time
from typing import Protocol

from stratus.core.actions.client import ActionClient
from stratus.core.processor import TurnResult
from stratus.shared.events import ActionExecuted, JsonDict, UserUttered
from stratus.shared.exceptions import ActionFailure

FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
FALLBACK_INTENT = "nlu_fallback"


class MetricsSink(Protocol):
    """Powertools' `Metrics.add_metric`."""

    def add_metric(self, name: str, unit: str, value: float) -> None: ...


def record_turn(sink: MetricsSink, result: TurnResult, seconds: float) -> None:
    """Messages, intent confidence, fallbacks and latency of one answered turn."""
    user = next((e for e in result.events if isinstance(e, UserUttered)), None)
    sink.add_metric(name="Messages", unit="Count", value=1)
    sink.add_metric(name="TurnLatency", unit="Milliseconds", value=seconds * 1000.0)
    if user is None:
        return
    intent = (user.parse_data or {}).get("intent") or {}
    confidence = intent.get("confidence")
    if isinstance(confidence, int | float):
        sink.add_metric(name="IntentConfidence", unit="None", value=float(confidence))
    fell_back = intent.get("name") == FALLBACK_INTENT or any(
        isinstance(e, ActionExecuted) and e.action_name in FALLBACK_ACTIONS for e in result.events
    )
    # The average of this 0/1 metric over a period is the fallback rate.
    sink.add_metric(name="Fallback", unit="Count", value=1.0 if fell_back else 0.0)


class TimedActionClient:
    """An action client that reports each custom action's latency and failures."""

    def __init__(self, client: ActionClient, sink: MetricsSink) -> None:
        self.client = client
        self.sink = sink

    def call(self, request: JsonDict) -> JsonDict:
        started = time.perf_counter()
        try:
            return self.client.call(request)
        except ActionFailure:
            self.sink.add_metric(name="ActionFailures", unit="Count", value=1)
            raise
        finally:
            elapsed = (time.perf_counter() - started) * 1000.0
            self.sink.add_metric(name="ActionLatency", unit="Milliseconds", value=elapsed)
