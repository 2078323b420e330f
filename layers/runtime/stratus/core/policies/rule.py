"""RulePolicy at run time: predictions from the compiled rule lookups (`rule_policy.json`).

Rasa 3.6's order: actions for the default intents (`restart`, `back`, `session_start`),
the active loop's happy path, rules on the message text, then rules on the intent (the
longest matching rule wins). Rules that predict `action_listen` inside an active loop
give the turn back to the loop unless an unhappy-path rule says otherwise; returning to
a loop after its unhappy path emits `loop_interrupted`. With no rule, the fallback action
gets `core_fallback_threshold`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.core.policies.prediction import (
    RULE_POLICY_PRIORITY,
    PolicyPrediction,
    default_probabilities,
)
from stratus.core.policies.states import (
    ACTIVE_LOOP,
    PREVIOUS_ACTION,
    RULE_ONLY_LOOPS,
    RULE_ONLY_SLOTS,
    State,
    StateHistory,
    active_loop_name,
    choose_last_user_input,
    past_states,
    previous_action,
)
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import (
    ACTION_BACK,
    ACTION_DEFAULT_FALLBACK,
    ACTION_RESTART,
    ACTION_SESSION_START,
    INTENT_BACK,
    INTENT_RESTART,
    INTENT_SESSION_START,
    RULE_SNIPPET_ACTION,
)
from stratus.shared.events import ACTION_LISTEN_NAME, LoopInterrupted
from stratus.shared.tracker import SHOULD_NOT_BE_SET, DialogueStateTracker

RULE_POLICY_FILE = "rule_policy.json"
DEFAULT_ACTION_MAPPINGS = {
    INTENT_RESTART: ACTION_RESTART,
    INTENT_BACK: ACTION_BACK,
    INTENT_SESSION_START: ACTION_SESSION_START,
}
# Lookup names and markers, as in Rasa's rule_policy.json.
RULES = "rules"
RULES_FOR_LOOP_UNHAPPY_PATH = "rules_for_loop_unhappy_path"
RULES_NOT_IN_STORIES = "rules_not_in_stories"
LOOP_WAS_INTERRUPTED = "loop_was_interrupted"
DO_NOT_PREDICT_LOOP_ACTION = "do_not_predict_loop_action"
# Prediction sources that are not rule keys.
DEFAULT_RULES = "predicting default action with intent "
LOOP_RULES = "handling active loops and forms - "
LOOP_RULES_SEPARATOR = " - "

RULE_POLICY_DEFAULTS: dict[str, Any] = {
    "priority": RULE_POLICY_PRIORITY,
    "core_fallback_threshold": 0.3,
    "core_fallback_action_name": ACTION_DEFAULT_FALLBACK,
    "enable_fallback_prediction": True,
    "restrict_rules": True,
    "check_for_contradictions": True,
    "use_nlu_confidence_as_score": False,
}


@dataclass(frozen=True)
class RuleFinding:
    """What the rules say for a tracker: action (or None), the key that said it, and
    whether the loop is resumed after an unhappy path."""

    action: str | None
    source: str | None
    returning_from_unhappy_path: bool = False


@functools.lru_cache(maxsize=65536)
def rule_key_to_states(key: str) -> list[State]:
    states: list[State] = json.loads(key)
    return states


def create_feature_key(states: Sequence[State]) -> str | None:
    """The rule key: the states after the last `...` snippet, as sorted JSON."""
    kept: list[State] = []
    for state in reversed(states):
        if state.get(PREVIOUS_ACTION, {}).get("action_name") == RULE_SNIPPET_ACTION:
            break
        kept.insert(0, state)
    if not kept:
        return None
    return json.dumps(kept, sort_keys=True, ensure_ascii=False)


def _rule_matches_state(rule_state: State, state: State) -> bool:
    for kind, rule_sub_state in rule_state.items():
        sub_state = state.get(kind, {})
        for key, expected in rule_sub_state.items():
            if isinstance(expected, list):
                expected = tuple(expected)  # JSON turned tuples into lists
            actual = sub_state.get(key)
            if isinstance(actual, list):
                actual = tuple(actual)
            if expected and expected != SHOULD_NOT_BE_SET and actual != expected:
                return False
            if expected == SHOULD_NOT_BE_SET and actual and actual != SHOULD_NOT_BE_SET:
                return False
    return True


def _rule_applies(key: str, turn: int, state: State) -> bool:
    rule_states = rule_key_to_states(key)
    if turn >= len(rule_states):
        return True  # the conversation is longer than the rule, which matched so far
    rule_state = rule_states[-1 - turn]
    rule_prev, prev = rule_state.get(PREVIOUS_ACTION), state.get(PREVIOUS_ACTION)
    if not rule_prev and not prev:
        return True  # both are conversation starts
    if not rule_prev or not prev:
        return False
    return _rule_matches_state(rule_state, state)


def possible_keys(lookup: Mapping[str, str], states: Sequence[State]) -> set[str]:
    """The rule keys whose states all match the end of the conversation."""
    keys = set(lookup)
    for turn, state in enumerate(reversed(states)):
        keys = {k for k in keys if _rule_applies(k, turn, state)}
        if not keys:
            break
    return keys


@dataclass
class RulePolicy:
    """Rasa's RulePolicy, predicting from compiled lookups."""

    lookup: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=lambda: dict(RULE_POLICY_DEFAULTS))
    name: str = "RulePolicy"

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", RULE_POLICY_PRIORITY))

    @classmethod
    def load(cls, directory: Path) -> RulePolicy:
        data = json.loads((directory / RULE_POLICY_FILE).read_text("utf-8"))
        return cls(lookup=data["lookup"], config={**RULE_POLICY_DEFAULTS, **data["config"]})

    def rule_only_data(self) -> dict[str, list[str]]:
        """Slots and loops only rules use: ML policies must not see them."""
        return {k: list(self.lookup.get(k, [])) for k in (RULE_ONLY_SLOTS, RULE_ONLY_LOOPS)}

    # -- prediction ------------------------------------------------------------------------

    @functools.cached_property
    def longest_key(self) -> int:
        """The most states any rule key holds (rules, unhappy paths, rules not in stories)."""
        keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        keys += [k for k in self.lookup.get(RULES_NOT_IN_STORIES, ()) if k.startswith("[")]
        return max((len(rule_key_to_states(key)) for key in keys), default=0)

    def predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: StateHistory | None = None,
    ) -> PolicyPrediction:
        if history is None:
            history = StateHistory(tracker, domain)
        # Keys decide on at most `longest_key` trailing states: the older ones are not built.
        states = history.states(max(self.longest_key, 1))
        return self._predict(tracker, domain, states, truncated=len(history) > len(states))[0]

    def predict_with_source(
        self, tracker: DialogueStateTracker, domain: Domain
    ) -> tuple[PolicyPrediction, str | None]:
        """The prediction and the rule key (or default/loop source) it came from."""
        return self._predict(tracker, domain, past_states(tracker, domain), truncated=False)

    def _predict(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        history: list[State],
        truncated: bool,
    ) -> tuple[PolicyPrediction, str | None]:
        # `history` is featurized once and chosen from twice; `truncated`: it holds only
        # the conversation's trailing states.
        from_text = self._find_from_rules(tracker, history, use_text=True, truncated=truncated)
        default_action, default_source = self._find_from_default_actions(tracker)
        # text rules win over default actions; loops' happy paths win over rules
        if default_action and not from_text.action:
            return self._prediction(
                self._result(default_action, tracker, domain), default_source
            ), default_source
        loop_action, loop_source = self._find_from_loop_happy_path(tracker)
        if loop_action:
            return self._prediction(
                self._result(loop_action, tracker, domain), loop_source, no_user=True
            ), loop_source
        if from_text.action:
            return self._prediction(
                self._result(from_text.action, tracker, domain),
                from_text.source,
                from_text.returning_from_unhappy_path,
                end_to_end=True,
            ), from_text.source
        from_intent = self._find_from_rules(tracker, history, use_text=False, truncated=truncated)
        probabilities = (
            self._result(from_intent.action, tracker, domain)
            if from_intent.action
            else self.default_predictions(domain)
        )
        returning = from_text.returning_from_unhappy_path or (
            from_intent.returning_from_unhappy_path
        )
        return self._prediction(probabilities, from_intent.source, returning), from_intent.source

    def default_predictions(self, domain: Domain) -> list[float]:
        result = default_probabilities(domain)
        if self.config["enable_fallback_prediction"]:
            fallback = domain.action_index(self.config["core_fallback_action_name"])
            result[fallback] = float(self.config["core_fallback_threshold"])
        return result

    def _result(self, action: str, tracker: DialogueStateTracker, domain: Domain) -> list[float]:
        result = self.default_predictions(domain)
        score = 1.0
        if self.config["use_nlu_confidence_as_score"]:
            score = float(tracker.latest_message.intent.get("confidence", 1.0))
        result[domain.action_index(action)] = score
        return result

    def _prediction(
        self,
        probabilities: list[float],
        source: str | None,
        returning_from_unhappy_path: bool = False,
        end_to_end: bool = False,
        no_user: bool = False,
    ) -> PolicyPrediction:
        hidden = source is not None and source in self.lookup.get(RULES_NOT_IN_STORIES, ())
        return PolicyPrediction(
            probabilities,
            self.name,
            self.priority,
            events=[LoopInterrupted(is_interrupted=True)] if returning_from_unhappy_path else [],
            is_end_to_end_prediction=end_to_end,
            is_no_user_prediction=no_user,
            hide_rule_turn=hidden,
        )

    @staticmethod
    def _find_from_default_actions(
        tracker: DialogueStateTracker,
    ) -> tuple[str | None, str | None]:
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            return None, None
        intent = tracker.latest_message.intent_name
        action = DEFAULT_ACTION_MAPPINGS.get(intent) if intent else None
        if action is None:
            return None, None
        return action, DEFAULT_RULES + str(intent)

    @staticmethod
    def _find_from_loop_happy_path(
        tracker: DialogueStateTracker,
    ) -> tuple[str | None, str | None]:
        loop = tracker.active_loop_name
        if loop is None or tracker.is_active_loop_rejected:
            return None, None
        if tracker.latest_action and tracker.latest_action.get("action_name") != loop:
            return loop, LOOP_RULES + loop
        if tracker.latest_action_name == loop:
            return (
                ACTION_LISTEN_NAME,
                f"{LOOP_RULES}{loop}{LOOP_RULES_SEPARATOR}{ACTION_LISTEN_NAME}",
            )
        return None, None

    def _find_from_rules(
        self,
        tracker: DialogueStateTracker,
        history: list[State],
        use_text: bool,
        truncated: bool = False,
    ) -> RuleFinding:
        if use_text and tracker.latest_action_name != ACTION_LISTEN_NAME:
            # text decides only right after the user spoke
            return RuleFinding(None, None)
        # Only the last state differs between the text and the intent pass; the text is
        # dropped from earlier intent states in place, the same in both passes.
        states = [*history[:-1], {k: dict(v) for k, v in history[-1].items()}]
        choose_last_user_input(states, use_text)
        rules: dict[str, str] = self.lookup.get(RULES, {})
        keys = possible_keys(rules, states)
        action: str | None = None
        best_key = ""
        if keys:
            # several matching rules: one is a part of another, the longest is the most specific
            best_key = max(keys, key=len)
            action = rules.get(best_key)
        returning = False
        loop = tracker.active_loop_name
        if loop:
            unhappy: dict[str, str] = self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})
            conditions = [unhappy[k] for k in possible_keys(unhappy, states)]
            listen_from_general_rule = action == ACTION_LISTEN_NAME and not active_loop_name(
                rule_key_to_states(best_key)[-1]
            )
            if listen_from_general_rule:
                if DO_NOT_PREDICT_LOOP_ACTION not in conditions:
                    return RuleFinding(loop, best_key, returning)
                action = None
            if LOOP_WAS_INTERRUPTED in conditions:
                returning = True
        if best_key:
            return RuleFinding(action, best_key, returning)
        if truncated and not any(previous_action(s) == RULE_SNIPPET_ACTION for s in states):
            # The key of the whole conversation holds more states than any rule key, so
            # it is none of them: no source.
            return RuleFinding(action, None, returning)
        return RuleFinding(action, create_feature_key(states), returning)


def states_for_unhappy_loop_predictions(states: Sequence[State]) -> list[State]:
    """Only the last turn and the action before it (Rasa's unhappy-path keys)."""
    if len(states) == 1 or not states[-2].get(PREVIOUS_ACTION):
        return [states[-1]]
    return [{PREVIOUS_ACTION: states[-2][PREVIOUS_ACTION]}, states[-1]]


__all__ = [
    "ACTIVE_LOOP",
    "DEFAULT_RULES",
    "DO_NOT_PREDICT_LOOP_ACTION",
    "LOOP_RULES",
    "LOOP_WAS_INTERRUPTED",
    "RULES",
    "RULES_FOR_LOOP_UNHAPPY_PATH",
    "RULES_NOT_IN_STORIES",
    "RULE_POLICY_DEFAULTS",
    "RULE_POLICY_FILE",
    "RulePolicy",
    "create_feature_key",
    "possible_keys",
    "states_for_unhappy_loop_predictions",
]
