"""An A/B split: each conversation is served by the processor of its model version.

The version comes from `ModelSelector.choose(conversation id)` (a stable hash), so a
conversation keeps its model across turns and containers. NLU-only requests
(`/model/parse`) and the HTTP API's model views use the primary version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stratus.core.processor import MessageProcessor, TurnResult, UserMessage
from stratus.model.selection import ModelSelector
from stratus.shared.events import Event, JsonDict
from stratus.shared.tracker import DialogueStateTracker


class SplitProcessor:
    """Routes every conversation entry point to its version's MessageProcessor."""

    def __init__(self, selector: ModelSelector, processors: Mapping[str, MessageProcessor]) -> None:
        missing = set(selector.versions) - set(processors)
        if missing:
            raise ValueError(f"no processor for model version(s) {sorted(missing)}")
        self.selector = selector
        self.processors = dict(processors)
        self.primary = self.processors[selector.versions[0]]

    def for_conversation(self, sender_id: str) -> MessageProcessor:
        version = self.selector.choose(sender_id)
        return self.processors.get(version, self.primary)

    @property
    def domain(self) -> Any:
        return self.primary.domain

    def handle_message(self, message: UserMessage) -> TurnResult:
        return self.for_conversation(message.sender_id).handle_message(message)

    def log_message(self, message: UserMessage) -> TurnResult:
        return self.for_conversation(message.sender_id).log_message(message)

    def trigger_intent(self, sender_id: str, *args: Any, **kwargs: Any) -> TurnResult:
        return self.for_conversation(sender_id).trigger_intent(sender_id, *args, **kwargs)

    def execute_action(self, sender_id: str, *args: Any, **kwargs: Any) -> TurnResult:
        return self.for_conversation(sender_id).execute_action(sender_id, *args, **kwargs)

    def append_events(self, sender_id: str, events: Sequence[Event]) -> TurnResult:
        return self.for_conversation(sender_id).append_events(sender_id, events)

    def publish_events(self, sender_id: str, events: Sequence[Event]) -> None:
        self.for_conversation(sender_id).publish_events(sender_id, events)

    def tracker(self, sender_id: str) -> DialogueStateTracker:
        return self.for_conversation(sender_id).tracker(sender_id)

    def parse(self, text: str) -> JsonDict:
        return self.primary.parse(text)
