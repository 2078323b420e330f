"""Actions that send a response: `utter_*`, retrieval `utter_<intent>`, end-to-end bot text."""

from __future__ import annotations

import logging

from stratus.core.actions.base import UTTER_ACTION_KEY, Action, ActionContext, bot_utterance
from stratus.core.prediction import Prediction
from stratus.shared.domain.constants import UTTER_PREFIX
from stratus.shared.events import ActionExecuted, Event
from stratus.shared.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)

RESPONSE_SELECTOR_KEY = "response_selector"
RESPONSE_SELECTOR_DEFAULT = "default"


class ActionBotResponse(Action):
    """Sends the domain response of the same name; `silent_fail` for optional responses
    (`utter_restart`, `utter_default`, ...), which may simply not exist."""

    def __init__(self, name: str, silent_fail: bool = False, response: str | None = None) -> None:
        self._name = name
        self.response = response or name
        self.silent_fail = silent_fail

    @property
    def name(self) -> str:
        return self._name

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return utter(self.response, tracker, context, silent_fail=self.silent_fail)


def utter(
    response: str,
    tracker: DialogueStateTracker,
    context: ActionContext,
    silent_fail: bool = False,
) -> list[Event]:
    """A `bot` event for `response`, or nothing if it cannot be rendered."""
    message = context.nlg.generate(response, tracker, context.output_channel)
    if message is None:
        if not silent_fail:
            logger.error(
                "Conversation '%s': couldn't create a message for response '%s'.",
                tracker.sender_id,
                response,
            )
        return []
    return [bot_utterance({**message, UTTER_ACTION_KEY: response})]


class ActionRetrieveResponse(Action):
    """`utter_<retrieval intent>`: sends the response the ResponseSelector chose
    (`utter_faq/ask_name`), found in the latest message's parse data."""

    def __init__(self, name: str, silent_fail: bool = False) -> None:
        self._name = name
        self.silent_fail = silent_fail

    @property
    def name(self) -> str:
        return self._name

    @property
    def intent(self) -> str:
        return self._name[len(UTTER_PREFIX) :]

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        selectors = tracker.latest_message.parse_data.get(RESPONSE_SELECTOR_KEY) or {}
        key = self.intent if self.intent in selectors else RESPONSE_SELECTOR_DEFAULT
        selected = selectors.get(key)
        response = ((selected or {}).get("response") or {}).get("utter_action")
        if not response:
            if not self.silent_fail:
                logger.error(
                    "Conversation '%s': no response selector chose a response for '%s'.",
                    tracker.sender_id,
                    self.name,
                )
            return []
        return utter(response, tracker, context, self.silent_fail)


class ActionEndToEndResponse(Action):
    """An end-to-end story's bot text, sent as is and recorded by its text."""

    def __init__(self, text: str) -> None:
        self.text = text

    @property
    def name(self) -> str:
        return self.text

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        return [bot_utterance({"text": self.text})]

    def executed_event(self, prediction: Prediction) -> ActionExecuted:
        return ActionExecuted(
            action_text=self.text,
            policy=prediction.policy_name,
            confidence=prediction.max_confidence,
            hide_rule_turn=prediction.hide_rule_turn,
        )
