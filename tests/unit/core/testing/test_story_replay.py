"""Replaying test stories with scripted policies: what counts as right or wrong, and how
the replay stays on the story."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core_helpers import ScriptedPredictor, respond_then_listen

from stratus.core.prediction import ActionPrediction
from stratus.core.testing.replay import (
    CIRCUIT_BREAKER_TRIPPED,
    StoryOutcome,
    StoryReplayer,
    UnlikelyIntentWarning,
)
from stratus.core.testing.runner import story_trackers
from stratus.shared.domain import Domain
from stratus.shared.events import ActionExecuted
from stratus.shared.tracker import DialogueStateTracker
from stratus.shared.training_data.files import load_training_data

GREET_AND_FORM = """
version: "3.1"
stories:
- story: happy
  steps:
  - user: |
      hi
    intent: greet
  - action: utter_greet
  - user: |
      a table please
    intent: request_restaurant
  - action: restaurant_form
  - active_loop: restaurant_form
  - slot_was_set:
    - requested_slot: cuisine
  - user: |
      who are you?
    intent: chitchat
  - action: utter_chitchat
  - action: restaurant_form
  - active_loop: null
  - action: utter_submit
"""


def replay(
    tmp_path: Path, yaml_text: str, domain: Domain, predictor: Any, **kwargs: Any
) -> list[StoryOutcome]:
    path = tmp_path / "test_stories.yml"
    path.write_text(yaml_text, "utf-8")
    trackers = story_trackers(load_training_data([path]).stories, domain)
    replayer = StoryReplayer(domain, predictor, **kwargs)
    return [replayer.replay(t, str(path)) for t in trackers]


def form_policy(tracker: DialogueStateTracker, rejected: str | None) -> str:
    """What a trained formbot predicts: the form keeps control unless it rejects."""
    last = tracker.latest_action_name
    intent = tracker.latest_message.intent_name
    if last == "action_listen":
        if tracker.active_loop_name and rejected != tracker.active_loop_name:
            return tracker.active_loop_name
        return {
            "greet": "utter_greet",
            "request_restaurant": "restaurant_form",
            "chitchat": "utter_chitchat",
        }.get(intent or "", "action_listen")
    if last == "utter_chitchat":
        return "restaurant_form"
    if last == "restaurant_form" and tracker.active_loop_name is None:
        return "utter_submit"
    return "action_listen"


def test_a_story_the_policies_follow_passes(tmp_path: Path, formbot_domain: Domain) -> None:
    [outcome] = replay(tmp_path, GREET_AND_FORM, formbot_domain, ScriptedPredictor(form_policy))
    assert not outcome.failed
    assert [a.action for a in outcome.actions] == [
        "utter_greet",
        "action_listen",
        "restaurant_form",
        "action_listen",
        "utter_chitchat",
        "restaurant_form",
        "utter_submit",
        "action_listen",
    ]
    assert all(a.policy == "ScriptedPolicy" for a in outcome.actions)


def test_the_form_is_taken_to_reject_when_the_story_leaves_it(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    # The policies first predict the active form; the story says utter_chitchat, so the
    # replay emulates the form's rejection and asks again (Rasa's emulate_loop_rejection).
    predictor = ScriptedPredictor(form_policy)
    [outcome] = replay(tmp_path, GREET_AND_FORM, formbot_domain, predictor)
    assert not outcome.failed
    assert [r for _, r in predictor.calls if r] == ["restaurant_form"]
    events = [type(s.event).__name__ for s in outcome.steps]
    assert "ActionExecutionRejected" not in events  # the written story stays the story's


def test_a_wrong_prediction_fails_the_story_and_the_replay_goes_on(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    predictor = respond_then_listen({"greet": "utter_noworries", "thankyou": "utter_noworries"})
    story = """
stories:
- story: greet and thank
  steps:
  - intent: greet
  - action: utter_greet
  - intent: thankyou
  - action: utter_noworries
