"""UnexpecTEDIntentPolicy at run time (`unexpected_intent/model.onnx` under onnxruntime).

Rasa 3.6's policy: TED's network, trained to score how likely each intent is as the
next user message given the dialogue before it. Right after a user message whose intent
scores below that intent's threshold (taken at training time from the training stories'
scores, see `tolerance`) and is not the top-scoring intent, it predicts
`action_unlikely_intent` with confidence 1.0; otherwise all zeros, so the other policies
decide. Skipped without a user message, when an action already ran since it (so after
`action_unlikely_intent` the turn goes on normally), for an intent the domain does not
know, one no training story has, or one in `ignore_intents_list`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stratus.core.policies.prediction import (
    UNLIKELY_INTENT_POLICY_PRIORITY,
    PolicyPrediction,
    default_probabilities,
)
from stratus.core.policies.states import (
    State,
    StateHistory,
    choose_last_user_input,
    is_prev_action_listen,
    slice_history,
)
from stratus.core.policies.ted import SIMILARITIES, TURN_MASK, TURNS, onnx_session
from stratus.core.policies.ted_features import TedFeaturizer
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.events import ActionExecuted, UserUttered
from stratus.shared.tracker import DialogueStateTracker

UNEXPECTED_INTENT_DIR = "unexpected_intent"
UNEXPECTED_INTENT_META_FILE = "meta.json"
UNEXPECTED_INTENT_MODEL_FILE = "model.onnx"
# Rasa 3.6's defaults for the options read at run time.
UNEXPECTED_INTENT_DEFAULTS: dict[str, Any] = {
    "priority": UNLIKELY_INTENT_POLICY_PRIORITY,
    "max_history": None,
    "tolerance": 0.0,
    "ignore_intents_list": [],
    "ranking_length": 10,
}


def intent_prediction_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    max_history: int | None,
    rule_only_data: dict[str, Sequence[str]] | None = None,
    history: StateHistory | None = None,
) -> list[State]:
    """The states before the latest user message (Rasa's IntentMaxHistoryTrackerFeaturizer):
    the state holding the message's intent is what the policy judges, so it is left out."""
    if history is None:
        history = StateHistory(tracker, domain)
    states = history.states(
        max_history + 1 if max_history else None,  # one more: the last one may be dropped
        ignore_rule_only_turns=True,
        rule_only_data=rule_only_data,
        ignore_action_unlikely_intent=True,
    )
    choose_last_user_input(states, use_text=False)
    if states and is_prev_action_listen(states[-1]):
        states = states[:-1]
    return slice_history(states, max_history)


def query_intent(tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """The intent to judge: the latest user message's, if no action ran since it and the
    domain knows it (Rasa's `_should_skip_prediction`)."""
    for event in reversed(tracker.applied_events()):
        if isinstance(event, ActionExecuted):
            return None
        if isinstance(event, UserUttered):
            intent = event.intent_name
            return intent if intent in domain.intent_names else None
    return None


@dataclass
class UnexpecTEDIntentPolicy:
    """Rasa's UnexpecTEDIntentPolicy, inference only."""

    featurizer: TedFeaturizer
    config: dict[str, Any]
    thresholds: dict[str, float]  # intent -> similarity below which it is unlikely
    model_path: Path
    name: str = "UnexpecTEDIntentPolicy"
    rule_only_data: dict[str, Sequence[str]] = field(default_factory=dict)
    _session: Any = None

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", UNLIKELY_INTENT_POLICY_PRIORITY))

    @property
    def max_history(self) -> int | None:
        value = self.config.get("max_history")
        return int(value) if value else None

    @classmethod
    def load(cls, directory: Path) -> UnexpecTEDIntentPolicy:
        meta = json.loads((directory / UNEXPECTED_INTENT_META_FILE).read_text("utf-8"))
        return cls(
            featurizer=TedFeaturizer.from_dict(meta["featurizer"]),
            config={**UNEXPECTED_INTENT_DEFAULTS, **meta["config"]},
            thresholds={str(k): float(v) for k, v in meta["thresholds"].items()},
            model_path=directory / UNEXPECTED_INTENT_MODEL_FILE,
        )

    def set_rule_only_data(self, data: dict[str, Sequence[str]]) -> None:
        self.rule_only_data = data

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = onnx_session(self.model_path)
        return self._session

    def similarities(self, histories: Sequence[Sequence[State]]) -> np.ndarray:
        """[batch, intents] similarity of each intent (featurizer order) to each history."""
        turns, mask = self.featurizer.encode(histories)
        result = self.session.run([SIMILARITIES], {TURNS: turns, TURN_MASK: mask})
        return np.asarray(result[0])

    def is_unlikely(self, intent: str, similarities: np.ndarray) -> bool:
        """Below its threshold and not the most likely intent (Rasa's `_check_unlikely_intent`)."""
        threshold = self.thresholds.get(intent)
        if threshold is None or intent in self.config.get("ignore_intents_list", ()):
            return False
        index = self.featurizer.intents.index(intent)
        return bool(similarities[index] < threshold and index != int(np.argmax(similarities)))

    def predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: StateHistory | None = None,
    ) -> PolicyPrediction:
        result = default_probabilities(domain)
        intent = query_intent(tracker, domain)
        if intent is None or intent not in self.featurizer.intents:
            return PolicyPrediction(result, self.name, self.priority)
        states = intent_prediction_states(
            tracker, domain, self.max_history, self.rule_only_data, history
        )
        similarities = self.similarities([states])[0]
        if self.is_unlikely(intent, similarities):
            result[domain.action_index(ACTION_UNLIKELY_INTENT)] = 1.0
        return PolicyPrediction(
            result,
            self.name,
            self.priority,
            action_metadata=self._metadata(intent, similarities),
        )

    def _metadata(self, intent: str, similarities: np.ndarray) -> dict[str, Any]:
        """Rasa's UnexpecTEDIntentPolicyMetadata: the queried intent and the ranking."""

        def candidate(name: str, score: float) -> dict[str, Any]:
            threshold = self.thresholds.get(name)
            return {
                "name": name,
                "score": float(score),
                "threshold": threshold,
                "severity": None if threshold is None else float(threshold - score),
            }

        scores = similarities.tolist()
        ranking = sorted(zip(self.featurizer.intents, scores), key=lambda pair: -pair[1])
        length = int(self.config.get("ranking_length") or 0)
        if length > 0:
            ranking = ranking[:length]
        return {
            "query_intent": candidate(intent, scores[self.featurizer.intents.index(intent)]),
            "ranking": [candidate(name, score) for name, score in ranking],
        }
