"""Which events of a conversation are in effect (Rasa's `applied_events`), and its sessions."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from stratus.shared.events.actions import (
    ACTION_SESSION_START_NAME,
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
)
from stratus.shared.events.base import Event
from stratus.shared.events.state import (
    ActionReverted,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from stratus.shared.events.utterances import DefinePrevUserUtteredFeaturization, UserUttered


def applied_events(
    events: Iterable[Event], loop_names: Collection[str] | None = None
) -> list[Event]:
    """The events that make up the current state, as Rasa 3.6 computes them.

    Left out: everything before the latest `restart` or `session_started` (and those
    events themselves), what a `rewind` reverted (back to and including the latest user
    message and the action before it) or an `undo` reverted (back to and including the
    latest action), and what a loop's happy path consumed: between two runs of the same
    loop, the user messages, actions and `user_featurization` events (slots and bot
    utterances stay). `loop_names` are the loops activated anywhere in the conversation;
    by default, those activated in `events`.
    """
    events = list(events)
    if loop_names is None:
        loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
    applied: list[Event] = []
    for event in events:
        apply_event(applied, event, loop_names)
    return applied


def apply_event(applied: list[Event], event: Event, loop_names: Collection[str]) -> None:
    """One step of `applied_events`: updates `applied` for the next event (valid as long
    as `loop_names` holds every loop of the whole conversation)."""
    if isinstance(event, Restarted | SessionStarted):
        applied.clear()
    elif isinstance(event, ActionReverted):
        _undo_till_previous(ActionExecuted, applied)
    elif isinstance(event, UserUtteranceReverted):
        # A user message implies the action_listen before it: revert both.
        _undo_till_previous(UserUttered, applied)
        _undo_till_previous(ActionExecuted, applied)
    elif (
        isinstance(event, ActionExecuted)
        and event.action_name is not None
        and event.action_name in loop_names
        and not _first_loop_execution_or_unhappy_path(event.action_name, applied)
    ):
        _undo_till_previous_loop_execution(event.action_name, applied)
    else:
        applied.append(event)


def split_sessions(events: Iterable[Event]) -> list[list[Event]]:
    """The events cut into conversation sessions, each starting with its
    `action_session_start` action (events before the first one form their own part),
    as Rasa splits a tracker before showing its latest session."""
    sessions: list[list[Event]] = []
    current: list[Event] = []
    for event in events:
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            if current:
                sessions.append(current)
            current = []
        current.append(event)
    if current:
        sessions.append(current)
    return sessions


def _undo_till_previous(event_type: type[Event], done: list[Event]) -> None:
    """Drops events from the end up to and including the latest `event_type`."""
    while done:
        if isinstance(done.pop(), event_type):
            break


def _first_loop_execution_or_unhappy_path(loop_name: str, applied: Sequence[Event]) -> bool:
    next_action: str | None = None
    for event in reversed(applied):
        # A deactivation means the loop runs for the first time since.
        if isinstance(event, ActiveLoop) and event.name is None:
            return True
        if _is_within_unhappy_path(loop_name, event, next_action):
            return True
        if isinstance(event, ActionExecuted):
            if event.action_name == loop_name:
                return False  # an earlier run of the loop, on its happy path
            next_action = event.action_name
    return True


def _is_within_unhappy_path(loop_name: str, event: Event, next_action: str | None) -> bool:
    # Live conversations mark the unhappy path with a rejection; training data has none,
    # so there another action running after the user message marks it.
    rejected = isinstance(event, ActionExecutionRejected) and event.action_name == loop_name
    other_action_after_user = (
        isinstance(event, UserUttered) and next_action is not None and next_action != loop_name
    )
    return rejected or other_action_after_user


def _undo_till_previous_loop_execution(loop_name: str, done: list[Event]) -> None:
    """Drops the user messages, actions and featurization events since the loop's
    previous run, keeping everything else (slots, bot utterances, ...)."""
    offset = 0
    for event in reversed(done[:]):
        if isinstance(event, ActionExecuted) and event.action_name == loop_name:
            break
        if isinstance(event, ActionExecuted | UserUttered | DefinePrevUserUtteredFeaturization):
            del done[-1 - offset]
        else:
            offset += 1
