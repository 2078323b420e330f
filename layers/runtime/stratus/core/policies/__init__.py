"""Dialogue policies at run time: RulePolicy, (Augmented)MemoizationPolicy, TEDPolicy,
UnexpecTEDIntentPolicy and the ensemble that picks the next action. Training lives in
`stratus_train.core`."""

from stratus.core.policies.ensemble import PolicyEnsemble, pick_best
from stratus.core.policies.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from stratus.core.policies.prediction import Policy, PolicyPrediction
from stratus.core.policies.rule import RulePolicy
from stratus.core.policies.states import State, past_states, prediction_states
from stratus.core.policies.ted import TEDPolicy
from stratus.core.policies.unexpected_intent import UnexpecTEDIntentPolicy

__all__ = [
    "AugmentedMemoizationPolicy",
    "MemoizationPolicy",
    "Policy",
    "PolicyEnsemble",
    "PolicyPrediction",
    "RulePolicy",
    "State",
    "TEDPolicy",
    "UnexpecTEDIntentPolicy",
    "past_states",
    "pick_best",
    "prediction_states",
]
