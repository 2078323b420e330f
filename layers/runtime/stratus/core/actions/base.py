"""The action contract: an action reads the tracker and returns the events it caused."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stratus.core.prediction import Prediction
from stratus.shared.domain import Domain
from stratus.shared.events import ActionExecuted, BotUttered, Event, JsonDict
from stratus.shared.tracker import DialogueStateTracker

if TYPE_CHECKING:
    from stratus.core.actions.client import ActionClient
    from stratus.core.nlg import NaturalLanguageGenerator

UTTER_ACTION_KEY = "utter_action"
# Message keys that go into a bot event's `data`; everything else becomes its metadata.
_DATA_KEYS = ("elements", "quick_replies", "buttons", "image", "custom")


@dataclass
class ActionContext:
    """What every action may use besides the tracker: the domain, the response renderer,
    the custom-action client and the name of the channel the answer goes to."""

    domain: Domain
    nlg: NaturalLanguageGenerator
    client: ActionClient | None = None
    output_channel: str | None = None
    selective_domain: bool = False
    # The domain's JSON, when the caller already has it (it is the same every turn).
    domain_json: JsonDict | None = field(default=None, repr=False)
    _actions: dict[str, Action] = field(default_factory=dict, repr=False)

    @property
    def domain_dict(self) -> JsonDict:
        """The domain as the action server receives it (computed at most once)."""
        if self.domain_json is None:
            self.domain_json = self.domain.as_dict()
        return self.domain_json

    def action(self, name: str) -> Action:
        """The action called `name` (default, response, form or custom)."""
        if name not in self._actions:
            from stratus.core.actions.registry import action_for_name

            self._actions[name] = action_for_name(name, self.domain)
        return self._actions[name]


class Action(ABC):
    """Something the bot does. `run` must not change the tracker; it returns events."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """The events this action causes; raises ActionRejection to refuse to run."""

    def executed_event(self, prediction: Prediction) -> ActionExecuted:
        """The `action` event recorded when the action ran."""
        return ActionExecuted(
            self.name,
            prediction.policy_name,
            prediction.max_confidence,
            hide_rule_turn=prediction.hide_rule_turn,
            metadata=dict(prediction.action_metadata or {}),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def bot_utterance(message: JsonDict) -> BotUttered:
    """A `bot` event for a rendered message, split as Rasa splits it: text, the visual
    parts in `data` (an image doubles as the attachment when there is none), and every
    other key (`utter_action`, `id`, ...) as metadata."""
    rest = dict(message)
    text = rest.pop("text", None)
    data: dict[str, Any] = {key: rest.pop(key, None) for key in _DATA_KEYS}
    data["attachment"] = rest.pop("attachment", None) or data["image"]
    ordered = {
        key: data[key]
        for key in ("elements", "quick_replies", "buttons", "attachment", "image", "custom")
    }
    return BotUttered(text=text, data=ordered, metadata=rest)
