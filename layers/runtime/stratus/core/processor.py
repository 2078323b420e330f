"""The message processor: one user message in, the bot's replies and new events out.

A turn holds the conversation's lock, loads the current session's events from the
tracker store, runs session start, NLU, slot extraction and the action loop on the
tracker, then appends only the turn's new events. Reminders the turn scheduled or
cancelled go to the scheduler after the events are stored. The trackers of the last few
conversations stay in memory: when the store's head shows that nobody wrote since, the
next turn reads only the head (and the policies replay only the new events), so a turn
costs the same at message 200 as at message 2.

    processor = MessageProcessor(domain, ensemble, store, interpreter=interpreter,
                                 action_client=InProcessActionClient(handlers))
    result = processor.handle_message(UserMessage("hi", sender_id="alice"))
    result.messages  # [{"recipient_id": "alice", "text": "Hey!"}]
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.brokers.base import EventBroker
from stratus.core.actions.base import ActionContext
from stratus.core.actions.client import ActionClient
from stratus.core.loop import DialogueLoop, LoopSettings
from stratus.core.nlg import (
    NaturalLanguageGenerator,
    TemplatedNaturalLanguageGenerator,
    generator_for_endpoint,
)
from stratus.core.output import rest_messages
from stratus.core.prediction import ActionPrediction, Interpreter, Predictor
from stratus.core.scheduler import ReminderScheduler
from stratus.core.trackers import new_tracker
from stratus.nlu.regex_message import parse_intent_message
from stratus.shared.domain import Domain
from stratus.shared.endpoints import AvailableEndpoints
from stratus.shared.events import (
    Event,
    JsonDict,
    ReminderCancelled,
    ReminderScheduled,
    UserUttered,
    events_from_dicts,
)
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores.base import SESSION_BOUNDARIES, TrackerStore, encode_event

logger = logging.getLogger(__name__)

DEFAULT_SENDER_ID = "default"
# Conversations whose tracker a processor keeps between turns.
KEPT_TRACKERS = 16


@dataclass(frozen=True)
class UserMessage:
    """An incoming message. `output_channel` names the channel for channel-specific
    responses (Rasa's REST channel answers as "collector"); it defaults to
    `input_channel`. `parse_data` skips NLU (the HTTP API's `parse_data`)."""

    text: str | None
    sender_id: str = DEFAULT_SENDER_ID
    input_channel: str | None = None
    output_channel: str | None = None
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata: JsonDict | None = None
    parse_data: JsonDict | None = None


@dataclass(frozen=True)
class _KeptTracker:
    """A conversation's tracker as committed, and the store position it matches."""

    position: tuple[int, int]  # the store's `session_position` after the commit
    tracker: DialogueStateTracker


@dataclass(frozen=True)
class TurnResult:
    """What a turn produced: replies in the REST channel's shape, the events it
    recorded (in order), and the tracker after it."""

    sender_id: str
    messages: list[JsonDict]
    events: list[Event]
    tracker: DialogueStateTracker


class MessageProcessor:
    """Handles messages, external intents, forced actions and reminders for a domain.

    `predictor` is the policy ensemble; `interpreter` is NLU (None: only `/intent{...}`
    payloads are understood); `nlg` defaults to the domain's responses; `action_client`
    runs custom actions (None: they fail, and the conversation goes on);
    `selective_domain` is `enable_selective_domain` of the action endpoint;
    `event_broker` receives each turn's events after they are committed, tagged with
    `model_id` (the model version that handled the turn) in their metadata;
    `on_turn_start(conversation_id)` and `on_turn(result, seconds)` let a door tag its
    logs and record metrics (they must not raise).
    """

    def __init__(
        self,
        domain: Domain,
        predictor: Predictor,
        store: TrackerStore,
        *,
        interpreter: Interpreter | None = None,
        nlg: NaturalLanguageGenerator | None = None,
        action_client: ActionClient | None = None,
        selective_domain: bool = False,
        scheduler: ReminderScheduler | None = None,
        settings: LoopSettings | None = None,
        lock_timeout: float | None = None,
        clock: Callable[[], float] = time.time,
        event_broker: EventBroker | None = None,
        model_id: str | None = None,
        on_turn_start: Callable[[str], None] | None = None,
        on_turn: Callable[[TurnResult, float], None] | None = None,
        kept_trackers: int = KEPT_TRACKERS,
    ) -> None:
        self.domain = domain
        self.store = store
        self.interpreter = interpreter
        self.nlg = nlg or TemplatedNaturalLanguageGenerator.for_domain(domain)
        self.action_client = action_client
        self.selective_domain = selective_domain
        self.scheduler = scheduler
        self.lock_timeout = lock_timeout
        self.event_broker = event_broker
        self.model_id = model_id
        self.on_turn_start = on_turn_start
        self.on_turn = on_turn
        self.loop = DialogueLoop(domain, predictor, settings, clock)
        # The domain's JSON for the action server: made by the first turn that calls a
        # custom action, then reused by every turn.
        self._domain_json: JsonDict | None = None
        self.kept_trackers = kept_trackers
        self._kept: OrderedDict[str, _KeptTracker] = OrderedDict()
        self._kept_lock = threading.Lock()

    @classmethod
    def from_endpoints(
        cls,
        domain: Domain,
        predictor: Predictor,
        store: TrackerStore,
        endpoints: AvailableEndpoints,
        **kwargs: Any,
    ) -> MessageProcessor:
        """A processor configured by endpoints.yml: `nlg: url` selects the NLG endpoint,
        `action_endpoint.enable_selective_domain` the selective domain. The action client
        is passed in (`action_client=`): which one fits depends on the door."""
        action = endpoints.action
        kwargs.setdefault("nlg", generator_for_endpoint(endpoints.nlg, domain))
        kwargs.setdefault(
            "selective_domain",
            bool(action and action.kwargs.get("enable_selective_domain", False)),
        )
        return cls(domain, predictor, store, **kwargs)

    # -- entry points ------------------------------------------------------------------

    def handle_message(self, message: UserMessage) -> TurnResult:
        """Session start if due, NLU, slot extraction, then actions until the bot listens."""
        output_channel = message.output_channel or message.input_channel

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            self.loop.ensure_session(tracker, context, message.metadata)
            tracker.update(self._user_uttered(message, tracker.sender_id))
            self.loop.extract_slots(tracker, context)
            self.loop.predict_and_run(tracker, context)

        return self._turn(message.sender_id, output_channel, turn)

    def log_message(self, message: UserMessage) -> TurnResult:
        """Records the message with NLU and slot extraction, but predicts nothing (the
        HTTP API's `POST /conversations/{id}/messages`)."""

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            self.loop.ensure_session(tracker, context, message.metadata)
            tracker.update(self._user_uttered(message, tracker.sender_id))
            self.loop.extract_slots(tracker, context)

        return self._turn(message.sender_id, message.output_channel or message.input_channel, turn)

    def trigger_intent(
        self,
        sender_id: str,
        intent: str,
        entities: list[JsonDict] | dict[str, Any] | None = None,
        output_channel: str | None = None,
    ) -> TurnResult:
        """Acts as if the user expressed `intent` (an external event, a fired reminder)."""
        if isinstance(entities, dict):
            entity_list = [{"entity": key, "value": value} for key, value in entities.items()]
        else:
            entity_list = list(entities or [])

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            self.loop.ensure_session(tracker, context, None)
            self._run_external(tracker, context, intent, entity_list)

        return self._turn(sender_id, output_channel, turn)

    def handle_reminder(
        self, sender_id: str, reminder: ReminderScheduled, output_channel: str | None = None
    ) -> TurnResult:
        """Fires a reminder, unless a restart or new session dropped it, or the user
        wrote since it was set and it is `kill_on_user_msg`."""

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            self.loop.ensure_session(tracker, context, None)
            outdated = (
                reminder.kill_on_user_message and tracker.has_user_message_after(reminder)
            ) or not tracker.reminder_is_still_valid(reminder)
            if outdated:
                logger.debug(
                    "Conversation '%s': reminder '%s' is outdated and does not fire.",
                    sender_id,
                    reminder.name,
                )
                return
            self._run_external(tracker, context, reminder.intent, list(reminder.entities or []))

        return self._turn(sender_id, output_channel, turn)

    def execute_action(
        self,
        sender_id: str,
        action_name: str,
        policy: str | None = None,
        confidence: float | None = None,
        output_channel: str | None = None,
    ) -> TurnResult:
        """Runs one named action and nothing else (the HTTP API's `/execute`, which in
        Rasa does not predict further)."""

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            self.loop.ensure_session(tracker, context, None)
            prediction = ActionPrediction(policy, 1.0 if confidence is None else confidence)
            self.loop.run_action(tracker, context.action(action_name), prediction, context)

        return self._turn(sender_id, output_channel, turn)

    def append_events(self, sender_id: str, events: Sequence[Event]) -> TurnResult:
        """Appends events as they are (the HTTP API's `POST .../tracker/events`); a new
        conversation first gets its session start, as in Rasa."""

        def turn(tracker: DialogueStateTracker, context: ActionContext) -> None:
            if not tracker.events:
                self.loop.ensure_session(tracker, context, None)
            for event in events:
                tracker.update(event)

        return self._turn(sender_id, None, turn)

    def tracker(self, sender_id: str) -> DialogueStateTracker:
        """The conversation's current session as stored (nothing is run or written)."""
        stored = self.store.load(sender_id)
        return new_tracker(self.domain, sender_id, events_from_dicts(stored.events))

    def parse(self, text: str) -> JsonDict:
        """NLU for one text; `/intent{...}` payloads with a domain intent bypass the model."""
        direct = parse_intent_message(text, self.domain.intent_names, self.domain.entity_names)
        if direct is not None:
            return direct
        if self.interpreter is not None:
            return dict(self.interpreter.parse(text))
        return {"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": []}

    # -- plumbing ------------------------------------------------------------------------

    def _context(self, output_channel: str | None) -> ActionContext:
        return ActionContext(
            self.domain,
            self.nlg,
            self.action_client,
            output_channel,
            self.selective_domain,
            domain_json=self._domain_json,
        )

    def _user_uttered(self, message: UserMessage, sender_id: str) -> UserUttered:
        text = message.text if message.text is not None else ""
        parse_data = dict(message.parse_data) if message.parse_data else self.parse(text)
        intent = (parse_data.get("intent") or {}).get("name")
        if text.strip().startswith("/") and intent not in self.domain.intent_names:
            logger.warning(
                "Conversation '%s': the payload '%s' names no intent of the domain; it was "
                "parsed as text.",
                sender_id,
                text.strip()[:200],
            )
        elif intent is not None and intent not in self.domain.intent_names:
            logger.warning(
                "Conversation '%s': NLU gave intent '%s', which the domain does not define.",
                sender_id,
                intent,
            )
        return UserUttered(
            text=message.text,
            parse_data=parse_data,
            input_channel=message.input_channel,
            message_id=message.message_id,
            metadata=dict(message.metadata or {}),
        )

    def _run_external(
        self,
        tracker: DialogueStateTracker,
        context: ActionContext,
        intent: str,
        entities: list[JsonDict],
    ) -> None:
        if intent not in self.domain.intent_names:
            logger.warning(
                "Conversation '%s': triggered intent '%s' is not in the domain.",
                tracker.sender_id,
                intent,
            )
        tracker.update(
            UserUttered.create_external(
                intent, entities, input_channel=tracker.latest_input_channel
            )
        )
        self.loop.extract_slots(tracker, context)
        self.loop.predict_and_run(tracker, context)

    def _turn(
        self,
        sender_id: str,
        output_channel: str | None,
        body: Callable[[DialogueStateTracker, ActionContext], None],
    ) -> TurnResult:
        started = time.perf_counter()
        if self.on_turn_start is not None:
            self.on_turn_start(sender_id)
        with self.store.lock(sender_id, timeout=self.lock_timeout) as token:
            tracker, (version, first_seq) = self._load(sender_id)
            start = len(tracker.events)
            context = self._context(output_channel)
            body(tracker, context)
            self._domain_json = context.domain_json
            events = tracker.events_since(start)
            dicts = [event.as_dict() for event in events]
            if events:
                version = self.store.append(
                    sender_id, dicts, version, head_update=_head(tracker), lock=token
                )
                if _reloads_the_same(dicts, events):
                    self._keep(sender_id, (version, first_seq), tracker)
            else:
                self._keep(sender_id, (version, first_seq), tracker)
        self._schedule(sender_id, events)
        self._publish(sender_id, dicts)
        result = TurnResult(sender_id, rest_messages(sender_id, events), events, tracker)
        if self.on_turn is not None:
            self.on_turn(result, time.perf_counter() - started)
        return result

    def _load(self, sender_id: str) -> tuple[DialogueStateTracker, tuple[int, int]]:
        """The current session's tracker and its store position: the kept tracker if
        the store has not moved since this processor committed it, else a fresh load."""
        with self._kept_lock:
            kept = self._kept.pop(sender_id, None)  # a failing turn must not leave it
        if kept is not None and self.store.session_position(sender_id) == kept.position:
            return kept.tracker, kept.position
        stored = self.store.load(sender_id)
        tracker = new_tracker(self.domain, sender_id, events_from_dicts(stored.events))
        return tracker, (stored.version, stored.first_seq)

    def _keep(
        self, sender_id: str, position: tuple[int, int], tracker: DialogueStateTracker
    ) -> None:
        if self.kept_trackers <= 0:
            return
        with self._kept_lock:
            # a copy: callers may change the tracker a turn returns
            self._kept[sender_id] = _KeptTracker(position, tracker.copy())
            while len(self._kept) > self.kept_trackers:
                self._kept.popitem(last=False)

    def publish_events(self, sender_id: str, events: Sequence[Event]) -> None:
        """Hands committed events to the event broker. Never raises: the events are
        already stored, so a broker failure must not fail (or repeat) the turn."""
        if self.event_broker is not None and events:
            self._publish(sender_id, [event.as_dict() for event in events])

    def _publish(self, sender_id: str, dicts: list[JsonDict]) -> None:
        """`publish_events` of a turn, with the event JSON the store was given (the
        broker copies each event into its payload, so sharing them is safe)."""
        if self.event_broker is None or not dicts:
            return
        try:
            self.event_broker.publish(sender_id, dicts, model_id=self.model_id)
        except Exception:
            logger.exception(
                "Conversation '%s': publishing %d event(s) failed; they are stored.",
                sender_id,
                len(dicts),
            )

    def _schedule(self, sender_id: str, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, ReminderScheduled | ReminderCancelled):
                if self.scheduler is None:
                    logger.warning(
                        "Conversation '%s': a reminder event was recorded, but no scheduler "
                        "is configured.",
                        sender_id,
                    )
                elif isinstance(event, ReminderScheduled):
                    self.scheduler.schedule(sender_id, event)
                else:
                    self.scheduler.cancel(sender_id, event)


def _reloads_the_same(dicts: Sequence[JsonDict], events: Sequence[Event]) -> bool:
    """Whether the events, stored and read back, are the events the tracker applied (a
    kept tracker must be the tracker the next load would build) and hold no session
    boundary (after one, a load starts at the boundary)."""
    if any(d.get("event") in SESSION_BOUNDARIES for d in dicts):
        return False
    return events_from_dicts([json.loads(encode_event(d)) for d in dicts]) == list(events)


def _head(tracker: DialogueStateTracker) -> JsonDict:
    """The snapshot stored with the head record (listing conversations without events)."""
    return {
        "slots": tracker.current_slot_values(),
        "active_loop": tracker.active_loop_name,
        "latest_action_name": tracker.latest_action_name,
        "paused": tracker.paused,
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
    }
