"""TEDPolicy at run time: the exported transformer (`ted/model.onnx`) under onnxruntime.

The network reads the last `max_history` turns (see ted_features.py) and scores every
action by the similarity of the dialogue embedding to the action's embedding; the
exported graph ends in a softmax, so its output already is the confidence per action.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stratus.core.policies.prediction import TED_POLICY_PRIORITY, PolicyPrediction
from stratus.core.policies.states import State, StateHistory, prediction_states
from stratus.core.policies.ted_features import TedFeaturizer
from stratus.shared.domain import Domain
from stratus.shared.events import ACTION_LISTEN_NAME
from stratus.shared.tracker import DialogueStateTracker

TED_DIR = "ted"
TED_META_FILE = "meta.json"
TED_MODEL_FILE = "model.onnx"
# ONNX input and output names.
TURNS = "turns"
TURN_MASK = "turn_mask"
CONFIDENCES = "confidences"
SIMILARITIES = "similarities"
# Rasa's `e2e_confidence_threshold`: text wins over intent only above this confidence.
E2E_CONFIDENCE_THRESHOLD = 0.5


def onnx_session(path: Path) -> Any:
    """An onnxruntime session on an exported dialogue network (made on first use)."""
    import onnxruntime as ort

    from stratus.nlu.onnx_model import session_options

    return ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])


@dataclass
class TEDPolicy:
    """Rasa's TEDPolicy, inference only."""

    featurizer: TedFeaturizer
    config: dict[str, Any]
    model_path: Path
    name: str = "TEDPolicy"
    rule_only_data: dict[str, Sequence[str]] = field(default_factory=dict)
    _session: Any = None

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", TED_POLICY_PRIORITY))

    @property
    def max_history(self) -> int | None:
        value = self.config.get("max_history")
        return int(value) if value else None

    @classmethod
    def load(cls, directory: Path) -> TEDPolicy:
        meta = json.loads((directory / TED_META_FILE).read_text("utf-8"))
        return cls(
            featurizer=TedFeaturizer.from_dict(meta["featurizer"]),
            config=meta["config"],
            model_path=directory / TED_MODEL_FILE,
        )

    def set_rule_only_data(self, data: dict[str, Sequence[str]]) -> None:
        self.rule_only_data = data

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = onnx_session(self.model_path)
        return self._session

    def confidences(self, histories: Sequence[Sequence[State]]) -> tuple[np.ndarray, np.ndarray]:
        """[batch, actions] confidences and similarities over the featurizer's actions."""
        turns, mask = self.featurizer.encode(histories)
        result = self.session.run([CONFIDENCES, SIMILARITIES], {TURNS: turns, TURN_MASK: mask})
        return np.asarray(result[0]), np.asarray(result[1])

    def _states(self, history: StateHistory, domain: Domain, text: bool) -> list[State]:
        return prediction_states(
            history,
            domain,
            self.max_history,
            use_text_for_last_user_input=text,
            ignore_rule_only_turns=True,
            rule_only_data=self.rule_only_data,
            ignore_action_unlikely_intent=True,
        )

    def predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: StateHistory | None = None,
    ) -> PolicyPrediction:
        if history is None:
            history = StateHistory(tracker, domain)
        histories = [self._states(history, domain, text=False)]
        # Trained on end-to-end stories: also try the text of a message just received.
        if self.featurizer.words and tracker.latest_action_name == ACTION_LISTEN_NAME:
            histories.append(self._states(history, domain, text=True))
        confidences, similarities = self.confidences(histories)
        end_to_end = bool(
            len(histories) == 2
            and np.max(confidences[1])
            > float(self.config.get("e2e_confidence_threshold", E2E_CONFIDENCE_THRESHOLD))
            and np.max(similarities[1]) > np.max(similarities[0])
        )
        scores = confidences[1 if end_to_end else 0]
        ranking = int(self.config.get("ranking_length") or 0)
        if 0 < ranking < len(scores):
            # Rasa's rank_and_mask: the top `ranking_length` confidences stay, the rest are
            # zeroed, and with `renormalize_confidences` the kept ones sum to 1 again.
            scores = scores.copy()
            scores[scores.argsort()[::-1][ranking:]] = 0.0
            if (
                self.config.get("renormalize_confidences")
                and self.config.get("model_confidence", "softmax") == "softmax"
                and scores.sum() > 0
            ):
                scores = scores / scores.sum()
        result = [0.0] * len(domain.action_names_or_texts)
        for action, score in zip(self.featurizer.actions, scores.tolist()):
            if action in domain.action_names_or_texts:
                result[domain.action_index(action)] = float(score)
        return PolicyPrediction(
            result, self.name, self.priority, is_end_to_end_prediction=end_to_end
        )
