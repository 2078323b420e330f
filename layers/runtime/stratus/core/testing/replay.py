"""Replaying one test story against a trained model, step by step (Rasa's
`_predict_tracker_actions`).

The replay always stays on the story: after each prediction the tracker gets the
story's own event, not the predicted one, so one wrong prediction is one mistake and
not a cascade. Custom actions and forms are never run; the slots and loops they would
set come from the story's `slot_was_set` and `active_loop` steps. When the policies
predict the active form although the story says otherwise, the form is taken to have
rejected its slot (Rasa's `emulate_loop_rejection`) and the prediction is made again.

A predicted `action_unlikely_intent` (UnexpecTEDIntentPolicy) that the story does not
contain is a warning, not a mistake, as in Rasa 3.6: it goes into the tracker, as it
would in a conversation, and the story's action is predicted again. A story that passes
with such warnings is written to `stories_with_warnings.yml`.

With `e2e`, user steps with text also go through NLU and the predicted intent and
entities are scored against the story's (roles and groups ignored, as Rasa does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.core.loop import (
    DEFAULT_INTENT_ACTIONS,
    DEFAULT_INTENT_POLICY,
    MAX_NUMBER_OF_PREDICTIONS,
)
from stratus.core.prediction import FOLLOWUP_ACTION_POLICY, Interpreter, Predictor
from stratus.core.story_graph import TrainingTracker
from stratus.core.testing.markup import format_message
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import (
    ACTION_LISTEN,
    ACTION_SESSION_START,
    ACTION_UNLIKELY_INTENT,
    UTTER_PREFIX,
)
from stratus.shared.events import ActionExecuted, ActionExecutionRejected, Event, UserUttered
from stratus.shared.tracker import DialogueStateTracker

# Rasa's label for a prediction the circuit breaker refused to make.
CIRCUIT_BREAKER_TRIPPED = "circuit breaker tripped"
# The entity keys Rasa compares (`_clean_entity_results`): roles and groups are ignored.
_ENTITY_KEYS = ("start", "end", "entity", "value")


@dataclass(frozen=True)
class ReplayedStep:
    """One story event, with what the model predicted when that differs."""

    event: Event
    # e.g. "predicted: utter_greet" on a wrong action, Rasa's inline comment.
    comment: str | None = None


@dataclass(frozen=True)
class UnlikelyIntentWarning:
    """An `action_unlikely_intent` the model predicted before `action`, which the story
    does not have there; `severity` is how far below its threshold the intent scored."""

    action: str
    severity: float


@dataclass(frozen=True)
class ActionOutcome:
    """One expected action and the model's prediction (Rasa's `tracker_actions` entry)."""

    action: str
    predicted: str
    policy: str | None
    confidence: float | None

    @property
    def correct(self) -> bool:
        return self.action == self.predicted


@dataclass
class StoryOutcome:
    """Everything one replayed story scored (Rasa's per-tracker EvaluationStore)."""

    name: str
    file: str | None
    steps: list[ReplayedStep] = field(default_factory=list)
    actions: list[ActionOutcome] = field(default_factory=list)
    intent_targets: list[str | None] = field(default_factory=list)
    intent_predictions: list[str | None] = field(default_factory=list)
    entity_targets: list[dict[str, Any]] = field(default_factory=list)
    entity_predictions: list[dict[str, Any]] = field(default_factory=list)
    wrong_user_turns: int = 0
    warnings: list[UnlikelyIntentWarning] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The name with its file, as Rasa names the stories it writes back."""
        return f"{self.name} ({self.file})" if self.file else self.name

    @property
    def failed(self) -> bool:
        return self.wrong_user_turns > 0 or any(not a.correct for a in self.actions)

    @property
    def passed_with_warnings(self) -> bool:
        """Passed, but the model flagged a user turn the story has as unlikely."""
        return bool(self.warnings) and not self.failed

    @property
    def severity(self) -> float:
        """The largest severity of the story's warnings (Rasa sorts the stories by it)."""
        return max([0.0, *(w.severity for w in self.warnings)])


class StoryReplayer:
    """Replays story trackers on one model's domain, policies and (optional) NLU."""

    def __init__(
        self,
        domain: Domain,
        policies: Predictor,
        interpreter: Interpreter | None = None,
        e2e: bool = False,
        max_predictions: int = MAX_NUMBER_OF_PREDICTIONS,
    ) -> None:
        self.domain = domain
        self.policies = policies
        self.interpreter = interpreter
        self.e2e = e2e
        self.max_predictions = max_predictions

    def replay(self, story: TrainingTracker, file: str | None = None) -> StoryOutcome:
        """Predict every action of `story` after its first event, as Rasa does."""
        outcome = StoryOutcome(story.name, file)
        events = list(story.events)
        tracker = new_tracker(self.domain, story.name, events[:1])
        outcome.steps.extend(ReplayedStep(e) for e in events[:1])
        for event in events[1:]:
            if isinstance(event, ActionExecuted):
                outcome.steps.append(self._action(tracker, event, outcome))
            elif self.e2e and isinstance(event, UserUttered):
                outcome.steps.append(self._user(tracker, event, outcome))
            else:
                tracker.update(event)
                outcome.steps.append(ReplayedStep(event))
        return outcome

    # -- actions ---------------------------------------------------------------------

    def _action(
        self, tracker: DialogueStateTracker, event: ActionExecuted, outcome: StoryOutcome
    ) -> ReplayedStep:
        expected = event.action_name or event.action_text or ""
        predicted = self._predict_action(tracker, expected)
        flagged = predicted.name == ACTION_UNLIKELY_INTENT and expected != ACTION_UNLIKELY_INTENT
        if flagged:
            # Rasa 3.6 (`_collect_action_executed_predictions`): the flag goes into the
            # tracker as in a conversation, and the story's action is predicted after it.
            tracker.update(
                ActionExecuted(
                    action_name=ACTION_UNLIKELY_INTENT,
                    policy=predicted.policy,
                    confidence=predicted.confidence,
                    timestamp=event.timestamp,
                    metadata=dict(predicted.metadata or {}),
                )
            )
            outcome.warnings.append(UnlikelyIntentWarning(expected, _severity(predicted.metadata)))
            predicted = self._predict_action(tracker, expected)
        outcome.actions.append(
            ActionOutcome(expected, predicted.name, predicted.policy, predicted.confidence)
        )
        # The story's action goes into the tracker as written, even a full retrieval name
        # (`utter_faq/ask_name`), which no rule or story state knows: Rasa 3.6 does the
        # same, so `stratus test` reports what `rasa test` reports for such stories.
        tracker.update(
            ActionExecuted(
                action_name=event.action_name,
                action_text=event.action_text,
                policy=predicted.policy,
                confidence=predicted.confidence,
                timestamp=event.timestamp,
            )
        )
        # Rasa's inline comments (WronglyPredictedAction, WarningPredictedAction).
        comment = None
        if predicted.name != expected:
            comment = f"predicted: {predicted.name}"
            if flagged:
                comment += f" after {ACTION_UNLIKELY_INTENT}"
        elif flagged:
            comment = f"predicted: {ACTION_UNLIKELY_INTENT}"
        return ReplayedStep(event, comment)

    def _predict_action(self, tracker: DialogueStateTracker, expected: str) -> _Predicted:
        if self._limit_reached(tracker):
            return _Predicted(CIRCUIT_BREAKER_TRIPPED)
        predicted = self._predict(tracker, expected)
        if (
            predicted.policy
            and predicted.name != expected
            and predicted.name == tracker.active_loop_name
            and predicted.name in self.domain.form_names
        ):
            # The story may mean that the form rejected its slot: emulate the rejection
            # and predict again (Rasa's `emulate_loop_rejection`).
            tracker.update(ActionExecutionRejected(predicted.name))
            predicted = self._predict(tracker, expected)
        return predicted

    def _limit_reached(self, tracker: DialogueStateTracker) -> bool:
        count = 0
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted):
                if event.action_name in (ACTION_LISTEN, ACTION_SESSION_START):
                    break
                count += 1
        return count >= self.max_predictions

    def _predict(self, tracker: DialogueStateTracker, expected: str) -> _Predicted:
        """The action the conversation loop would run next (without running it)."""
        followup = tracker.followup_action
        if followup:
            tracker.followup_action = None
            if followup in self.domain.action_names_or_texts:
                return _Predicted(followup, FOLLOWUP_ACTION_POLICY, 1.0)
        if tracker.latest_action_name == ACTION_LISTEN:
            mapped = DEFAULT_INTENT_ACTIONS.get(tracker.latest_message.intent_name or "")
            if mapped:
                return _Predicted(mapped, DEFAULT_INTENT_POLICY, 1.0)
        last = tracker.events[-1] if tracker.events else None
        rejected = last.action_name if isinstance(last, ActionExecutionRejected) else None
        name, prediction = self.policies.predict_next_action(tracker, self.domain, rejected)
        return _Predicted(
            self._full_retrieval_name(tracker, name, expected),
            prediction.policy_name,
            prediction.max_confidence,
            prediction.action_metadata,
        )

    def _full_retrieval_name(self, tracker: DialogueStateTracker, name: str, expected: str) -> str:
        # A wrong retrieval action is reported with its response key (utter_faq/ask_name),
        # a right one as the story wrote it (Rasa's `_get_predicted_action_name`).
        intent = name[len(UTTER_PREFIX) :] if name.startswith(UTTER_PREFIX) else None
        if name == expected or intent not in self.domain.retrieval_intents:
            return name
        selector = tracker.latest_message.parse_data.get("response_selector") or {}
        entry = selector.get(intent) or selector.get("default") or {}
        key = (entry.get("response") or {}).get("intent_response_key")
        return f"{UTTER_PREFIX}{key}" if key else name

    # -- user turns (e2e) ------------------------------------------------------------

    def _user(
        self, tracker: DialogueStateTracker, event: UserUttered, outcome: StoryOutcome
    ) -> ReplayedStep:
        if not event.text or self.interpreter is None:
            tracker.update(event)
            return ReplayedStep(event)
        parsed = self.interpreter.parse(event.text)
        # The tracker gets the story's intent and entities, with the response selector's
        # predictions for retrieval actions (Rasa's EndToEndUserUtterance).
        selector = parsed.get("response_selector")
        tracker.update(
            dataclasses.replace(
                event, parse_data={**event.parse_data, "response_selector": selector}
            )
            if selector
            else event
        )
        gold_intent = event.full_retrieval_intent_name or event.intent_name
        predicted_intent = (parsed.get("intent") or {}).get("name")
        if gold_intent != predicted_intent:
            predicted_intent = _full_retrieval_intent(parsed) or predicted_intent
        wrong = False
        # A `user:` step without `intent:` names no intent to score against (Rasa would
        # count every prediction as wrong).
        if gold_intent is not None:
            outcome.intent_targets.append(gold_intent)
            outcome.intent_predictions.append(predicted_intent)
            wrong = gold_intent != predicted_intent
        gold_entities = clean_entities(event.text, event.entities or [])
        predicted_entities = clean_entities(event.text, parsed.get("entities") or [])
        outcome.entity_targets.extend(gold_entities)
        outcome.entity_predictions.extend(predicted_entities)
        wrong = wrong or _entity_key(gold_entities) != _entity_key(predicted_entities)
        if not wrong:
            return ReplayedStep(event)
        outcome.wrong_user_turns += 1
        shown = format_message(event.text, parsed.get("entities") or [])
        return ReplayedStep(event, f"predicted: {predicted_intent}: {shown}")


