"""What the processor needs from the dialogue policies and from NLU, as protocols.

The policy ensemble (`stratus.core.policies`) and the NLU interpreter (`stratus.nlu`)
satisfy these structurally; tests pass scripted stand-ins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from stratus.shared.domain import Domain
from stratus.shared.events import Event
from stratus.shared.tracker import DialogueStateTracker

# The policy name Rasa records for a forced (followup) action.
FOLLOWUP_ACTION_POLICY = "followup_action"


class Prediction(Protocol):
    """The parts of a policy prediction the processor reads."""

    @property
    def policy_name(self) -> str | None: ...
    @property
    def max_confidence(self) -> float: ...
    @property
    def events(self) -> Sequence[Event]: ...
    @property
    def is_end_to_end_prediction(self) -> bool: ...
    @property
    def hide_rule_turn(self) -> bool: ...
    @property
    def action_metadata(self) -> dict[str, Any] | None: ...


class Predictor(Protocol):
    """Picks the next action (the policy ensemble)."""

    def predict_next_action(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rejected_action: str | None = None,
    ) -> tuple[str, Prediction]: ...


class Interpreter(Protocol):
    """NLU: text in, Rasa's parse result out."""

    def parse(self, text: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ActionPrediction:
    """A prediction made without the policies (followups, forced actions, session starts)."""

    policy_name: str | None = None
    max_confidence: float = 1.0
    events: Sequence[Event] = field(default_factory=tuple)
    is_end_to_end_prediction: bool = False
    hide_rule_turn: bool = False
    action_metadata: dict[str, Any] | None = None
