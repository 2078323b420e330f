"""Conversation metrics from a batch of published events (Kinesis or EventBridge).

Definitions (per batch; aggregate periods with CloudWatch metric math over the
counts, e.g. 100 * SUM(FallbackTurns) / SUM(Messages), since one batch rarely holds
whole conversations):

- `Messages`: user messages (`user` events), not counting external events (reminders,
  triggered intents: `metadata.is_external`). `BotMessages`: `bot` events.
- `FallbackTurns`: user turns that fell back: the message's intent was `nlu_fallback`,
  or the bot then ran `action_default_fallback` / `action_two_stage_fallback`. A
  fallback action whose user message was in an earlier batch counts as its own turn.
  `FallbackRate` (Percent) = FallbackTurns / Messages, when there were messages.
- `IntentConfidence` (None): mean NLU confidence of the messages;
  `IntentConfidenceBucket` (Count, dimension `Bucket`, e.g. `0.8-1.0`): how many
  messages fell in each fifth of [0, 1].
- `ConversationsStarted`: `session_started` events (new conversations and new
  sessions). `ConversationsCompleted`: sessions in which a completion action ran (by
  default `utter_goodbye` or `action_restart`; configurable), counted once per session.
  `CompletionRate` (Percent) = completed / started, capped at 100, when any started.

Metrics come without dimensions, and again with `ModelId` for the model versions
named in the events' `metadata.model_id` (an A/B split's two arms).

Kinesis records that do not decode to a published event are reported in Lambda's
`batchItemFailures` shape. Lambda then retries the shard from the lowest failed
sequence number, so only the records before it are counted: counting later ones would
count them twice when they come again.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

COUNT = "Count"
PERCENT = "Percent"
NONE = "None"
MODEL_DIMENSION = "ModelId"


class Metric(NamedTuple):
    """One metric value: CloudWatch name, unit (`Count`, `Percent`, `None`), value and
    dimensions (empty for the overall figure)."""

    name: str
    unit: str
    value: float
    dimensions: Mapping[str, str]


@dataclass(frozen=True)
class MetricSettings:
    """Which actions and intents mean what; the door may read them from its settings."""

    completion_actions: frozenset[str] = frozenset({"utter_goodbye", "action_restart"})
    fallback_actions: frozenset[str] = frozenset(
        {"action_default_fallback", "action_two_stage_fallback"}
    )
    fallback_intents: frozenset[str] = frozenset({"nlu_fallback"})
    bucket_edges: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class StreamSummary:
    """What a batch amounted to: its metrics, and the records Lambda should retry."""

    records: int
    events: int
    metrics: list[Metric]
    batch_item_failures: list[str] = field(default_factory=list)

    def response(self) -> JsonDict:
        """Lambda's partial batch response (`ReportBatchItemFailures`)."""
        return {"batchItemFailures": [{"itemIdentifier": i} for i in self.batch_item_failures]}

    def metric(self, name: str, **dimensions: str) -> float | None:
        """The value of one metric with exactly these dimensions, if emitted."""
        for metric in self.metrics:
            if metric.name == name and dict(metric.dimensions) == dimensions:
                return metric.value
        return None


class UndecodableRecord(ValueError):
    """A stream record that is not a published Stratus event."""


def decode_event(data: Any) -> JsonDict:
    """A published event (`{**event, "sender_id": ...}`) from parsed JSON."""
    if not isinstance(data, dict):
        raise UndecodableRecord(f"expected a JSON object, got {type(data).__name__}")
    for key in ("event", "sender_id"):
        if not isinstance(data.get(key), str):
            raise UndecodableRecord(f"the field '{key}' is missing or not a string")
    return data


def _kinesis_event(record: Mapping[str, Any]) -> JsonDict:
    try:
        raw = base64.b64decode(record["kinesis"]["data"], validate=True)
        return decode_event(json.loads(raw.decode("utf-8")))
    except (KeyError, TypeError, binascii.Error, UnicodeDecodeError, ValueError) as e:
        raise UndecodableRecord(str(e)) from e


def _sequence(record: Mapping[str, Any]) -> str | None:
    kinesis = record.get("kinesis")
    value = kinesis.get("sequenceNumber") if isinstance(kinesis, Mapping) else None
    return str(value) if value is not None else None


def summarize_kinesis_event(
    event: Mapping[str, Any], settings: MetricSettings | None = None
) -> StreamSummary:
    """Metrics of a Lambda Kinesis event (`Records[].kinesis.data`, base64 JSON)."""
    records = list(event.get("Records") or [])
    decoded: list[tuple[str | None, JsonDict]] = []
    failures: list[str] = []
    for record in records:
        sequence = _sequence(record)
        try:
            decoded.append((sequence, _kinesis_event(record)))
        except UndecodableRecord as e:
            logger.error("Kinesis record %s is not a Stratus event: %s", sequence, e)
            if sequence is not None:
                failures.append(sequence)
    if failures:
        checkpoint = min(int(s) for s in failures)
        decoded = [(s, e) for s, e in decoded if s is not None and int(s) < checkpoint]
    events = [e for _, e in decoded]
    return StreamSummary(len(records), len(events), summarize_events(events, settings), failures)


