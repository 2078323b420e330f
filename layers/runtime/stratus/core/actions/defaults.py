"""Rasa's default actions (except the loops: forms and the two-stage fallback)."""

from __future__ import annotations

import dataclasses
import time

from stratus.core.actions.base import UTTER_ACTION_KEY, Action, ActionContext, bot_utterance
from stratus.core.actions.responses import utter
from stratus.shared.domain.constants import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_SESSION_START,
    ACTION_UNLIKELY_INTENT,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
)
from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from stratus.shared.tracker import DialogueStateTracker


class _Named(Action):
    action_name = ""

    @property
    def name(self) -> str:
        return self.action_name


class ActionListen(_Named):
    """Waits for the user; no events."""

    action_name = ACTION_LISTEN

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return []


class ActionRestart(_Named):
    """`utter_restart` if the domain has it, then `restart` (which makes
    `action_session_start` the followup)."""

    action_name = ACTION_RESTART

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [*utter("utter_restart", tracker, context, silent_fail=True), Restarted()]


class ActionSessionStart(_Named):
    """`session_started`, the carried-over slots, then `action_listen`."""

    action_name = ACTION_SESSION_START

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        events: list[Event] = [SessionStarted()]
        applied_slots = [e for e in tracker.applied_events() if isinstance(e, SlotSet)]
        if context.domain.session_config.carry_over_slots_to_new_session:
            events += [SlotSet(e.key, e.value, metadata=e.metadata) for e in applied_slots]
        else:
            # The new session's metadata is set just before this action runs; it belongs
            # to the new session even when nothing else is carried over.
            events += [
                SlotSet(e.key, e.value, metadata=e.metadata)
                for e in applied_slots[-1:]
                if e.key == SESSION_STARTED_METADATA_SLOT
            ]
        events.append(ActionExecuted(ACTION_LISTEN))
        return events


class ActionDefaultFallback(_Named):
    """`utter_default` if defined, then `rewind`: the message that confused the bot is
    undone, slots it set included."""

    action_name = ACTION_DEFAULT_FALLBACK

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [
            *utter("utter_default", tracker, context, silent_fail=True),
            UserUtteranceReverted(),
        ]


class ActionDeactivateLoop(_Named):
    """Stops the active form and forgets which slot it asked for."""

    action_name = ACTION_DEACTIVATE_LOOP

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]


class ActionBack(_Named):
    """`utter_back` if defined, then two `rewind`s: back to before the previous message."""

    action_name = ACTION_BACK

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [
            *utter("utter_back", tracker, context, silent_fail=True),
            UserUtteranceReverted(),
            UserUtteranceReverted(),
        ]


class ActionUnlikelyIntent(_Named):
    """Marks a turn UnexpecTED Intent Policy found unlikely; no events."""

    action_name = ACTION_UNLIKELY_INTENT

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return []


class ActionDefaultAskAffirmation(_Named):
    """Asks "Did you mean '<intent>'?" with buttons to affirm or deny (out_of_scope)."""

    action_name = ACTION_DEFAULT_ASK_AFFIRMATION

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        message = tracker.latest_message
        intent = message.intent_name
        ranking = message.parse_data.get("intent_ranking") or []
        # For an `nlu_fallback`, the intent worth asking about is the runner-up.
        if intent == INTENT_NLU_FALLBACK and len(ranking) > 1:
            intent = ranking[1].get("name")
        return [
            bot_utterance(
                {
                    "text": f"Did you mean '{intent}'?",
                    "buttons": [
                        {"title": "Yes", "payload": f"/{intent}"},
                        {"title": "No", "payload": f"/{INTENT_OUT_OF_SCOPE}"},
                    ],
                    UTTER_ACTION_KEY: self.name,
                }
            )
        ]


class ActionDefaultAskRephrase(_Named):
    """Sends `utter_ask_rephrase` if defined."""

    action_name = ACTION_DEFAULT_ASK_REPHRASE

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return utter("utter_ask_rephrase", tracker, context, silent_fail=True)


class ActionRevertFallbackEvents(_Named):
    """After a two-stage fallback succeeded: removes the clarification turns and puts
    back the clarified message (with confidence 1.0) as if it had been understood."""

    action_name = ACTION_REVERT_FALLBACK_EVENTS

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        if tracker.last_executed_action_has(ACTION_DEFAULT_ASK_REPHRASE):
            return [*_rephrasing_reverts(), _replayed(tracker)]
        if tracker.last_executed_action_has(ACTION_DEFAULT_ASK_AFFIRMATION):
            events = _affirmation_reverts()
            if tracker.last_executed_action_has(ACTION_DEFAULT_ASK_REPHRASE, skip=1):
                events += _rephrasing_reverts()
            return [*events, _replayed(tracker)]
        return []


def _affirmation_reverts() -> list[Event]:
    # The affirmation with its question, then the misunderstood message itself.
    return [UserUtteranceReverted(), UserUtteranceReverted(), ActionExecuted(ACTION_LISTEN)]


def _rephrasing_reverts() -> list[Event]:
    # The rephrasing, the rephrase request, the affirmation request and the false intent.
    return [
        UserUtteranceReverted(),
        UserUtteranceReverted(),
        UserUtteranceReverted(),
        ActionExecuted(ACTION_LISTEN),
    ]


def _replayed(tracker: DialogueStateTracker) -> UserUttered:
    """The latest user message again, now fully confident in its intent."""
    last = tracker.get_last_event_for(UserUttered)
    if last is None:
        raise ValueError("there is no user message to revert to")
    return clarified(last)


def clarified(message: UserUttered) -> UserUttered:
    """`message` with its intent's confidence set to 1.0 and a fresh timestamp."""
    parse_data = dict(message.parse_data)
    parse_data["intent"] = {**(parse_data.get("intent") or {}), "confidence": 1.0}
    return dataclasses.replace(message, parse_data=parse_data, timestamp=time.time())