"""
    [outcome] = replay(tmp_path, story, formbot_domain, predictor)
    assert outcome.failed
    assert [(a.action, a.predicted) for a in outcome.actions] == [
        ("utter_greet", "utter_noworries"),
        # the tracker got the story's utter_greet, so the next prediction is right
        ("action_listen", "action_listen"),
        ("utter_noworries", "utter_noworries"),
        ("action_listen", "action_listen"),
    ]
    comments = [s.comment for s in outcome.steps if s.comment]
    assert comments == ["predicted: utter_noworries"]


def test_the_circuit_breaker_trips_after_ten_actions(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    steps = "\n".join("  - action: utter_greet" for _ in range(11))
    story = f"stories:\n- story: chatty\n  steps:\n  - intent: greet\n{steps}\n"
    [outcome] = replay(
        tmp_path, story, formbot_domain, ScriptedPredictor(lambda t, r: "utter_greet")
    )
    # as in Rasa's own test: ten predictions, then the breaker for the 11th action and
    # for the closing action_listen
    predicted = [a.predicted for a in outcome.actions]
    assert predicted == ["utter_greet"] * 10 + [CIRCUIT_BREAKER_TRIPPED] * 2
    assert outcome.failed


class FakeInterpreter:
    def __init__(self, results: dict[str, dict[str, Any]]) -> None:
        self.results = results

    def parse(self, text: str) -> dict[str, Any]:
        return {"text": text, **self.results[text]}


def test_e2e_scores_intents_and_entities_but_not_roles(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    story = """
stories:
- story: inform
  steps:
  - intent: request_restaurant
  - action: restaurant_form
  - active_loop: restaurant_form
  - user: |
      [greek](cuisine) food
    intent: inform
  - action: restaurant_form
- story: misread
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
"""
    nlu = FakeInterpreter(
        {
            "greek food": {
                "intent": {"name": "inform", "confidence": 0.9},
                "entities": [
                    {
                        "entity": "cuisine",
                        "value": "greek",
                        "start": 0,
                        "end": 5,
                        "role": "main",  # roles are not scored
                        "extractor": "DIETClassifier",
                    }
                ],
            },
            "hello": {"intent": {"name": "thankyou", "confidence": 0.6}, "entities": []},
        }
    )

    def policy(tracker: DialogueStateTracker, rejected: str | None) -> str:
        if tracker.latest_action_name != "action_listen":
            return "action_listen"
        return {"greet": "utter_greet"}.get(
            tracker.latest_message.intent_name or "", "restaurant_form"
        )

    inform, misread = replay(
        tmp_path, story, formbot_domain, ScriptedPredictor(policy), interpreter=nlu, e2e=True
    )
    assert not inform.failed
    assert inform.intent_targets == inform.intent_predictions == ["inform"]
    assert misread.failed and misread.wrong_user_turns == 1
    # the tracker kept the story's intent, so the action after it is still right
    assert all(a.correct for a in misread.actions)
    assert [s.comment for s in misread.steps if s.comment] == ["predicted: thankyou: hello"]


def test_without_e2e_nlu_is_not_run(tmp_path: Path, formbot_domain: Domain) -> None:
    class Exploding:
        def parse(self, text: str) -> dict[str, Any]:
            raise AssertionError("NLU ran")

    story = (
        "stories:\n- story: s\n  steps:\n  - user: hi\n    intent: greet\n  - action: utter_greet\n"
    )
    [outcome] = replay(
        tmp_path,
        story,
        formbot_domain,
        respond_then_listen({"greet": "utter_greet"}),
        interpreter=Exploding(),
    )
    assert not outcome.failed


def test_retrieval_intent_is_read_from_a_default_response_selector() -> None:
    from stratus.core.testing.replay import _full_retrieval_intent

    parsed = {
        "intent": {"name": "faq", "confidence": 0.99},
        "response_selector": {
            "all_retrieval_intents": ["faq", "chitchat"],
            "default": {"response": {"intent_response_key": "faq/parking"}, "ranking": []},
        },
    }
    assert _full_retrieval_intent(parsed) == "faq/parking"
    # a key of another retrieval intent does not make this one's full name
    parsed["intent"]["name"] = "chitchat"
    assert _full_retrieval_intent(parsed) is None


UNLIKELY = "action_unlikely_intent"


def flagging_policy(flagged: dict[str, float], responses: dict[str, str]) -> ScriptedPredictor:
    """UnexpecTEDIntentPolicy's pattern: right after a user message whose intent is in
    `flagged`, `action_unlikely_intent` with that severity; then `responses`, then listen."""

    def policy(tracker: DialogueStateTracker, rejected: str | None) -> str | tuple[str, Any]:
        intent = tracker.latest_message.intent_name or ""
        if tracker.latest_action_name == "action_listen" and intent in flagged:
            metadata = {"query_intent": {"name": intent, "severity": flagged[intent]}}
            return UNLIKELY, ActionPrediction(
                "UnexpecTEDIntentPolicy", 1.0, action_metadata=metadata
            )
        if tracker.latest_action_name in ("action_listen", UNLIKELY):
            return responses.get(intent, "action_listen")
        return "action_listen"

    return ScriptedPredictor(policy)


GREET_THEN_THANK = """
stories:
- story: greet and thank
  steps:
  - intent: greet
  - action: utter_greet
  - intent: thankyou
  - action: utter_noworries
