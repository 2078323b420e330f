"""Reminders: `reminder` events schedule an intent for later, `cancel_reminder` cancels.

The processor talks to a `ReminderScheduler`; here is the in-process one (a dict of
jobs, fired by `run_due()` or, with `use_timers`, by threading timers). The serverless
issue adds one backed by EventBridge Scheduler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from stratus.shared.events import ReminderCancelled, ReminderScheduled

logger = logging.getLogger(__name__)

ReminderCallback = Callable[[str, ReminderScheduled], object]


class ReminderScheduler(Protocol):
    """Where the processor hands reminders after a turn is stored."""

    def schedule(self, sender_id: str, reminder: ReminderScheduled) -> None:
        """Fire `reminder` for `sender_id` at its time; replaces one of the same name."""
        ...

    def cancel(self, sender_id: str, cancellation: ReminderCancelled) -> None:
        """Drop the conversation's reminders that `cancellation` matches."""
        ...


def fire_time(reminder: ReminderScheduled) -> float:
    """The reminder's time as epoch seconds; a naive time is taken as local time, as
    Rasa's APScheduler does."""
    return reminder.trigger_date_time.timestamp()


class InProcessScheduler:
    """Keeps reminders in memory. `bind` the callback (usually
    `processor.handle_reminder`) before reminders fall due."""

    def __init__(
        self,
        callback: ReminderCallback | None = None,
        *,
        use_timers: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._callback = callback
        self._use_timers = use_timers
        self._clock = clock
        self._jobs: dict[tuple[str, str], ReminderScheduled] = {}
        self._timers: dict[tuple[str, str], threading.Timer] = {}
        self._lock = threading.Lock()

    def bind(self, callback: ReminderCallback) -> None:
        self._callback = callback

    def schedule(self, sender_id: str, reminder: ReminderScheduled) -> None:
        key = (sender_id, reminder.name)
        with self._lock:
            self._drop(key)
            self._jobs[key] = reminder
            if self._use_timers:
                delay = max(0.0, fire_time(reminder) - self._clock())
                timer = threading.Timer(delay, self._fire, args=(key,))
                timer.daemon = True
                self._timers[key] = timer
                timer.start()

    def cancel(self, sender_id: str, cancellation: ReminderCancelled) -> None:
        with self._lock:
            for key, reminder in list(self._jobs.items()):
                if key[0] == sender_id and cancellation.cancels(reminder):
                    self._drop(key)

    def pending(self, sender_id: str | None = None) -> list[ReminderScheduled]:
        """Scheduled reminders (of one conversation), soonest first."""
        with self._lock:
            jobs = [r for (s, _), r in self._jobs.items() if sender_id in (None, s)]
        return sorted(jobs, key=fire_time)

    def run_due(self, now: float | None = None) -> int:
        """Fires every reminder due at `now` (default: the clock); returns how many."""
        moment = self._clock() if now is None else now
        with self._lock:
            due = sorted(
                (key for key, r in self._jobs.items() if fire_time(r) <= moment),
                key=lambda key: fire_time(self._jobs[key]),
            )
        for key in due:
            self._fire(key)
        return len(due)

    def _drop(self, key: tuple[str, str]) -> None:
        self._jobs.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _fire(self, key: tuple[str, str]) -> None:
        with self._lock:
            reminder = self._jobs.pop(key, None)
            self._timers.pop(key, None)
        if reminder is None:
            return
        if self._callback is None:
            logger.error("Reminder '%s' fell due, but no callback is bound.", reminder.name)
            return
        try:
            self._callback(key[0], reminder)
        except Exception:
            # A reminder runs outside any request: its failure must not kill the timer thread.
            logger.exception("Conversation '%s': reminder '%s' failed.", key[0], reminder.name)
