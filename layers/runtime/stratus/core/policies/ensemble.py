"""The policy ensemble: loads a model's `core/` folder and picks the next action.

Rasa 3.6's DefaultPolicyPredictionEnsemble: the action just rejected gets probability 0
in every prediction; if any policy predicts a loop's happy path ("no user" prediction),
only those compete; otherwise, if any prediction is end-to-end (from the message text),
only those compete; the winner has the highest (confidence, priority). Right after a
user message, a `user_featurization` event records whether text or intent decided.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stratus.core.policies.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from stratus.core.policies.prediction import Policy, PolicyPrediction
from stratus.core.policies.rule import RulePolicy
from stratus.core.policies.states import StateHistory
from stratus.core.policies.ted import TED_DIR, TEDPolicy
from stratus.core.policies.unexpected_intent import UNEXPECTED_INTENT_DIR, UnexpecTEDIntentPolicy
from stratus.shared.domain import Domain
from stratus.shared.events import (
    ACTION_LISTEN_NAME,
    ActionExecuted,
    ActionExecutionRejected,
    DefinePrevUserUtteredFeaturization,
    Event,
)
from stratus.shared.exceptions import IncompatibleModelError
from stratus.shared.tracker import DialogueStateTracker

ENSEMBLE_FILE = "policies.json"
CORE_FORMAT_VERSION = 1


def _load_policy(kind: str, directory: Path, entry: dict[str, Any]) -> Policy:
    if kind == "RulePolicy":
        return RulePolicy.load(directory)
    if kind == "MemoizationPolicy":
        return MemoizationPolicy.load(directory, entry["file"])
    if kind == "AugmentedMemoizationPolicy":
        return AugmentedMemoizationPolicy.load(directory, entry["file"])
    if kind == "TEDPolicy":
        return TEDPolicy.load(directory / entry.get("dir", TED_DIR))
    if kind == "UnexpecTEDIntentPolicy":
        return UnexpecTEDIntentPolicy.load(directory / entry.get("dir", UNEXPECTED_INTENT_DIR))
    raise IncompatibleModelError(f"{directory / ENSEMBLE_FILE}: unknown policy '{kind}'")


def last_rejected_action(tracker: DialogueStateTracker) -> str | None:
    """The action rejected since the latest action ran, if any."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecutionRejected):
            return event.action_name
        if isinstance(event, ActionExecuted):
            return None
    return None


def pick_best(predictions: Sequence[PolicyPrediction]) -> PolicyPrediction:
    """The winning prediction, with every policy's events (Rasa's `_pick_best_policy`)."""
    no_user = any(p.is_no_user_prediction for p in predictions)
    end_to_end = any(p.is_end_to_end_prediction for p in predictions)
    best: tuple[float, int] = (-1.0, -1)
    best_index = -1
    events: list[Event] = []
    for index, prediction in enumerate(predictions):
        events += prediction.events
        if prediction.is_no_user_prediction != no_user:
            continue
        if not no_user and prediction.is_end_to_end_prediction != end_to_end:
            continue
        score = (prediction.max_confidence, prediction.policy_priority)
        if score > best:
            best, best_index = score, index
    if best_index < 0:
        raise ValueError("no policy made a prediction")
    winner = predictions[best_index]
    return dataclasses.replace(
        winner,
        events=[*events, *winner.optional_events],
        is_end_to_end_prediction=end_to_end,
        is_no_user_prediction=no_user,
    )


class PolicyEnsemble:
    """The trained policies of a model, in config order."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = list(policies)
        self._recent_history: StateHistory | None = None
        rule = next((p for p in self.policies if isinstance(p, RulePolicy)), None)
        if rule is not None:
            only_rules = rule.rule_only_data()
            for policy in self.policies:
                if isinstance(policy, MemoizationPolicy | TEDPolicy | UnexpecTEDIntentPolicy):
                    policy.set_rule_only_data(dict(only_rules))

    @classmethod
    def load(cls, core_dir: Path, domain: Domain) -> PolicyEnsemble:
        """Loads the policies `train_core` wrote into `core_dir`."""
        path = core_dir / ENSEMBLE_FILE
        if not path.is_file():
            raise IncompatibleModelError(f"{path}: missing; train the model's dialogue part")
        meta = json.loads(path.read_text("utf-8"))
        if meta.get("format_version") != CORE_FORMAT_VERSION:
            raise IncompatibleModelError(
                f"{path}: core format version {meta.get('format_version')} is not "
                f"{CORE_FORMAT_VERSION}; retrain the model"
            )
        trained = list(meta.get("action_names_or_texts", []))
        if trained and trained != list(domain.action_names_or_texts):
            raise IncompatibleModelError(
                f"{path}: the domain's actions differ from those the policies were "
                "trained with; retrain the model"
            )
        return cls([_load_policy(e["type"], core_dir, e) for e in meta["policies"]])

    def predictions(self, tracker: DialogueStateTracker, domain: Domain) -> list[PolicyPrediction]:
        # Replayed once for all the policies; the turn's next prediction replays only
        # what was added since (a new object each time, so concurrent turns are safe).
        history = StateHistory(tracker, domain, previous=self._recent_history)
        self._recent_history = history
        return [policy.predict(tracker, domain, history) for policy in self.policies]

    def combine(
        self,
        predictions: Sequence[PolicyPrediction],
        tracker: DialogueStateTracker,
        domain: Domain,
        rejected_action: str | None = None,
    ) -> PolicyPrediction:
        rejected = rejected_action or last_rejected_action(tracker)
        if rejected and rejected in domain.action_names_or_texts:
            index = domain.action_index(rejected)
            zeroed = []
            for p in predictions:
                probabilities = list(p.probabilities)
                probabilities[index] = 0.0
                zeroed.append(dataclasses.replace(p, probabilities=probabilities))
            predictions = zeroed
        winner = pick_best(predictions)
        if tracker.latest_action_name == ACTION_LISTEN_NAME:
            winner = dataclasses.replace(
                winner,
                events=[
                    *winner.events,
                    DefinePrevUserUtteredFeaturization(
                        use_text_for_featurization=winner.is_end_to_end_prediction
                    ),
                ],
            )
        return winner

    def predict_next_action(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rejected_action: str | None = None,
    ) -> tuple[str, PolicyPrediction]:
        """The next action's name (or e2e text) and the winning prediction."""
        winner = self.combine(self.predictions(tracker, domain), tracker, domain, rejected_action)
        return domain.action_names_or_texts[winner.action_index], winner
