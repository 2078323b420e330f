"""Reminders in Lambda: one EventBridge Scheduler schedule per reminder.

A container is frozen between invocations, so the in-process scheduler cannot fire
there. A `reminder` event becomes a one-time schedule (`at(...)`, deleted after it ran)
in the stack's schedule group whose target is the reminders function, with the
conversation id and the reminder's event JSON as input; `cancel_reminder` deletes the
conversation's schedules it matches (Rasa's matching: name, or intent and entities).

Schedule names are `r-<hash of conversation id>-<hash of reminder name>`, so setting a
reminder of the same name again replaces it, as in Rasa.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from datetime import UTC
from typing import Any

from stratus.shared.events import ReminderCancelled, ReminderScheduled, event_from_dict
from stratus.shared.exceptions import StratusError

logger = logging.getLogger(__name__)

INPUT_KEY = "stratus_reminder"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def schedule_prefix(sender_id: str) -> str:
    return f"r-{_digest(sender_id)}-"


def schedule_name(sender_id: str, reminder_name: str) -> str:
    return schedule_prefix(sender_id) + _digest(reminder_name)


def reminder_input(sender_id: str, reminder: ReminderScheduled) -> dict[str, Any]:
    """What the reminders function receives when the schedule fires."""
    return {INPUT_KEY: {"sender_id": sender_id, "reminder": reminder.as_dict()}}


def is_reminder_event(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get(INPUT_KEY), dict)


def reminder_from_event(event: dict[str, Any]) -> tuple[str, ReminderScheduled]:
    """The conversation id and reminder of a fired schedule's input."""
    body = event[INPUT_KEY]
    reminder = event_from_dict(body["reminder"])
    if not isinstance(reminder, ReminderScheduled):
        raise StratusError(f"A reminder schedule carried a '{reminder.type_name}' event.")
    return str(body["sender_id"]), reminder


class EventBridgeReminderScheduler:
    """ReminderScheduler over EventBridge Scheduler (`client`: a boto3 `scheduler`)."""

    def __init__(self, client: Any, *, group: str, target_arn: str, role_arn: str) -> None:
        self.client = client
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn

    def schedule(self, sender_id: str, reminder: ReminderScheduled) -> None:
        name = schedule_name(sender_id, reminder.name)
        moment = reminder.trigger_date_time
        if moment.tzinfo is None:  # Rasa takes a naive time as local time
            moment = moment.astimezone()
        at = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        self._delete(name)
        self.client.create_schedule(
            Name=name,
            GroupName=self.group,
            ScheduleExpression=f"at({at})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": self.target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(reminder_input(sender_id, reminder)),
            },
        )
        logger.info(
            "Conversation '%s': reminder '%s' scheduled at %s UTC.", sender_id, reminder.name, at
        )

    def cancel(self, sender_id: str, cancellation: ReminderCancelled) -> None:
        prefix = schedule_prefix(sender_id)
        names: list[str] = []
        token: str | None = None
        while True:
            page = self.client.list_schedules(
                GroupName=self.group, NamePrefix=prefix, **({"NextToken": token} if token else {})
            )
            names += [s["Name"] for s in page.get("Schedules", [])]
            token = page.get("NextToken")
            if not token:
                break
        for name in names:
            schedule = self.client.get_schedule(Name=name, GroupName=self.group)
            try:
                _, reminder = reminder_from_event(json.loads(schedule["Target"]["Input"]))
            except (KeyError, ValueError, StratusError):
                continue
            if cancellation.cancels(reminder):
                self._delete(name)

    def _delete(self, name: str) -> None:
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_schedule(Name=name, GroupName=self.group)
