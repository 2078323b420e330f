"""RulePolicy training: rule lookups compiled to `rule_policy.json`, with Rasa's checks.

Checks, in Rasa 3.6's order: the fallback action exists; `restrict_rules` (one user
message per rule); incomplete rules (an action that sets slots or a loop in one rule
but not in another); then contradictions, found by running the compiled rules over
every rule and story and comparing with what the data says. Each problem names the rule
or story and, unlike Rasa, the file and line of the step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.core.policies.rule import (
    DEFAULT_ACTION_MAPPINGS,
    DEFAULT_RULES,
    DO_NOT_PREDICT_LOOP_ACTION,
    LOOP_RULES,
    LOOP_RULES_SEPARATOR,
    LOOP_WAS_INTERRUPTED,
    RULE_POLICY_DEFAULTS,
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RULES_NOT_IN_STORIES,
    RulePolicy,
    create_feature_key,
    states_for_unhappy_loop_predictions,
)
from stratus.core.policies.states import (
    ACTIVE_LOOP,
    LOOP_NAME,
    PREVIOUS_ACTION,
    RULE_ONLY_LOOPS,
    RULE_ONLY_SLOTS,
    SLOTS,
    State,
    active_loop_name,
    is_prev_action_listen,
    past_states,
    previous_action,
)
from stratus.core.policies.states import slot_dimension as _slot_dimension
from stratus.core.story_graph import TrainingTracker
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import RULE_SNIPPET_ACTION
from stratus.shared.events import (
    ACTION_LISTEN_NAME,
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem
from stratus.shared.tracker import SHOULD_NOT_BE_SET, DialogueStateTracker
from stratus_train.core.examples import examples, lookup_from_pairs

DOCS_URL_RULES = "https://rasa.com/docs/rasa/rules"
ALLOWED_USER_MESSAGES_PER_RULE = 1


class InvalidRulesError(ProjectError):
    """Rules that cannot be trained; the message reads like Rasa's InvalidRule."""

    def __init__(self, headline: str, problems: Sequence[Problem], footer: str) -> None:
        self.headline, self.footer = headline, footer
        super().__init__(problems)

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt in the parent of a training process
        return type(self), (self.headline, self.problems, self.footer)

    def __str__(self) -> str:
        lines = [f"- {p.message}" + (f" ({_where(p)})" if p.file else "") for p in self.problems]
        return (
            f"\n{self.headline}\n\n" + "\n".join(lines) + f"\n{self.footer}\n"
            f"You can find more information about the usage of rules at {DOCS_URL_RULES}."
        )


def _where(problem: Problem) -> str:
    return f"{problem.file}:{problem.line}" if problem.line is not None else str(problem.file)


def _located(tracker: TrainingTracker, event: Event | None, message: str) -> Problem:
    origin = tracker.origin(event)
    if origin is None:
        return Problem(message, None, None, tracker.name)
    return Problem(message, origin.file, origin.line, origin.story)


def rule_policy_config(options: dict[str, Any]) -> dict[str, Any]:
    config = {**RULE_POLICY_DEFAULTS, **{k: v for k, v in options.items() if k != "name"}}
    config["max_history"] = None  # rules are as long as they are
    return config


def compile_rule_policy(
    trackers: Sequence[TrainingTracker], domain: Domain, options: dict[str, Any]
) -> dict[str, Any]:
    """The content of `rule_policy.json`; raises InvalidRulesError for bad rules."""
    config = rule_policy_config(options)
    fallback = config["core_fallback_action_name"]
    if fallback and fallback not in domain.action_names_or_texts:
        raise ProjectError(
            Problem(
                f"The fallback action '{fallback}' which was configured for the RulePolicy "
                "must be present in the domain.",
                field="policies.RulePolicy.core_fallback_action_name",
            )
        )
    rule_trackers = [t for t in trackers if t.is_rule]
    story_trackers = [t for t in trackers if not t.is_rule]
    if config["restrict_rules"]:
        _check_rule_restriction(rule_trackers)
    if config["check_for_contradictions"]:
        _check_for_incomplete_rules(rule_trackers, domain)

    rule_examples = examples(rule_trackers, domain, omit_unset_slots=True)
    story_examples = examples(story_trackers, domain)
    rules = lookup_from_pairs([(create_feature_key(e.states), e.action) for e in rule_examples])
    lookup: dict[str, Any] = {RULES: {k: a for k, a in rules.items() if a != RULE_SNIPPET_ACTION}}
    if config["check_for_contradictions"]:
        rule_slots, rule_loops = _slots_and_loops([e.states for e in rule_examples])
        story_slots, story_loops = _slots_and_loops([e.states for e in story_examples])
        lookup[RULE_ONLY_SLOTS] = sorted(rule_slots - story_slots - {SHOULD_NOT_BE_SET})
        lookup[RULE_ONLY_LOOPS] = sorted(rule_loops - story_loops - {SHOULD_NOT_BE_SET})
    lookup[RULES_FOR_LOOP_UNHAPPY_PATH] = _loop_unhappy_lookup(
        [(e.states, e.action) for e in [*rule_examples, *story_examples]]
    )
    if config["check_for_contradictions"]:
        analyzer = _RuleAnalyzer(RulePolicy(lookup=lookup, config=config), domain)
        lookup[RULES_NOT_IN_STORIES] = analyzer.analyze(rule_trackers, list(trackers))
    return {"config": config, "lookup": lookup}


