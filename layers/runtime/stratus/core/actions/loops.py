"""Loops (forms and the two-stage fallback): activate, do a step, finish."""

from __future__ import annotations

from abc import abstractmethod

from stratus.core.actions.base import Action, ActionContext
from stratus.core.actions.defaults import ActionDefaultFallback, clarified
from stratus.shared.domain.constants import (
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_LISTEN,
    ACTION_TWO_STAGE_FALLBACK,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
)
from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    UserUtteranceReverted,
    UserUttered,
)
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity


class LoopAction(Action):
    """Rasa's loop protocol: activate when not active, run a step unless done, and
    deactivate (`active_loop: null`) once done."""

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        events: list[Event] = []
        if tracker.active_loop_name != self.name:
            events.append(ActiveLoop(self.name))
            events += self.activate(tracker, context)
        if not self.is_done(tracker, context, events):
            events += self.do(tracker, context, events)
        if self.is_done(tracker, context, events):
            events.append(ActiveLoop(None))
            events += self.deactivate(tracker, context, events)
        return events

    def activate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return []

    @abstractmethod
    def do(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]: ...

    @abstractmethod
    def is_done(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> bool: ...

    def deactivate(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]:
        return []


class TwoStageFallbackAction(LoopAction):
    """Asks the user to affirm the guessed intent, then to rephrase; gives up with the
    default fallback after a second failure. On success the clarified message replaces
    the misunderstood one."""

    @property
    def name(self) -> str:
        return ACTION_TWO_STAGE_FALLBACK

    def do(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]:
        just_activated = any(isinstance(e, ActiveLoop) for e in events_so_far)
        if just_activated or _last_intent(tracker) == INTENT_NLU_FALLBACK:
            return context.action(ACTION_DEFAULT_ASK_AFFIRMATION).run(tracker, context)
        return context.action(ACTION_DEFAULT_ASK_REPHRASE).run(tracker, context)

    def is_done(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> bool:
        clarified_intent = _last_intent(tracker) not in (INTENT_NLU_FALLBACK, INTENT_OUT_OF_SCOPE)
        return clarified_intent or _gave_up(tracker)

    def deactivate(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]:
        if _gave_up(tracker):
            return ActionDefaultFallback().run(tracker, context)
        # Reverts the clarification turn and replays the clarified message, so that the
        # policies see an understood message.
        return [
            UserUtteranceReverted(),
            ActionExecuted(ACTION_LISTEN),
            clarified(tracker.latest_message),
        ]


def _last_intent(tracker: DialogueStateTracker) -> str | None:
    return tracker.latest_message.intent_name


def _last_intents(tracker: DialogueStateTracker, count: int) -> list[str | None]:
    # A rewind between messages ends the streak: a reverted message does not count.
    names: list[str | None] = []
    for skip in range(count):
        message = tracker.get_last_event_for(
            (UserUttered, UserUtteranceReverted),
            skip=skip,
            event_verbosity=EventVerbosity.AFTER_RESTART,
        )
        if isinstance(message, UserUttered):
            names.append(message.intent_name)
    return names


def _gave_up(tracker: DialogueStateTracker) -> bool:
    two_fallbacks = _last_intents(tracker, 2) == [INTENT_NLU_FALLBACK, INTENT_NLU_FALLBACK]
    second_denial = _last_intents(tracker, 3) == [
        INTENT_OUT_OF_SCOPE,
        INTENT_NLU_FALLBACK,
        INTENT_OUT_OF_SCOPE,
    ]
    return two_fallbacks or second_denial
