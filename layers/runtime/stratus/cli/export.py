"""`stratus export`: publish the conversations in a tracker store to the event broker, as
`rasa export` does, e.g. to backfill a Kinesis stream or an EventBridge bus with the
history that was recorded before it was configured.

The store is endpoints.yml's `tracker_store` (the embedded SQLite file without one, as
`stratus run` keeps it); the broker its `event_broker`, which is required, as in Rasa.
`--aws-endpoint` points both at the template's resources on a local endpoint. Every
session of each conversation is exported, its events in timestamp order, each as Rasa's
broker JSON (the event plus `sender_id`); `--minimum-timestamp` (included) and
`--maximum-timestamp` (excluded) bound them, and `--offset-timestamps-by-seconds` shifts
the published timestamps without touching the store. Events the broker cannot deliver
after its retries go to its dead-letter sink, as in serving.
"""

from __future__ import annotations

import argparse
import datetime
import logging
from pathlib import Path
from typing import Any

from stratus.shared.exceptions import StratusError

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=".", help="the Rasa project directory (default: .)")
    parser.add_argument("--endpoints", help="endpoints.yml (default: PROJECT/endpoints.yml)")
    parser.add_argument(
        "--minimum-timestamp", type=float, help="export events from this Unix time on"
    )
    parser.add_argument(
        "--maximum-timestamp", type=float, help="export events before this Unix time"
    )
    parser.add_argument(
        "--conversation-ids", help="comma-separated conversation ids (default: all)"
    )
    parser.add_argument(
        "--offset-timestamps-by-seconds",
        type=int,
        help="add this many seconds to every published timestamp (the store is unchanged)",
    )
    parser.add_argument(
        "--aws-endpoint",
        metavar="URL",
        help="use the table, stream and bus template.yaml declares at URL (e.g. a moto server)",
    )
    parser.add_argument(
        "--template", help="the SAM template for --aws-endpoint (default: template.yaml)"
    )


def run(args: argparse.Namespace) -> int:
    from stratus.brokers import broker_for
    from stratus.cli.run import local_stack, stack_endpoints, tracker_store_for
    from stratus.shared.endpoints import load_endpoints

    low, high = args.minimum_timestamp, args.maximum_timestamp
    if low is not None and high is not None and high < low:
        raise StratusError(
            f"Maximum timestamp '{high}' is smaller than minimum timestamp '{low}'. Exiting."
        )
    project = Path(args.project)
    endpoints = load_endpoints(args.endpoints or project / "endpoints.yml")
    file = endpoints.file or "endpoints.yml"
    store_config, broker_config = endpoints.tracker_store, endpoints.event_broker
    if args.aws_endpoint:
        store_config, broker_config = stack_endpoints(
            local_stack(args), store_config, broker_config
        )
    if broker_config is None:
        raise StratusError(
            f"Could not find an `event_broker` section in {file}: name the broker to publish "
            "to (type kinesis, eventbridge, aws or file). Exiting."
        )
    store = tracker_store_for(store_config, project, file, args.aws_endpoint)
    broker = broker_for(broker_config, file=file)
    assert broker is not None  # a configured section always makes one
    if args.offset_timestamps_by_seconds is not None:
        delta = datetime.timedelta(seconds=abs(args.offset_timestamps_by_seconds))
        sign = "-" if args.offset_timestamps_by_seconds < 0 else "+"
        print(f"All event timestamps will be offset by {sign}{delta}.")
    try:
        published = export_events(
            store,
            broker,
            _requested(args.conversation_ids),
            low,
            high,
            args.offset_timestamps_by_seconds,
        )
    finally:
        broker.close()
        store.close()
    print(f"Done! Published {published} events.")
    return 0


def _requested(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def export_events(
    store: Any,
    broker: Any,
    requested: list[str] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    offset: int | None = None,
) -> int:
    """Publish the store's conversations (or the requested ones) to the broker; returns
    how many events were handed to it."""
    stored = set(store.list_conversations())
    ids = stored
    if requested is not None:
        missing = sorted(set(requested) - stored)
        if missing:
            logger.warning(
                "Could not find the following requested conversation IDs in the tracker store: %s",
                ", ".join(missing),
            )
        ids = stored & set(requested)
        if not ids:
            raise StratusError(
                "Could not find an overlap between the requested conversation IDs and "
                "those found in the tracker store. Exiting."
            )
    published = 0
    for conversation_id in sorted(ids):
        events = list(store.load_all(conversation_id).events)  # stored as event JSON
        events.sort(key=lambda event: event["timestamp"])
        chosen = [
            {**e, "timestamp": e["timestamp"] + offset} if offset is not None else e
            for e in events
            if (minimum is None or e["timestamp"] >= minimum)
            and (maximum is None or e["timestamp"] < maximum)
        ]
        if chosen:
            broker.publish(conversation_id, chosen)
            published += len(chosen)
    return published