def summarize_eventbridge_event(
    event: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    settings: MetricSettings | None = None,
) -> StreamSummary:
    """Metrics of an EventBridge event delivered to Lambda (`detail` holds the published
    event), or of a list of them. EventBridge invokes asynchronously and has no partial
    batch response: undecodable events are logged and skipped."""
    envelopes = [event] if isinstance(event, Mapping) else list(event)
    events: list[JsonDict] = []
    for envelope in envelopes:
        try:
            events.append(decode_event(envelope.get("detail")))
        except UndecodableRecord as e:
            logger.error("EventBridge event %s is not a Stratus event: %s", envelope.get("id"), e)
    return StreamSummary(len(envelopes), len(events), summarize_events(events, settings))


@dataclass
class _Tally:
    messages: int = 0
    bot_messages: int = 0
    fallback_turns: int = 0
    started: int = 0
    completed: int = 0
    confidences: list[float] = field(default_factory=list)


def summarize_events(
    events: Iterable[Mapping[str, Any]], settings: MetricSettings | None = None
) -> list[Metric]:
    """The metrics of published events in stream order (see the module docstring)."""
    settings = settings or MetricSettings()
    overall = _Tally()
    by_model: dict[str, _Tally] = {}
    fell_back: dict[str, bool] = {}  # per conversation: has its current turn fallen back?
    completed: dict[str, bool] = {}  # per conversation: has its current session completed?
    for event in events:
        model = _model_id(event)
        tallies = [overall] if model is None else [overall, by_model.setdefault(model, _Tally())]
        sender = str(event.get("sender_id"))
        kind = event.get("event")
        if kind == "user":
            if _is_external(event):
                continue
            intent = _intent(event)
            confidence = intent.get("confidence")
            fallback = intent.get("name") in settings.fallback_intents
            fell_back[sender] = fallback
            for tally in tallies:
                tally.messages += 1
                tally.fallback_turns += fallback
                if isinstance(confidence, int | float) and not isinstance(confidence, bool):
                    tally.confidences.append(float(confidence))
        elif kind == "bot":
            for tally in tallies:
                tally.bot_messages += 1
        elif kind == "session_started":
            completed[sender] = False
            for tally in tallies:
                tally.started += 1
        elif kind == "action":
            name = event.get("name")
            if name in settings.fallback_actions and not fell_back.get(sender, False):
                fell_back[sender] = True
                for tally in tallies:
                    tally.fallback_turns += 1
            if name in settings.completion_actions and not completed.get(sender, False):
                completed[sender] = True
                for tally in tallies:
                    tally.completed += 1
    metrics = _metrics(overall, {}, settings)
    for model, tally in sorted(by_model.items()):
        metrics.extend(_metrics(tally, {MODEL_DIMENSION: model}, settings, histogram=False))
    return metrics


def _model_id(event: Mapping[str, Any]) -> str | None:
    metadata = event.get("metadata")
    value = metadata.get("model_id") if isinstance(metadata, Mapping) else None
    return str(value) if value else None


def _intent(event: Mapping[str, Any]) -> Mapping[str, Any]:
    parse_data = event.get("parse_data")
    intent = parse_data.get("intent") if isinstance(parse_data, Mapping) else None
    return intent if isinstance(intent, Mapping) else {}


def _is_external(event: Mapping[str, Any]) -> bool:
    metadata = event.get("metadata")
    return bool(isinstance(metadata, Mapping) and metadata.get("is_external"))


def _bucket_labels(edges: Sequence[float]) -> list[str]:
    bounds = [0.0, *edges, 1.0]
    return [f"{low:.1f}-{high:.1f}" for low, high in itertools.pairwise(bounds)]


def _metrics(
    tally: _Tally, dimensions: dict[str, str], settings: MetricSettings, histogram: bool = True
) -> list[Metric]:
    def metric(name: str, unit: str, value: float, **extra: str) -> Metric:
        return Metric(name, unit, value, {**dimensions, **extra})

    out = [
        metric("Messages", COUNT, tally.messages),
        metric("BotMessages", COUNT, tally.bot_messages),
        metric("FallbackTurns", COUNT, tally.fallback_turns),
        metric("ConversationsStarted", COUNT, tally.started),
        metric("ConversationsCompleted", COUNT, tally.completed),
    ]
    if tally.messages:
        rate = min(100.0, 100.0 * tally.fallback_turns / tally.messages)
        out.append(metric("FallbackRate", PERCENT, rate))
    if tally.started:
        out.append(
            metric("CompletionRate", PERCENT, min(100.0, 100.0 * tally.completed / tally.started))
        )
    if tally.confidences:
        mean = sum(tally.confidences) / len(tally.confidences)
        out.append(metric("IntentConfidence", NONE, mean))
        if histogram:
            counts = [0] * (len(settings.bucket_edges) + 1)
            for value in tally.confidences:
                counts[sum(value >= edge for edge in settings.bucket_edges)] += 1
            for label, count in zip(_bucket_labels(settings.bucket_edges), counts):
                out.append(metric("IntentConfidenceBucket", COUNT, count, Bucket=label))
    return out
