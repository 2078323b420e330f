"""Reminders: `reminder` schedules an intent for later, `cancel_reminder` cancels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from stratus.shared.events.base import Event, FieldReader, JsonDict


def _new_reminder_name() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, eq=False)
class ReminderScheduled(Event):
    """Triggers `intent` (with `entities`) at `trigger_date_time` (JSON `date_time`, ISO 8601).

    Reminders with the same `name` replace each other; `kill_on_user_message` (JSON
    `kill_on_user_msg`) drops the reminder if the user writes before it fires.
    """

    type_name: ClassVar[str] = "reminder"

    intent: str
    trigger_date_time: datetime
    entities: list[JsonDict] | None = None
    name: str = field(default_factory=_new_reminder_name)
    kill_on_user_message: bool = True

    def _payload(self) -> JsonDict:
        return {
            "intent": self.intent,
            "date_time": self.trigger_date_time.isoformat(),
            "entities": self.entities,
            "name": self.name,
            "kill_on_user_msg": self.kill_on_user_message,
        }

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        raw = reader.any("date_time")
        if isinstance(raw, datetime):
            when = raw
        elif isinstance(raw, str):
            try:
                when = datetime.fromisoformat(raw)
            except ValueError:
                raise reader.fail(
                    "date_time", f"is not an ISO 8601 date and time: {raw!r}"
                ) from None
        else:
            raise reader.fail("date_time", "is required (an ISO 8601 date and time)")
        return {
            "intent": reader.required_str("intent"),
            "trigger_date_time": when,
            "entities": reader.optional_entities("entities"),
            "name": reader.optional_str("name") or _new_reminder_name(),
            "kill_on_user_message": reader.bool_("kill_on_user_msg", True),
        }


@dataclass(frozen=True, eq=False)
class ReminderCancelled(Event):
    """Cancels the reminders matching `name`, `intent` and `entities`; all of them when
    none is given."""

    type_name: ClassVar[str] = "cancel_reminder"

    name: str | None = None
    intent: str | None = None
    entities: list[JsonDict] | None = None

    def cancels(self, reminder: ReminderScheduled) -> bool:
        """Whether this cancels `reminder` (each given criterion must match, as in Rasa)."""
        return (
            (not self.name or self.name == reminder.name)
            and (not self.intent or self.intent == reminder.intent)
            and (not self.entities or self.entities == reminder.entities)
        )

    def _payload(self) -> JsonDict:
        # Rasa 3.6 serializes only `event` and `timestamp` here, losing what to cancel;
        # the fields that are set are kept (the JSON rasa_sdk sends has them).
        payload = {"name": self.name, "intent": self.intent, "entities": self.entities}
        return {key: value for key, value in payload.items() if value is not None}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {
            "name": reader.optional_str("name"),
            "intent": reader.optional_str("intent"),
            "entities": reader.optional_entities("entities"),
        }
