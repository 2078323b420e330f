"""Custom actions: run through the action client, answers turned into events."""

from __future__ import annotations

import logging
from typing import Any

from stratus.core.actions.base import UTTER_ACTION_KEY, Action, ActionContext, bot_utterance
from stratus.core.actions.client import (
    RASA_COMPATIBLE_VERSION,
    ActionDomainRequired,
    EventDicts,
)
from stratus.shared.events import Event, InvalidEventError, JsonDict, event_from_dict
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity

logger = logging.getLogger(__name__)


def action_request(
    action_name: str, tracker: DialogueStateTracker, context: ActionContext, include_domain: bool
) -> JsonDict:
    """Rasa's action-server request body."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = EventDicts(tracker.events)  # in the place Rasa gives them
    request: JsonDict = {
        "next_action": action_name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": RASA_COMPATIBLE_VERSION,
    }
    if include_domain:
        request["domain"] = context.domain_dict
    return request


class RemoteAction(Action):
    """A custom action (or `validate_<form>`, or a custom slot mapping's action)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        if context.client is None:
            raise ActionFailure(
                f"Action '{self.name}' is a custom action, but no action endpoint is configured."
            )
        include_domain = not context.selective_domain or context.domain.sends_domain(self.name)
        try:
            try:
                answer = context.client.call(
                    action_request(self.name, tracker, context, include_domain)
                )
            except ActionDomainRequired:
                # Newer rasa_sdk versions answer 449 when selective domain left the domain
                # out; Rasa 3.6 gives up, a retry with the domain makes the action work.
                if include_domain:
                    raise
                logger.info("Action '%s' asked for the domain; sending it again.", self.name)
                answer = context.client.call(action_request(self.name, tracker, context, True))
        except ActionRejection as rejection:
            logger.error(
                "Conversation '%s': action '%s' rejected execution: %s",
                tracker.sender_id,
                self.name,
                rejection,
            )
            raise
        messages = self._bot_messages(answer.get("responses") or [], tracker, context)
        return messages + _events_from_json(
            answer.get("events") or [], self.name, tracker.sender_id
        )

    def _bot_messages(
        self, responses: list[JsonDict], tracker: DialogueStateTracker, context: ActionContext
    ) -> list[Event]:
        """`bot` events for the action's `dispatcher.utter_message` calls; a `response`
        name is rendered by the NLG with the other keys as template variables."""
        out: list[Event] = []
        for raw in responses:
            response = dict(raw)
            template = response.pop("response", None) or response.pop("template", None)
            draft: dict[str, Any] = {}
            if template:
                rendered = context.nlg.generate(
                    template, tracker, context.output_channel, **response
                )
                if not rendered:
                    logger.error(
                        "Conversation '%s': action '%s' asked for response '%s', which "
                        "cannot be rendered.",
                        tracker.sender_id,
                        self.name,
                        template,
                    )
                    continue
                draft = {**rendered, UTTER_ACTION_KEY: template}
            buttons = response.pop("buttons", None) or []
            if buttons:
                draft["buttons"] = [*(draft.get("buttons") or []), *buttons]
            # Empty values in the answer never overwrite what the template rendered.
            draft.update({key: value for key, value in response.items() if value})
            out.append(bot_utterance(draft))
        return out


def _events_from_json(raw: list[JsonDict], action_name: str, sender_id: str) -> list[Event]:
    events: list[Event] = []
    for data in raw:
        try:
            events.append(event_from_dict(data))
        except InvalidEventError as error:
            logger.warning(
                "Conversation '%s': action '%s' returned an invalid event, skipped: %s",
                sender_id,
                action_name,
                error,
            )
    return events
