"""Conversation events: typed, immutable, and serialized field for field as Rasa 3.6 does.

`event.as_dict()` gives Rasa's JSON; `event_from_dict(d)` parses it back.
"""

from stratus.shared.events.actions import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    FollowupAction,
    LoopInterrupted,
)
from stratus.shared.events.base import Event, InvalidEventError, JsonDict, compact_json
from stratus.shared.events.history import applied_events, split_sessions
from stratus.shared.events.registry import EVENT_TYPES, event_from_dict, events_from_dicts
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
    EXTERNAL_MESSAGE_PREFIX,
    IS_EXTERNAL,
    AgentUttered,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    UserUttered,
)

__all__ = [
    "ACTION_LISTEN_NAME",
    "ACTION_SESSION_START_NAME",
    "EVENT_TYPES",
    "EXTERNAL_MESSAGE_PREFIX",
    "IS_EXTERNAL",
    "ActionExecuted",
    "ActionExecutionRejected",
    "ActionReverted",
    "ActiveLoop",
    "AgentUttered",
    "AllSlotsReset",
    "BotUttered",
    "ConversationPaused",
    "ConversationResumed",
    "DefinePrevUserUtteredFeaturization",
    "EntitiesAdded",
    "Event",
    "FollowupAction",
    "InvalidEventError",
    "JsonDict",
    "LoopInterrupted",
    "ReminderCancelled",
    "ReminderScheduled",
    "Restarted",
    "SessionStarted",
    "SlotSet",
    "StoryExported",
    "UserUtteranceReverted",
    "UserUttered",
    "applied_events",
    "compact_json",
    "event_from_dict",
    "events_from_dicts",
    "split_sessions",
]
