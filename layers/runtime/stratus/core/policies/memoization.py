"""MemoizationPolicy and AugmentedMemoizationPolicy at run time (`memoization_policy.json`).

The lookup maps the last `max_history` dialogue states (as canonical JSON) to the action
the training stories took next; stories that disagree on a key were dropped at training.
The augmented variant, when nothing matches, cuts the conversation to `max_history`
actions and then forgets the oldest turns one action at a time (Rasa 3.6's
"truncation"), so slots set long ago stop getting in the way.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.core.policies.prediction import (
    MEMOIZATION_POLICY_PRIORITY,
    PolicyPrediction,
    default_probabilities,
)
from stratus.core.policies.states import State, StateHistory, prediction_states, states_key
from stratus.shared.domain import Domain
from stratus.shared.events import ACTION_LISTEN_NAME, ActionExecuted, Event
from stratus.shared.tracker import DialogueStateTracker

MEMOIZATION_FILE = "memoization_policy.json"
MEMOIZATION_DEFAULTS: dict[str, Any] = {
    "priority": MEMOIZATION_POLICY_PRIORITY,
    # Rasa 3.6 looks at the whole conversation unless max_history is configured.
    "max_history": None,
    "use_nlu_confidence_as_score": False,
}


def memo_key(states: Sequence[State]) -> str | None:
    return states_key(states) if states else None


@dataclass
class MemoizationPolicy:
    """Exact recall of the training stories' next action (confidence 1.0)."""

    lookup: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=lambda: dict(MEMOIZATION_DEFAULTS))
    name: str = "MemoizationPolicy"
    rule_only_data: dict[str, Sequence[str]] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", MEMOIZATION_POLICY_PRIORITY))

    @property
    def max_history(self) -> int | None:
        value = self.config.get("max_history")
        return int(value) if value else None

    @classmethod
    def load(cls, directory: Path, file: str = MEMOIZATION_FILE) -> MemoizationPolicy:
        data = json.loads((directory / file).read_text("utf-8"))
        return cls(
            lookup=data["lookup"],
            config={**MEMOIZATION_DEFAULTS, **data["config"]},
            name=data.get("name", cls.name),
        )

    def set_rule_only_data(self, data: dict[str, Sequence[str]]) -> None:
        self.rule_only_data = data

    @functools.cached_property
    def longest_key(self) -> int:
        """The most states a key holds: a longer conversation cannot match any."""
        return max((len(json.loads(key)) for key in self.lookup), default=0)

    def _states(
        self, tracker: DialogueStateTracker, domain: Domain, history: StateHistory | None = None
    ) -> list[State]:
        return prediction_states(
            history if history is not None else tracker,
            domain,
            self.max_history,
            ignore_rule_only_turns=True,
            rule_only_data=self.rule_only_data,
            ignore_action_unlikely_intent=True,
        )

    def recall(
        self, states: list[State], tracker: DialogueStateTracker, domain: Domain
    ) -> str | None:
        key = memo_key(states)
        return self.lookup.get(key) if key else None

    def predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: StateHistory | None = None,
    ) -> PolicyPrediction:
        result = default_probabilities(domain)
        if history is None:
            history = StateHistory(tracker, domain)
        states: list[State] = []  # longer than every key: nothing to look up
        if self.max_history or (
            history.count(True, ignore_action_unlikely_intent=True) <= self.longest_key
        ):
            states = self._states(tracker, domain, history)
        action = self.recall(states, tracker, domain)
        if action is not None and action in domain.action_names_or_texts:
            score = 1.0
            if self.config.get("use_nlu_confidence_as_score"):
                score = float(tracker.latest_message.intent.get("confidence", 1.0))
            result[domain.action_index(action)] = score
        return PolicyPrediction(result, self.name, self.priority)


@dataclass
class AugmentedMemoizationPolicy(MemoizationPolicy):
    """Memoization that retries with the oldest actions forgotten."""

    name: str = "AugmentedMemoizationPolicy"

    def recall(
        self, states: list[State], tracker: DialogueStateTracker, domain: Domain
    ) -> str | None:
        found = super().recall(states, tracker, domain)
        if found is not None:
            return found
        return self._recall_forgetting_the_past(states, tracker, domain)

    def _recall_forgetting_the_past(
        self, old_states: list[State], tracker: DialogueStateTracker, domain: Domain
    ) -> str | None:
        shorter = _strip_until_action(_trim_to_max_history(tracker, self.max_history))
        while shorter is not None:
            states = self._states(shorter, domain)
            if states != old_states:
                found = super().recall(states, shorter, domain)
                if found is not None:
                    return found
                old_states = states
            shorter = _strip_until_action(shorter, again=True)
        return None


def _trim_to_max_history(
    tracker: DialogueStateTracker, max_history: int | None
) -> DialogueStateTracker:
    """The tracker cut to its last `max_history` actions, starting at an `action_listen`
    so that the latest user message stays in (Rasa's `_trim_tracker_by_max_history`)."""
    if not max_history:
        return tracker
    events = tracker.applied_events()
    actions = 0
    for count, event in enumerate(reversed(events), start=1):
        if isinstance(event, ActionExecuted):
            actions += 1
            if actions > max_history and event.action_name == ACTION_LISTEN_NAME:
                return _tracker_with(tracker, events[-count:])
    return tracker


def _strip_until_action(
    tracker: DialogueStateTracker, again: bool = False
) -> DialogueStateTracker | None:
    """The tracker starting at its first (or, `again`, its second) applied action."""
    events = tracker.applied_events()
    actions = [i for i, e in enumerate(events) if isinstance(e, ActionExecuted)]
    index = 1 if again else 0
    if len(actions) <= index:
        return None
    return _tracker_with(tracker, events[actions[index] :])


def _tracker_with(tracker: DialogueStateTracker, events: list[Event]) -> DialogueStateTracker:
    shorter = tracker.init_copy()
    for event in events:
        shorter.update(event)
    return shorter
