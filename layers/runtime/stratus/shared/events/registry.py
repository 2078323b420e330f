"""The one table of event types by their JSON `event` name, and parsing from JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stratus.shared.events.actions import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    FollowupAction,
    LoopInterrupted,
)
from stratus.shared.events.base import Event, FieldReader, InvalidEventError
from stratus.shared.events.reminders import ReminderCancelled, ReminderScheduled
from stratus.shared.events.state import (
    ActionReverted,
    AllSlotsReset,
    ConversationPaused,
    ConversationResumed,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
)
from stratus.shared.events.utterances import (
    AgentUttered,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    UserUttered,
)
from stratus.shared.problems import suggest

EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name: cls
    for cls in (
        UserUttered,
        BotUttered,
        ActionExecuted,
        SlotSet,
        ActiveLoop,
        LoopInterrupted,
        ActionExecutionRejected,
        FollowupAction,
        UserUtteranceReverted,
        ActionReverted,
        Restarted,
        AllSlotsReset,
        SessionStarted,
        ConversationPaused,
        ConversationResumed,
        ReminderScheduled,
        ReminderCancelled,
        DefinePrevUserUtteredFeaturization,
        EntitiesAdded,
        AgentUttered,
        StoryExported,
    )
}

# Names Rasa still reads from old trackers; they are written back under the new names.
_LEGACY_FORM = "form"  # -> active_loop
_LEGACY_FORM_VALIDATION = "form_validation"  # -> loop_interrupted, `validate` inverted
# Rasa skips old `topic` events when it loads a list of events.
_IGNORED_IN_LISTS = frozenset({"topic"})


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Parses one event from Rasa's JSON; raises `InvalidEventError` naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidEventError(f"must be an object, got {type(data).__name__}")
    name = data.get("event")
    if name is None:
        raise InvalidEventError("is required (the event type)", field="event")
    if not isinstance(name, str):
        raise InvalidEventError(f"must be a string, got {name!r}", field="event")
    if name == _LEGACY_FORM:
        return ActiveLoop.from_dict(data)
    if name == _LEGACY_FORM_VALIDATION:
        reader = FieldReader(name, data)
        return LoopInterrupted(
            is_interrupted=not reader.bool_("validate", True),
            timestamp=reader.timestamp(),
            metadata=reader.metadata(),
        )
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        raise InvalidEventError(
            f"unknown event type '{name}'.{suggest(name, EVENT_TYPES)}", field="event"
        )
    return event_type.from_dict(data)


def events_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[Event]:
    """Parses a list of events; errors say which item. Legacy `topic` events are skipped."""
    events: list[Event] = []
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("event") in _IGNORED_IN_LISTS:
            continue
        try:
            events.append(event_from_dict(item))
        except InvalidEventError as error:
            raise error.at_index(index) from None
    return events