def _check_rule_restriction(rule_trackers: Sequence[TrainingTracker]) -> None:
    too_long = [t for t in rule_trackers if t.user_messages() > ALLOWED_USER_MESSAGES_PER_RULE]
    if not too_long:
        return
    problems = []
    for tracker in too_long:
        second = [e for e in tracker.events if isinstance(e, UserUttered)][1]
        problems.append(
            _located(
                tracker,
                second,
                f"rule '{tracker.name}' contains more than {ALLOWED_USER_MESSAGES_PER_RULE} "
                "user message",
            )
        )
    names = ", ".join(t.name for t in too_long)
    raise InvalidRulesError(
        f"Found rules '{names}' that contain more than {ALLOWED_USER_MESSAGES_PER_RULE} user "
        "message. Rules are not meant to hardcode a state machine. Please use stories for "
        "these cases.",
        problems,
        "",
    )


def _slots_and_loops(all_states: Sequence[Sequence[State]]) -> tuple[set[str], set[str]]:
    slots: set[str] = set()
    loops: set[str] = set()
    for states in all_states:
        for state in states:
            slots.update(state.get(SLOTS, {}))
            loop = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
            if loop:
                loops.add(loop)
    return slots, loops


def _loop_unhappy_lookup(pairs: Sequence[tuple[list[State], str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for states, action in pairs:
        loop = active_loop_name(states[-1])
        if not loop:
            continue
        key = create_feature_key(states_for_unhappy_loop_predictions(states))
        if not key:
            continue
        listened = is_prev_action_listen(states[-1])
        if listened and action == loop:
            lookup[key] = LOOP_WAS_INTERRUPTED  # the loop resumes after an unhappy path
        elif not listened and action != loop:
            lookup[key] = DO_NOT_PREDICT_LOOP_ACTION
    return lookup


# -- incomplete rules ---------------------------------------------------------------------


@dataclass
class _Fingerprint:
    slots: set[str] = field(default_factory=set)
    loops: set[str] = field(default_factory=set)


def _action_fingerprints(
    trackers: Sequence[TrainingTracker], domain: Domain
) -> dict[str, _Fingerprint]:
    """The featurized slots and loops each action sets somewhere in the rules."""
    featurized = {s.name for s in domain.slots if _slot_dimension(s) > 0}
    prints: dict[str, _Fingerprint] = {}
    for tracker in trackers:
        action: str | None = None
        for event in tracker.events:
            if isinstance(event, ActionExecuted):
                action = event.action_name or event.action_text
                continue
            if isinstance(event, UserUttered):
                action = None  # slots filled by entities are not the action's doing
                continue
            if not action:
                continue
            fingerprint = prints.setdefault(action, _Fingerprint())
            if isinstance(event, SlotSet) and event.key in featurized:
                fingerprint.slots.add(event.key)
            elif isinstance(event, ActiveLoop):
                fingerprint.loops.add(str(event.name))
    return prints


def _check_for_incomplete_rules(rule_trackers: Sequence[TrainingTracker], domain: Domain) -> None:
    prints = _action_fingerprints(rule_trackers, domain)
    if not prints:
        return
    problems: list[Problem] = []
    for tracker in rule_trackers:
        live = tracker.tracker(domain)
        states = past_states(live, domain)
        actions = [e for e in live.applied_events() if isinstance(e, ActionExecuted)]
        following = [previous_action(s) for s in states[1:]] + [ACTION_LISTEN_NAME]
        for index, (state, next_action) in enumerate(zip(states, following)):
            prev = previous_action(state)
            fingerprint = prints.get(prev) if prev else None
            if fingerprint is None or RULE_SNIPPET_ACTION in (prev, next_action):
                continue
            event = actions[index - 1] if 0 < index <= len(actions) else None
            missing = fingerprint.slots - set(state.get(SLOTS, {}))
            if missing:
                problems.append(
                    _located(
                        tracker,
                        event,
                        f"the action '{prev}' in rule '{tracker.name}' does not set some of "
                        f"the slots that it sets in other rules. Slots not set in rule "
                        f"'{tracker.name}': '{', '.join(sorted(missing))}'. Please update the "
                        "rule with an appropriate slot or if it is the last action add "
                        "'wait_for_user_input: false' after this action.",
                    )
                )
            loop = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
            if fingerprint.loops and loop not in fingerprint.loops:
                shown = {"null" if n == SHOULD_NOT_BE_SET else n for n in fingerprint.loops}
                shown.add(str(prev))
                problems.append(
                    _located(
                        tracker,
                        event,
                        f"the form '{prev}' in rule '{tracker.name}' does not set the "
                        f"'active_loop', that it sets in other rules: "
                        f"'{', '.join(sorted(shown))}'. Please update the rule with "
                        "the appropriate 'active loop' property or if it is the last action "
                        "add 'wait_for_user_input: false' after this action.",
                    )
                )
    if problems:
        raise InvalidRulesError(
            "Incomplete rules found🚨",
            problems,
            "Please note that if some slots or active loops should not be set during "
            "prediction you need to explicitly set them to 'null' in the rules.",
        )


# -- contradictions -----------------------------------------------------------------------


@dataclass
class _RuleAnalyzer:
    """Runs the compiled rules over the training data (Rasa's `_analyze_rules`)."""

    policy: RulePolicy
    domain: Domain
    sources: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))

    def analyze(
        self, rule_trackers: Sequence[TrainingTracker], all_trackers: Sequence[TrainingTracker]
    ) -> list[str]:
        """Raises on contradictions; returns the rule keys no story uses."""
        self._run(rule_trackers, collect=True)
        problems, used = self._run(all_trackers, collect=False)
        if problems:
            raise InvalidRulesError(
                "Contradicting rules or stories found 🚨",
                problems,
                "Please update your stories and rules so that they don't contradict each other.",
            )
        everything = set(self.sources) | {DEFAULT_RULES + i for i in DEFAULT_ACTION_MAPPINGS}
        for loop in self.domain.form_names:
            everything.add(LOOP_RULES + loop)
            everything.add(LOOP_RULES + loop + LOOP_RULES_SEPARATOR + ACTION_LISTEN_NAME)
        return sorted(everything - used)

    def _predict(
        self, tracker: DialogueStateTracker, is_rule: bool
    ) -> tuple[str | None, str | None]:
        prediction, source = self.policy.predict_with_source(tracker, self.domain)
        if prediction.probabilities != self.policy.default_predictions(self.domain) or is_rule:
            return self.domain.action_names_or_texts[prediction.action_index], source
        return None, source

    def _predicted(
        self, tracker: DialogueStateTracker, gold: str, is_rule: bool
    ) -> tuple[str | None, str | None]:
        predicted, source = self._predict(tracker, is_rule)
        loop = tracker.active_loop_name
        if loop and predicted != gold and predicted == loop:
            # inside a loop's unhappy path another action may come first: emulate rejection
            tracker.update(ActionExecutionRejected(action_name=loop))
            predicted, source = self._predict(tracker, is_rule)
        return predicted, source

    def _run(
        self, trackers: Sequence[TrainingTracker], collect: bool
    ) -> tuple[list[Problem], set[str]]:
        if collect:
            self.sources = defaultdict(list)
        problems: list[Problem] = []
        used: set[str] = set()
        for training in trackers:
            running = new_tracker(self.domain, training.name)
            unpredictable = True  # the first action is never predicted
            for event in training.tracker(self.domain).applied_events():
                if not isinstance(event, ActionExecuted):
                    running.update(event)
                    continue
                if event.action_name == RULE_SNIPPET_ACTION:
                    unpredictable = True
                    running.update(event)
                    continue
                if unpredictable or training.is_unpredictable(event):
                    unpredictable = False
                    running.update(event)
                    continue
                gold = event.action_name or event.action_text or ""
                predicted, source = self._predicted(running, gold, training.is_rule)
                if collect:
                    if source:
                        self._collect(training, predicted, gold, source)
                else:
                    if not training.is_rule and predicted == gold and source:
                        used.add(source)
                    problem = self._check(training, event, predicted, gold, source)
                    if problem is not None:
                        problems.append(problem)
                running.update(event)
        return problems, used

    def _collect(
        self, training: TrainingTracker, predicted: str | None, gold: str, source: str
    ) -> None:
        name = training.name
        if source.startswith(DEFAULT_RULES) or source.startswith(LOOP_RULES):
            gold, name = predicted or gold, source  # the data contradicts a built-in rule
        self.sources[source].append((name, gold))

    def _should_delete(self, source: str, training: TrainingTracker, predicted: str) -> bool:
        """A story contradicting a rule's trailing `action_listen` only: drop that key."""
        if training.is_rule or source.count(PREVIOUS_ACTION) > 1:
            return False
        if predicted != ACTION_LISTEN_NAME:
            return False
        return any(
            key.startswith(source[:-2]) and key != source for key in self.policy.lookup[RULES]
        )

    def _check(
        self,
        training: TrainingTracker,
        event: ActionExecuted,
        predicted: str | None,
        gold: str,
        source: str | None,
    ) -> Problem | None:
        if not predicted or not source or predicted == gold:
            return None
        if self._should_delete(source, training, predicted):
            self.policy.lookup[RULES].pop(source, None)
            return None
        rules = sorted({n for n, action in self.sources.get(source, []) if action != gold})
        if not rules:
            return None
        kind = "rule" if training.is_rule else "story"
        message = (
            f"the prediction of the action '{gold}' in {kind} '{training.name}' is "
            f"contradicting with rule(s) '{', '.join(rules)}'"
        )
        if predicted != self.policy.config["core_fallback_action_name"]:
            message += f" which predicted action '{predicted}'"
        return _located(training, event, message + ".")
