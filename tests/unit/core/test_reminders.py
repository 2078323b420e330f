"""Reminders through the scheduler interface, fired in process."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from core_helpers import event_names, make_processor, respond_then_listen

from stratus.core.processor import MessageProcessor, UserMessage
from stratus.core.scheduler import InProcessScheduler
from stratus.shared.domain import domain_from_yaml
from stratus.stores import SQLiteTrackerStore

DOMAIN = domain_from_yaml(
    """
version: "3.1"
intents: [remind_me, ping, forget, greet]
responses:
  utter_ping: [{text: "Ping! You asked me to remind you."}]
  utter_greet: [{text: "hi"}]
actions: [action_set_reminder, action_forget_reminders]
"""
)


def reminder_at(seconds: float, kill_on_user_msg: bool) -> dict[str, Any]:
    when = datetime.now() + timedelta(seconds=seconds)
    return {
        "event": "reminder",
        "intent": "ping",
        "date_time": when.isoformat(),
        "name": "ping_me",
        "kill_on_user_msg": kill_on_user_msg,
        "entities": None,
    }


def processor_with(
    store: SQLiteTrackerStore, kill_on_user_msg: bool
) -> tuple[MessageProcessor, InProcessScheduler]:
    scheduler = InProcessScheduler()
    handlers = {
        "action_set_reminder": lambda e, c: {"events": [reminder_at(60, kill_on_user_msg)]},
        "action_forget_reminders": lambda e, c: {
            "events": [{"event": "cancel_reminder", "intent": "ping"}]
        },
    }
    predictor = respond_then_listen(
        {
            "remind_me": "action_set_reminder",
            "ping": "utter_ping",
            "forget": "action_forget_reminders",
            "greet": "utter_greet",
        }
    )
    processor = make_processor(DOMAIN, predictor, store, handlers, scheduler=scheduler)
    scheduler.bind(processor.handle_reminder)
    return processor, scheduler


def test_reminder_fires_as_an_external_intent(store: SQLiteTrackerStore) -> None:
    processor, scheduler = processor_with(store, kill_on_user_msg=False)
    processor.handle_message(UserMessage("/remind_me", sender_id="r", input_channel="rest"))
    assert [r.name for r in scheduler.pending("r")] == ["ping_me"]
    assert scheduler.run_due(time.time()) == 0  # not due yet
    processor.handle_message(UserMessage("/greet", sender_id="r", input_channel="rest"))
    assert scheduler.run_due(time.time() + 120) == 1
    events = processor.tracker("r").events
    names = event_names(events)
    assert names[-4:] == [
        "user:ping",
        "action:utter_ping",
        "bot:Ping! You asked me to remind you.",
        "action:action_listen",
    ]
    external = events[-4]
    assert external.metadata == {"is_external": True}  # type: ignore[union-attr]
    assert getattr(external, "text", None) == "EXTERNAL: ping"
    assert getattr(external, "input_channel", None) == "rest"
    assert scheduler.pending() == []


def test_kill_on_user_message_drops_the_reminder(store: SQLiteTrackerStore) -> None:
    processor, scheduler = processor_with(store, kill_on_user_msg=True)
    processor.handle_message(UserMessage("/remind_me", sender_id="k"))
    processor.handle_message(UserMessage("/greet", sender_id="k"))
    before = len(processor.tracker("k").events)
    assert scheduler.run_due(time.time() + 120) == 1
    assert len(processor.tracker("k").events) == before  # fired, found outdated, no turn


def test_cancel_reminder_removes_the_job(store: SQLiteTrackerStore) -> None:
    processor, scheduler = processor_with(store, kill_on_user_msg=False)
    processor.handle_message(UserMessage("/remind_me", sender_id="c"))
    processor.handle_message(UserMessage("/forget", sender_id="c"))
    assert scheduler.pending("c") == []
    assert scheduler.run_due(time.time() + 120) == 0


def test_reminders_of_other_conversations_are_kept(store: SQLiteTrackerStore) -> None:
    processor, scheduler = processor_with(store, kill_on_user_msg=False)
    processor.handle_message(UserMessage("/remind_me", sender_id="a"))
    processor.handle_message(UserMessage("/remind_me", sender_id="b"))
    processor.handle_message(UserMessage("/forget", sender_id="a"))
    assert [r.name for r in scheduler.pending()] == ["ping_me"]
    assert scheduler.pending("a") == []


def test_timer_mode_fires_on_its_own(store: SQLiteTrackerStore) -> None:
    fired: list[str] = []
    scheduler = InProcessScheduler(lambda sender, reminder: fired.append(sender), use_timers=True)
    from stratus.shared.events import ReminderScheduled

    scheduler.schedule("t", ReminderScheduled("ping", datetime.now() + timedelta(seconds=0.05)))
    deadline = time.time() + 5
    while not fired and time.time() < deadline:
        time.sleep(0.01)
    assert fired == ["t"]
