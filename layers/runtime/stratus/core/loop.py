"""The conversation loop on one tracker: sessions, slot extraction, and predicting and
running actions until the bot listens. It knows nothing of stores or channels, so the
processor, `stratus shell` and `stratus test core` can share it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from stratus.core.actions.base import Action, ActionContext
from stratus.core.actions.defaults import ActionSessionStart
from stratus.core.actions.registry import UnknownActionError
from stratus.core.actions.slot_mappings import ActionExtractSlots
from stratus.core.prediction import FOLLOWUP_ACTION_POLICY, ActionPrediction, Prediction, Predictor
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import (
    ACTION_BACK,
    ACTION_DEFAULT_FALLBACK,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    INTENT_BACK,
    INTENT_RESTART,
    INTENT_SESSION_START,
    SESSION_STARTED_METADATA_SLOT,
)
from stratus.shared.events import ActionExecutionRejected, Event, JsonDict, SlotSet, UserUttered
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.shared.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)

MAX_NUMBER_OF_PREDICTIONS = 10
# Rasa's RulePolicy maps these intents to their actions before anything else.
DEFAULT_INTENT_ACTIONS = {
    INTENT_RESTART: ACTION_RESTART,
    INTENT_BACK: ACTION_BACK,
    INTENT_SESSION_START: ACTION_SESSION_START,
}
DEFAULT_INTENT_POLICY = "RulePolicy"


@dataclass
class LoopSettings:
    """Knobs of the conversation loop."""

    max_predictions: int = MAX_NUMBER_OF_PREDICTIONS
    # Answer `/restart`, `/back` and `/session_start` even if no policy knows them (Rasa
    # leaves this to RulePolicy, which every default config has).
    default_intent_actions: bool = True


class DialogueLoop:
    """Runs actions on a tracker; every event it records goes through `tracker.update`."""

    def __init__(
        self,
        domain: Domain,
        predictor: Predictor,
        settings: LoopSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.domain = domain
        self.predictor = predictor
        self.settings = settings or LoopSettings()
        self.clock = clock

    # -- sessions --------------------------------------------------------------------

    def session_expired(self, tracker: DialogueStateTracker) -> bool:
        """Whether the latest user message is older than `session_expiration_time`."""
        config = self.domain.session_config
        if not config.are_sessions_enabled:
            return False
        last = tracker.get_last_event_for(UserUttered)
        if last is None:
            return False
        return (self.clock() - last.timestamp) / 60 > config.session_expiration_time

    def ensure_session(
        self, tracker: DialogueStateTracker, context: ActionContext, metadata: JsonDict | None
    ) -> None:
        """Runs `action_session_start` for a new conversation or an expired session."""
        if tracker.applied_events() and not self.session_expired(tracker):
            return
        logger.debug("Starting a new session for conversation '%s'.", tracker.sender_id)
        if metadata:
            tracker.update(SlotSet(SESSION_STARTED_METADATA_SLOT, metadata))
        self.run_action(tracker, ActionSessionStart(), ActionPrediction(None, 1.0), context)

    # -- one user turn -----------------------------------------------------------------

    def extract_slots(self, tracker: DialogueStateTracker, context: ActionContext) -> None:
        """`action_extract_slots`: its events are recorded without an `action` event."""
        try:
            events = ActionExtractSlots().run(tracker, context)
        except Exception:
            logger.exception("Conversation '%s': slot extraction failed.", tracker.sender_id)
            return
        tracker.update_with_events(events)

    def predict_and_run(self, tracker: DialogueStateTracker, context: ActionContext) -> None:
        """Predicts and runs actions until `action_listen`, at most `max_predictions`."""
        count = 0
        predict_more = True
        while (
            predict_more and self._should_handle(tracker) and count < self.settings.max_predictions
        ):
            chosen = self.predict(tracker, context)
            if chosen is None:
                return
            predict_more = self.run_action(tracker, *chosen, context)
            count += 1
        if predict_more and count >= self.settings.max_predictions:
            logger.warning(
                "Conversation '%s': circuit breaker tripped after %d predictions; stopped "
                "predicting more actions.",
                tracker.sender_id,
                count,
            )

    def _should_handle(self, tracker: DialogueStateTracker) -> bool:
        return not tracker.paused or tracker.latest_message.intent_name == INTENT_RESTART

    def predict(
        self, tracker: DialogueStateTracker, context: ActionContext
    ) -> tuple[Action, Prediction] | None:
        """The next action: a pending followup, a default intent's action, or the
        policies' choice (told which action was just rejected)."""
        followup = tracker.followup_action
        if followup:
            # Consumed here as in Rasa (it is state, not an event).
            tracker.followup_action = None
            if followup in self.domain.action_names_or_texts:
                return context.action(followup), ActionPrediction(FOLLOWUP_ACTION_POLICY, 1.0)
            logger.error(
                "Conversation '%s': followup action '%s' is not in the domain.",
                tracker.sender_id,
                followup,
            )
        if self.settings.default_intent_actions and tracker.latest_action_name == ACTION_LISTEN:
            mapped = DEFAULT_INTENT_ACTIONS.get(tracker.latest_message.intent_name or "")
            if mapped:
                return context.action(mapped), ActionPrediction(DEFAULT_INTENT_POLICY, 1.0)
        last = tracker.events[-1] if tracker.events else None
        rejected = last.action_name if isinstance(last, ActionExecutionRejected) else None
        name, prediction = self.predictor.predict_next_action(tracker, self.domain, rejected)
        try:
            return context.action(name), prediction
        except UnknownActionError:
            logger.error(
                "Conversation '%s': the policies predicted '%s', which is not in the domain; "
                "waiting for the user.",
                tracker.sender_id,
                name,
            )
            return None

    def run_action(
        self,
        tracker: DialogueStateTracker,
        action: Action,
        prediction: Prediction,
        context: ActionContext,
    ) -> bool:
        """Runs `action` and records it as Rasa does; returns whether to predict again.

        A rejection records only `action_execution_rejected`. A failure (an exception,
        an unreachable action server) records the `action` event without the action's
        events, then runs `action_default_fallback` next, so the user hears the fallback
        response instead of silence (Rasa 3.6 just predicts on).
        """
        view = tracker
        if prediction.events:
            view = tracker.copy()
            for event in prediction.events:
                view.update(event)
        try:
            events = action.run(view, context)
        except ActionRejection:
            tracker.update(
                ActionExecutionRejected(
                    action.name, prediction.policy_name, prediction.max_confidence
                )
            )
            return True
        except ActionFailure as failure:
            logger.error(
                "Conversation '%s': action '%s' failed: %s. The conversation goes on "
                "without its events.",
                tracker.sender_id,
                action.name,
                failure,
            )
            events, failed = [], True
        except Exception:
            logger.exception(
                "Conversation '%s': action '%s' raised. The conversation goes on without "
                "its events.",
                tracker.sender_id,
                action.name,
            )
            events, failed = [], True
        else:
            failed = False
        if not any(isinstance(e, ActionExecutionRejected) for e in events):
            tracker.update_with_events(prediction.events)
            tracker.update_with_events([action.executed_event(prediction)])
        tracker.update_with_events(events)
        if failed and action.name != ACTION_DEFAULT_FALLBACK:
            tracker.followup_action = ACTION_DEFAULT_FALLBACK
        if any(isinstance(e, UserUttered) for e in events):
            # A custom action that makes the user say something gets its slots filled too.
            self.extract_slots(tracker, context)
        return action.name not in (ACTION_LISTEN, ACTION_SESSION_START)


def new_events(tracker: DialogueStateTracker, start: int) -> list[Event]:
    """The events recorded since position `start`."""
    return tracker.events_since(start)
