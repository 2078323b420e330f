"""The dialogue state tracker: applies events as Rasa 3.6 does and renders its state.

The tracker knows slots only as names with initial values (plus which are list slots),
so it does not depend on the Domain class. Applying an event costs O(1), except
`rewind` and `undo`, which replay the applied events as Rasa does.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from itertools import islice
from typing import Any, TypeVar

from stratus.shared.events import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    InvalidEventError,
    JsonDict,
    LoopInterrupted,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    applied_events,
    events_from_dicts,
)
from stratus.shared.events.history import apply_event

logger = logging.getLogger(__name__)

# RulePolicy's placeholder for "some loop, not this one"; never a real active loop.
SHOULD_NOT_BE_SET = "should_not_be_set"

E = TypeVar("E", bound=Event)


class EventVerbosity(Enum):
    """Which events a rendered tracker state includes (Rasa's `include_events`)."""

    NONE = 1  # `events` is null
    APPLIED = 2  # only the events that make up the current state
    AFTER_RESTART = 3  # everything after the latest restart, reverted events included
    ALL = 4  # every event


class InvalidTrackerError(InvalidEventError):
    """A serialized tracker that cannot be loaded (bad `sender_id`, `events`, or an event)."""


@dataclass(frozen=True)
class ActiveLoopState:
    """The active loop (form): Rasa's `TrackerActiveLoop`."""

    name: str | None
    is_interrupted: bool = False
    rejected: bool = False
    # `latest_message` as it was when the loop was activated.
    trigger_message: JsonDict | None = None

    def as_dict(self) -> JsonDict:
        """`{name, is_interrupted, rejected, trigger_message}` as in Rasa's tracker state."""
        return dataclasses.asdict(self)


class DialogueStateTracker:
    """The state of one conversation, made by applying its events in order.

    `slots` maps slot names to their initial values; None means "any slot": every slot
    an event sets is created on the fly (initial value None), as Rasa does for a tracker
    without a domain. `list_slots` names the slots that hold lists: Rasa wraps a single
    value set on them into a list.

    State fields (read them; change them only through `update`): `events`, `paused`,
    `followup_action`, `latest_action` ({} or {"action_name"} or {"action_text"}),
    `latest_message` (the UserUttered in effect; its `entities` include `entities`
    events and its `use_text_for_featurization` follows `user_featurization` events,
    so it can differ from the event in `events`), `latest_bot_utterance`, `active_loop`.

    Events given to the constructor, `from_dict` and `update` are applied in order (how
    Rasa's SQL, Mongo and DynamoDB stores load a tracker); `recreate` replays only the
    applied events instead (Rasa's in-memory and Redis stores).
    """

    def __init__(
        self,
        sender_id: str,
        slots: Mapping[str, Any] | None = None,
        events: Iterable[Event] = (),
        *,
        list_slots: Collection[str] = (),
    ) -> None:
        self.sender_id = sender_id
        self._any_slot = slots is None
        self._initial_slots: dict[str, Any] = dict(slots or {})
        self._list_slots = frozenset(list_slots)
        self._slot_values: dict[str, Any] = {}
        self._slots_set: set[str] = set()

        self.events: list[Event] = []
        # Bookkeeping that keeps `update` O(1):
        self._loop_names: set[str] = set()  # every loop ever activated
        self._after_reset = 0  # index after the latest `restart` or `session_started`
        self._after_restart = 0  # index after the latest `restart`
        self._latest_user_index: int | None = None  # reverted messages included
        # `applied_events()`, kept up to date event by event; None: to be recomputed
        # (a newly activated loop changes which earlier loop runs count as happy path).
        self._applied: list[Event] | None = []

        self.paused = False
        self.followup_action: str | None = ACTION_LISTEN_NAME
        self.latest_action: dict[str, str] = {}
        self.latest_message = UserUttered()
        self.latest_bot_utterance = BotUttered()
        self.active_loop: ActiveLoopState | None = None
        self._reset()

        for event in events:
            self.update(event)

    # -- construction ----------------------------------------------------------------

    @classmethod
    def from_dict(
        cls,
        state: Mapping[str, Any],
        slots: Mapping[str, Any] | None = None,
        *,
        list_slots: Collection[str] = (),
    ) -> DialogueStateTracker:
        """Rebuilds a tracker from its rendered state (`sender_id` and `events`; the
        other fields are derived, not read). Events are applied in order, as Rasa's SQL,
        Mongo and DynamoDB stores load trackers."""
        sender_id = state.get("sender_id")
        if not isinstance(sender_id, str):
            raise InvalidTrackerError("is required (a string)", field="sender_id")
        raw_events = state.get("events")
        if not isinstance(raw_events, list):
            raise InvalidTrackerError(
                "must be a list (render the tracker with events included)", field="events"
            )
        try:
            events = events_from_dicts(raw_events)
        except InvalidEventError as error:
            raise InvalidTrackerError(
                error.reason, event=error.event, field=error.field, index=error.index
            ) from None
        return cls(sender_id, slots, events, list_slots=list_slots)

    @classmethod
    def recreate(
        cls,
        sender_id: str,
        events: Iterable[Event],
        slots: Mapping[str, Any] | None = None,
        *,
        list_slots: Collection[str] = (),
    ) -> DialogueStateTracker:
        """Loads a tracker as Rasa's in-memory and Redis stores do: all events are kept,
        but the state comes from replaying only the applied ones.

        This is what Rasa's HTTP API shows: while a form runs its happy path, the
        messages it consumed are not applied, so `latest_message` stays the message that
        started or resumed the loop. (When the stored tracker holds several sessions,
        Rasa 3.6 shows a tracker of the latest session only, built with the events
        applied in order: see `split_sessions`.)
        """
        tracker = cls(sender_id, slots, list_slots=list_slots)
        for event in events:
            tracker.events.append(event)
            tracker._note(event)
        tracker._replay()
        return tracker

    def slot_definitions(self) -> tuple[Any, ...]:
        """What `init_copy` passes on (slot names, initial values, list slots); trackers
        with equal definitions apply the same events the same way."""
        if self._any_slot:
            return (None, self._list_slots)
        return (tuple(self._initial_slots.items()), self._list_slots)

    def init_copy(self) -> DialogueStateTracker:
        """A tracker with the same sender and slot definitions and no events."""
        slots = None if self._any_slot else self._initial_slots
        return DialogueStateTracker(self.sender_id, slots, list_slots=self._list_slots)

    def copy(self) -> DialogueStateTracker:
        """An independent copy with the same events and state."""
        clone = copy.copy(self)
        clone._initial_slots = dict(self._initial_slots)
        clone._slot_values = dict(self._slot_values)
        clone._slots_set = set(self._slots_set)
        clone.events = list(self.events)
        clone._loop_names = set(self._loop_names)
        clone.latest_action = dict(self.latest_action)
        clone._applied = None if self._applied is None else list(self._applied)
        return clone

    def travel_back_in_time(self, target_time: float) -> DialogueStateTracker:
        """A new tracker with the events up to `target_time` (inclusive) applied in order;
        stops at the first later event (Rasa's `?until=`)."""
        tracker = self.init_copy()
        for event in self.events:
            if event.timestamp > target_time:
                break
            tracker.update(event)
        return tracker

    # -- applying events -------------------------------------------------------------

    def update(self, event: Event) -> None:
        """Records `event` and applies it to the state."""
        self.events.append(event)
        self._note(event)
        self._apply(event)

    def update_with_events(
        self, new_events: Iterable[Event], *, override_timestamp: bool = True
    ) -> None:
        """Records several events; by default stamps them with the current time so they
        sort after everything already recorded (as Rasa does)."""
        for event in new_events:
            if override_timestamp:
                event = dataclasses.replace(event, timestamp=time.time())
            self.update(event)

    def _note(self, event: Event) -> None:
        """Updates the bookkeeping for the event just appended."""
        end = len(self.events)
        if isinstance(event, ActiveLoop) and event.name and event.name not in self._loop_names:
            self._loop_names.add(event.name)
            self._applied = None
        elif self._applied is not None:
            apply_event(self._applied, event, self._loop_names)
        if isinstance(event, UserUttered):
            self._latest_user_index = end - 1
        elif isinstance(event, Restarted | SessionStarted):
            self._after_reset = end
            if isinstance(event, Restarted):
                self._after_restart = end

    def _apply(self, event: Event) -> None:
        match event:
            case UserUttered():
                self.latest_message = event
                self.followup_action = None
            case BotUttered():
                self.latest_bot_utterance = event
            case ActionExecuted():
                self._set_latest_action(event.as_sub_state())
                self.followup_action = None
            case SlotSet():
                self._set_slot(event.key, event.value)
            case ActiveLoop():
                self._change_loop_to(event.name)
            case LoopInterrupted():
                if self.active_loop is not None:
                    self.active_loop = dataclasses.replace(
                        self.active_loop, is_interrupted=event.is_interrupted
                    )
            case ActionExecutionRejected():
                if self.active_loop is not None and event.action_name == self.active_loop_name:
                    self.active_loop = dataclasses.replace(self.active_loop, rejected=True)
            case FollowupAction():
                self.followup_action = event.action_name
            case Restarted():
                self._reset()
                self.followup_action = ACTION_SESSION_START_NAME
            case SessionStarted():
                self._reset()
            case UserUtteranceReverted() | ActionReverted():
                self._reset()
                self._replay()
            case AllSlotsReset():
                self._reset_slots()
            case ConversationPaused():
                self.paused = True
            case ConversationResumed():
                self.paused = False
            case DefinePrevUserUtteredFeaturization():
                # Belongs to the latest user message, which comes right after action_listen.
                if self.latest_action_name == ACTION_LISTEN_NAME:
                    self.latest_message = dataclasses.replace(
                        self.latest_message,
                        use_text_for_featurization=event.use_text_for_featurization,
                    )
            case EntitiesAdded():
                if self.latest_action_name == ACTION_LISTEN_NAME:
                    entities = list(self.latest_message.entities or [])
                    entities += [e for e in event.entities if e not in entities]
                    self.latest_message = dataclasses.replace(
                        self.latest_message, entities=entities
                    )
            case _:
                pass  # reminders and legacy events are recorded, nothing else

    def _replay(self) -> None:
        for event in self.applied_events():
            self._apply(event)

    def _reset(self) -> None:
        """The initial state, as after a restart; events are kept."""
        self._reset_slots()
        self.paused = False
        self.latest_action = {}
        self.latest_message = UserUttered()
        self.latest_bot_utterance = BotUttered()
        self.followup_action = ACTION_LISTEN_NAME
        self.active_loop = None

    def _reset_slots(self) -> None:
        self._slot_values = {}
        for name, initial in self._initial_slots.items():
            self._slot_values[name] = self._slot_value(name, initial)
        self._slots_set.clear()

    def _slot_value(self, name: str, value: Any) -> Any:
        if name in self._list_slots and value and not isinstance(value, list):
            return [value]
        return value

    def _set_slot(self, name: str, value: Any) -> None:
        if name not in self._slot_values:
            if not self._any_slot:
                logger.warning("Tried to set slot '%s', which the domain does not define.", name)
                return
            self._initial_slots[name] = None
        self._slot_values[name] = self._slot_value(name, value)
        self._slots_set.add(name)

    def _change_loop_to(self, name: str | None) -> None:
        if name is None:
            self.active_loop = None
        else:
            self.active_loop = ActiveLoopState(name, trigger_message=self._latest_message_data())

    def _set_latest_action(self, action: dict[str, str]) -> None:
        self.latest_action = action
        loop = self.active_loop
        if loop is None:
            return
        # Any action ends an interruption; the loop itself running again ends a rejection.
        if self.active_loop_name:
            loop = dataclasses.replace(loop, is_interrupted=False)
        if action.get("action_name") == self.active_loop_name:
            loop = dataclasses.replace(loop, rejected=False)
        self.active_loop = loop

    def applied_events(self) -> list[Event]:
        """The events that make up the current state (Rasa's `applied_events`); see
        `stratus.shared.events.applied_events`."""
        if self._applied is None:
            # Nothing before the latest restart or session start survives it, but a loop
            # activated before it still counts as a loop.
            self._applied = applied_events(
                islice(self.events, self._after_reset, None), self._loop_names
            )
        return list(self._applied)

    # -- queries -----------------------------------------------------------------------

    def current_state(self, include_events: EventVerbosity = EventVerbosity.NONE) -> JsonDict:
        """The tracker as Rasa's HTTP API renders it; a view of internal data, so
        serialize it rather than change it."""
        events = self._events_for(include_events)
        return {
            "sender_id": self.sender_id,
            "slots": self.current_slot_values(),
            "latest_message": self._latest_message_data(),
            "latest_event_time": self.events[-1].timestamp if self.events else None,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": None if events is None else [e.as_dict() for e in events],
            "latest_input_channel": self.latest_input_channel,
            "active_loop": self.active_loop.as_dict() if self.active_loop else {},
            "latest_action": self.latest_action,
            "latest_action_name": self.latest_action_name,
        }

    def _events_for(self, verbosity: EventVerbosity) -> list[Event] | None:
        if verbosity is EventVerbosity.ALL:
            return list(self.events)
        if verbosity is EventVerbosity.AFTER_RESTART:
            return self.events_after_latest_restart()
        if verbosity is EventVerbosity.APPLIED:
            return self.applied_events()
        return None

    def _latest_message_data(self) -> JsonDict:
        # Entities added after NLU are shown together with NLU's.
        return {**self.latest_message.parse_data, "entities": self.latest_message.entities}

    def current_slot_values(self) -> dict[str, Any]:
        """Every slot's current value, in definition order."""
        return dict(self._slot_values)

    def get_slot(self, name: str) -> Any:
        """The slot's value; None for a slot that does not exist."""
        return self._slot_values.get(name)

    def slot_has_been_set(self, name: str) -> bool:
        """Whether an event set the slot since the last reset (Rasa's `has_been_set`)."""
        return name in self._slots_set

    @property
    def slot_names(self) -> list[str]:
        """The slots this tracker knows (in "any slot" mode: those set so far)."""
        return list(self._slot_values)

    @property
    def latest_action_name(self) -> str | None:
        """The latest action's name, or its text for an end-to-end bot turn."""
        return self.latest_action.get("action_name") or self.latest_action.get("action_text")

    @property
    def active_loop_name(self) -> str | None:
        """The active loop's name; None without one (or for RulePolicy's placeholder)."""
        if self.active_loop is None or self.active_loop.name == SHOULD_NOT_BE_SET:
            return None
        return self.active_loop.name

    @property
    def is_active_loop_rejected(self) -> bool:
        """Whether the active loop refused to run and has not run since."""
        return self.active_loop is not None and self.active_loop.rejected

    @property
    def is_active_loop_interrupted(self) -> bool:
        """Whether a `loop_interrupted(true)` came after the latest action."""
        return self.active_loop is not None and self.active_loop.is_interrupted

    @property
    def latest_input_channel(self) -> str | None:
        """The input channel of the latest user message, reverted or not."""
        if self._latest_user_index is None:
            return None
        message = self.events[self._latest_user_index]
        assert isinstance(message, UserUttered)
        return message.input_channel

    def idx_after_latest_restart(self) -> int:
        """The index just after the latest `restart` event; 0 without one."""
        return self._after_restart

    def events_after_latest_restart(self) -> list[Event]:
        """The events after the latest `restart`, reverted ones included."""
        return self.events[self._after_restart :]

    def events_since(self, index: int) -> list[Event]:
        """The events from position `index` on (what a store appends after a turn)."""
        return self.events[index:]

    def get_latest_entity_values(
        self, entity_type: str, entity_role: str | None = None, entity_group: str | None = None
    ) -> Iterator[Any]:
        """Values of the latest message's entities of this type, role and group (a
        missing role or group matches only None)."""
        return (
            entity.get("value")
            for entity in self.latest_message.entities or []
            if entity.get("entity") == entity_type
            and entity.get("group") == entity_group
            and entity.get("role") == entity_role
        )

    def get_last_event_for(
        self,
        event_type: type[E] | tuple[type[E], ...],
        action_names_to_exclude: Collection[str] = (),
        skip: int = 0,
        event_verbosity: EventVerbosity = EventVerbosity.APPLIED,
    ) -> E | None:
        """The latest event of `event_type` (skipping `skip` matches and actions named in
        `action_names_to_exclude`) among the events of `event_verbosity`."""
        matches = (
            event
            for event in reversed(self._events_for(event_verbosity) or [])
            if isinstance(event, event_type)
            and not (
                isinstance(event, ActionExecuted) and event.action_name in action_names_to_exclude
            )
        )
        return next(islice(matches, skip, None), None)

    def last_executed_action_has(self, name: str, skip: int = 0) -> bool:
        """Whether the latest applied action other than action_listen is `name`."""
        last = self.get_last_event_for(
            ActionExecuted, action_names_to_exclude=(ACTION_LISTEN_NAME,), skip=skip
        )
        return last is not None and last.action_name == name

    def reminder_is_still_valid(self, reminder: ReminderScheduled) -> bool:
        """Whether a reminder with this name is still among the applied events (a
        restart or session start drops reminders)."""
        return any(
            isinstance(e, ReminderScheduled) and e.name == reminder.name
            for e in self.applied_events()
        )

    def has_user_message_after(self, reminder: ReminderScheduled) -> bool:
        """Whether the user wrote since the latest reminder with this name was scheduled
        (a `kill_on_user_msg` reminder is then dropped); True if it is not found."""
        for event in reversed(self.events):
            if isinstance(event, ReminderScheduled) and event.name == reminder.name:
                return False
            if isinstance(event, UserUttered) and event.text:
                return True
        return True

    def generate_all_prior_trackers(self) -> Iterator[tuple[DialogueStateTracker, bool]]:
        """Before each applied action, the tracker as it was, with the action's
        `hide_rule_turn`; then the final tracker. The same tracker object is yielded
        each time and changes after it is yielded."""
        tracker = self.init_copy()
        for event in self.applied_events():
            if isinstance(event, ActionExecuted):
                yield tracker, event.hide_rule_turn
            tracker.update(event)
        yield tracker, False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DialogueStateTracker):
            return NotImplemented
        return self.sender_id == other.sender_id and self.events == other.events

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DialogueStateTracker(sender_id={self.sender_id!r}, events={len(self.events)})"