"""


def test_an_unlikely_intent_the_story_lacks_is_a_warning_not_a_mistake(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    predictor = flagging_policy(
        {"thankyou": 0.25}, {"greet": "utter_greet", "thankyou": "utter_noworries"}
    )
    [outcome] = replay(tmp_path, GREET_THEN_THANK, formbot_domain, predictor)
    assert not outcome.failed and outcome.passed_with_warnings
    assert outcome.warnings == [UnlikelyIntentWarning("utter_noworries", 0.25)]
    assert outcome.severity == 0.25
    # the flag is not scored: the story's actions are, each predicted once right
    assert [(a.action, a.predicted) for a in outcome.actions] == [
        ("utter_greet", "utter_greet"),
        ("action_listen", "action_listen"),
        ("utter_noworries", "utter_noworries"),
        ("action_listen", "action_listen"),
    ]
    # utter_noworries was predicted with the flag in the tracker, as in a conversation
    assert ("action_unlikely_intent", None) in predictor.calls
    actions = [s for s in outcome.steps if isinstance(s.event, ActionExecuted)]
    comments = [(s.event.action_name, s.comment) for s in actions if s.comment]
    assert comments == [("utter_noworries", "predicted: action_unlikely_intent")]
    # the written story stays the story's: the flag is only a comment
    assert UNLIKELY not in [s.event.action_name for s in actions]


def test_a_wrong_action_after_the_flag_fails_and_says_so(
    tmp_path: Path, formbot_domain: Domain
) -> None:
    predictor = flagging_policy(
        {"thankyou": 0.5}, {"greet": "utter_greet", "thankyou": "utter_greet"}
    )
    [outcome] = replay(tmp_path, GREET_THEN_THANK, formbot_domain, predictor)
    assert outcome.failed and not outcome.passed_with_warnings
    assert [s.comment for s in outcome.steps if s.comment] == [
        "predicted: utter_greet after action_unlikely_intent"
    ]


def test_a_story_with_the_flag_in_it_expects_it(tmp_path: Path, formbot_domain: Domain) -> None:
    story = GREET_THEN_THANK.replace(
        "  - intent: thankyou\n", "  - intent: thankyou\n  - action: action_unlikely_intent\n"
    )
    predictor = flagging_policy(
        {"thankyou": 0.5}, {"greet": "utter_greet", "thankyou": "utter_noworries"}
    )
    [outcome] = replay(tmp_path, story, formbot_domain, predictor)
    assert not outcome.failed and outcome.warnings == []
    assert (UNLIKELY, UNLIKELY) in [(a.action, a.predicted) for a in outcome.actions]
    # and a model that does not flag the turn fails it, as any missing action would
    calm = flagging_policy({}, {"greet": "utter_greet", "thankyou": "utter_noworries"})
    [outcome] = replay(tmp_path, story, formbot_domain, calm)
    assert outcome.failed
    assert (UNLIKELY, "utter_noworries") in [(a.action, a.predicted) for a in outcome.actions]
