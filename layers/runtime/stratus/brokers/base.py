"""The event broker contract and the JSON every broker publishes.

A broker sees a turn's events only after the turn is committed to the tracker store,
so publishing is best effort by design: `publish` never raises. What cannot be
delivered after the broker's retries goes to a dead-letter sink and is logged.

Each published event is Rasa's event-broker JSON: the tracker event as Rasa 3.6
serializes it, plus `sender_id`; with a `model_id`, it is added to the event's
`metadata` (where Rasa 3.x records the model that handled the turn), unless the event
already names one.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

METADATA_MODEL_ID = "model_id"


@runtime_checkable
class EventBroker(Protocol):
    """Publishes committed tracker events to a stream; never raises from `publish`."""

    def publish(
        self, sender_id: str, events: Sequence[JsonDict], *, model_id: str | None = None
    ) -> None: ...

    def close(self) -> None: ...


def event_payload(sender_id: str, event: JsonDict, model_id: str | None = None) -> JsonDict:
    """One event as Rasa's brokers publish it: `{**event, "sender_id": ...}`."""
    payload: JsonDict = {**event, "sender_id": sender_id}
    if model_id is not None:
        metadata = event.get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        metadata.setdefault(METADATA_MODEL_ID, model_id)
        payload["metadata"] = metadata
    return payload


def to_json(payload: JsonDict) -> str:
    """Compact JSON; values JSON cannot hold (a stray datetime in metadata) become text
    rather than losing the event."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter: `attempts` calls in all, at most."""

    attempts: int = 4
    base_delay: float = 0.05
    max_delay: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def pauses(self) -> Iterator[None]:
        """Yields before each attempt, sleeping between attempts (not before the first)."""
        for attempt in range(self.attempts):
            if attempt:
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                # full jitter: concurrent Lambdas throttled together must not retry together
                self.sleep(random.uniform(delay / 2, delay))
            yield


def chunks(sizes: Sequence[int], max_count: int, max_bytes: int) -> Iterator[range]:
    """Consecutive index ranges holding at most `max_count` items and `max_bytes` bytes."""
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= max_count or total + size > max_bytes):
            yield range(start, index)
            start, total = index, 0
        total += size
    if start < len(sizes):
        yield range(start, len(sizes))