@dataclass(frozen=True)
class _Predicted:
    """One prediction of the replay: the action and what the policy said about it."""

    name: str
    policy: str | None = None
    confidence: float | None = None
    metadata: dict[str, Any] | None = None


def _severity(metadata: dict[str, Any] | None) -> float:
    # UnexpecTEDIntentPolicy's metadata: {"query_intent": {"severity": ...}, "ranking": [...]}
    query = (metadata or {}).get("query_intent") or {}
    severity = query.get("severity") if isinstance(query, dict) else None
    return float(severity) if isinstance(severity, int | float) else 0.0


def clean_entities(text: str, entities: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities reduced to what Rasa scores (`_clean_entity_results`): text, start, end,
    entity and value, predicted values as strings."""
    out = []
    for entity in entities:
        cleaned: dict[str, Any] = {"text": text}
        for key in _ENTITY_KEYS:
            if key in entity:
                value = entity[key]
                if key == "value" and "extractor" in entity:
                    value = str(value)
                cleaned[key] = value
        out.append(cleaned)
    return out


def _entity_key(entities: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    # Extractors list entities in their own order; compare them by position.
    return sorted(
        (tuple(str(e.get(k)) for k in _ENTITY_KEYS) for e in entities),
        key=lambda t: t,
    )


def _full_retrieval_intent(parsed: dict[str, Any]) -> str | None:
    intent = (parsed.get("intent") or {}).get("name")
    selectors = parsed.get("response_selector") or {}
    # a ResponseSelector without `retrieval_intent` answers for every one, as "default"
    selector = selectors.get(intent) or selectors.get("default") or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    if not key or not str(key).startswith(f"{intent}/"):
        return None
    return str(key)
