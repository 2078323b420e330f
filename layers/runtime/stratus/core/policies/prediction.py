"""What a policy answers, and what a policy must offer the ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from stratus.core.policies.states import StateHistory
from stratus.shared.domain import Domain
from stratus.shared.events import Event
from stratus.shared.tracker import DialogueStateTracker

# Rasa 3.6's priorities (rasa/core/constants.py): only their order matters.
RULE_POLICY_PRIORITY = 6
MEMOIZATION_POLICY_PRIORITY = 3
UNLIKELY_INTENT_POLICY_PRIORITY = 2
TED_POLICY_PRIORITY = 1


@dataclass(frozen=True)
class PolicyPrediction:
    """One policy's answer: a probability per entry of `domain.action_names_or_texts`.

    `policy_name` is the policy's class name, which Rasa 3.6 writes into
    `ActionExecuted.policy` ("RulePolicy", "TEDPolicy", ...).
    """

    probabilities: list[float]
    policy_name: str | None
    policy_priority: int = 1
    events: list[Event] = field(default_factory=list)
    optional_events: list[Event] = field(default_factory=list)
    is_end_to_end_prediction: bool = False
    is_no_user_prediction: bool = False
    hide_rule_turn: bool = False
    action_metadata: dict | None = None

    @property
    def max_confidence(self) -> float:
        return max(self.probabilities, default=0.0)

    @property
    def action_index(self) -> int:
        """Index of the most probable action (the first one on a tie); -1 if none."""
        if not self.probabilities:
            return -1
        best = self.max_confidence
        return self.probabilities.index(best)


def default_probabilities(domain: Domain) -> list[float]:
    return [0.0] * len(domain.action_names_or_texts)


def one_hot(domain: Domain, action: str, score: float = 1.0) -> list[float]:
    result = default_probabilities(domain)
    result[domain.action_index(action)] = score
    return result


class Policy(Protocol):
    """A trained policy, loaded from a model's `core/` directory."""

    @property
    def name(self) -> str: ...

    @property
    def priority(self) -> int: ...

    def predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: StateHistory | None = None,
    ) -> PolicyPrediction:
        """Probabilities of the next action given the conversation so far; `history` is
        the tracker's states, shared by the policies of one prediction."""
        ...


class RuleOnlyDataUser(Protocol):
    """A policy that ignores rule-only turns and features (Memoization, TED)."""

    def set_rule_only_data(self, data: dict[str, Sequence[str]]) -> None: ...
