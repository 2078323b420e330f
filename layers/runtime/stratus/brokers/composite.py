"""Several brokers at once (Kinesis for analytics, EventBridge for routing)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from stratus.brokers.base import EventBroker, JsonDict

logger = logging.getLogger(__name__)


class CompositeEventBroker:
    """Publishes every event to each broker; one failing does not keep the others from
    publishing."""

    def __init__(self, brokers: Sequence[EventBroker]) -> None:
        self.brokers = list(brokers)

    def publish(
        self, sender_id: str, events: Sequence[JsonDict], *, model_id: str | None = None
    ) -> None:
        for broker in self.brokers:
            try:
                broker.publish(sender_id, events, model_id=model_id)
            except Exception:  # brokers must not raise; a custom one that does is logged
                logger.exception("Event broker %s failed to publish.", type(broker).__name__)

    def close(self) -> None:
        for broker in self.brokers:
            try:
                broker.close()
            except Exception:
                logger.exception("Event broker %s failed to close.", type(broker).__name__)
