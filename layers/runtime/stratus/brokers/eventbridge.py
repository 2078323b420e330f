"""EventBridge: one event per tracker event, so rules can route by `detail-type`.

`Source` is configurable (default `stratus`), `DetailType` is the tracker event's type
(`user`, `bot`, `action`, ...), `Detail` the published JSON (`{**event, "sender_id"}`),
`Time` the event's own timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stratus.brokers.base import JsonDict, RetryPolicy, to_json
from stratus.brokers.batching import BatchingEventBroker, Entry, client_error_code
from stratus.brokers.dead_letter import DeadLetterSink

DEFAULT_SOURCE = "stratus"
# PutEvents limits: 10 entries and 256 KiB per call (an entry counts its Source,
# DetailType, Detail and Resources; the time adds a fixed 14 bytes).
MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
RETRYABLE = frozenset(
    {"InternalFailure", "InternalException", "ThrottlingException", "ServiceUnavailable"}
)
_TIME_BYTES = 14


class EventBridgeEventBroker(BatchingEventBroker):
    """Publishes to an event bus with PutEvents (`client`: a boto3 EventBridge client)."""

    max_batch_count = MAX_ENTRIES
    max_batch_bytes = MAX_BATCH_BYTES
    max_entry_bytes = MAX_BATCH_BYTES
    retryable_codes = RETRYABLE

    def __init__(
        self,
        event_bus_name: str,
        client: Any,
        *,
        source: str = DEFAULT_SOURCE,
        dead_letter: DeadLetterSink | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(dead_letter=dead_letter, retry=retry)
        self.event_bus_name = event_bus_name
        self.source = source
        self.client = client

    @property
    def destination(self) -> str:
        return f"eventbridge:{self.event_bus_name}"

    def _entry(self, sender_id: str, payload: JsonDict) -> Entry:
        detail = to_json(payload)
        detail_type = str(payload.get("event") or "unknown")
        request: JsonDict = {
            "EventBusName": self.event_bus_name,
            "Source": self.source,
            "DetailType": detail_type,
            "Detail": detail,
        }
        timestamp = payload.get("timestamp")
        if isinstance(timestamp, int | float):
            request["Time"] = datetime.fromtimestamp(timestamp, UTC)
        size = len(self.source.encode()) + len(detail_type.encode()) + len(detail.encode())
        return Entry(payload, request, size + _TIME_BYTES)

    def _send(self, requests: list[JsonDict]) -> list[str | None]:
        response = self.client.put_events(Entries=requests)
        results = response.get("Entries") or []
        if len(results) != len(requests):
            return ["MissingResult"] * len(requests)
        return [client_error_code(result) for result in results]
