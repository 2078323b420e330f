"""Events that change the conversation state without words: slots, restarts, rewinds,
sessions, pauses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from stratus.shared.events.base import Event, FieldReader, JsonDict


@dataclass(frozen=True, eq=False)
class SlotSet(Event):
    """Sets slot `key` (JSON `name`) to `value`; the value is stored as given."""

    type_name: ClassVar[str] = "slot"

    key: str
    value: Any = None

    def _payload(self) -> JsonDict:
        return {"name": self.key, "value": self.value}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"key": reader.required_str("name"), "value": reader.any("value")}


@dataclass(frozen=True, eq=False)
class Restarted(Event):
    """Resets the tracker; `action_session_start` follows (`restart`)."""

    type_name: ClassVar[str] = "restart"


@dataclass(frozen=True, eq=False)
class UserUtteranceReverted(Event):
    """Undoes everything back to before the latest user message (`rewind`)."""

    type_name: ClassVar[str] = "rewind"


@dataclass(frozen=True, eq=False)
class ActionReverted(Event):
    """Undoes the latest action and everything after it (`undo`)."""

    type_name: ClassVar[str] = "undo"


@dataclass(frozen=True, eq=False)
class AllSlotsReset(Event):
    """Sets every slot back to its initial value (`reset_slots`)."""

    type_name: ClassVar[str] = "reset_slots"


@dataclass(frozen=True, eq=False)
class SessionStarted(Event):
    """A new conversation session starts: resets the tracker like a restart
    (`session_started`); carried-over slots follow as `slot` events."""

    type_name: ClassVar[str] = "session_started"


@dataclass(frozen=True, eq=False)
class ConversationPaused(Event):
    """A human takes over; the bot ignores messages (`pause`)."""

    type_name: ClassVar[str] = "pause"


@dataclass(frozen=True, eq=False)
class ConversationResumed(Event):
    """The bot takes the conversation back (`resume`)."""

    type_name: ClassVar[str] = "resume"


@dataclass(frozen=True, eq=False)
class StoryExported(Event):
    """A legacy `export` (Rasa wrote the story to `path`); recorded, with no effect."""

    type_name: ClassVar[str] = "export"

    path: str | None = None

    def _payload(self) -> JsonDict:
        # Rasa drops the path when serializing; kept here when set, so nothing is lost.
        return {} if self.path is None else {"path": self.path}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"path": reader.optional_str("path")}
