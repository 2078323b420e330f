"""What the policies see after `action_unlikely_intent` (UnexpecTEDIntentPolicy's action).

As in Rasa 3.6, the ML policies (Memoization, TED, UnexpecTED: `SupportedData.ML_DATA`)
featurize a conversation as if the action had not run, in training and in prediction;
RulePolicy (`ML_AND_RULE_DATA`) sees it like any other action.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

from policy_helpers import LISTEN, Bot, action, load_bot, user

from stratus.core.policies.states import prediction_states
from stratus.shared.tracker import DialogueStateTracker

Bots = Callable[[str], Bot]
UNLIKELY = "action_unlikely_intent"


def predicted(policy: object, bot: Bot, tracker: DialogueStateTracker) -> str | None:
    prediction = policy.predict(tracker, bot.domain)  # type: ignore[attr-defined]
    if prediction.max_confidence < 1.0:
        return None
    return bot.domain.action_names_or_texts[prediction.action_index]


def test_ml_prediction_states_leave_the_action_out(bot: Bots) -> None:
    mood = bot("moodbot")
    plain = mood.tracker(action(LISTEN), user("greet"), action("utter_greet"))
    marked = mood.tracker(action(LISTEN), user("greet"), action(UNLIKELY), action("utter_greet"))
    expected = prediction_states(plain, mood.domain)
    assert prediction_states(marked, mood.domain, ignore_action_unlikely_intent=True) == expected
    seen_by_rules = prediction_states(marked, mood.domain)
    assert len(seen_by_rules) == len(expected) + 1
    assert seen_by_rules[2]["prev_action"] == {"action_name": UNLIKELY}


def test_memoization_recalls_the_story_after_action_unlikely_intent(bot: Bots) -> None:
    mood = bot("moodbot")
    for memo in (mood.memoization(), mood.memoization(augmented=True)):
        tracker = mood.tracker(action(LISTEN), user("greet"), action(UNLIKELY))
        assert predicted(memo, mood, tracker) == "utter_greet"
        for event in (action("utter_greet"), action(LISTEN), user("mood_unhappy")):
            tracker.update(event)
        assert predicted(memo, mood, tracker) == "utter_cheer_up"
        tracker.update(action(UNLIKELY))
        assert predicted(memo, mood, tracker) == "utter_cheer_up"


def test_rules_keyed_on_the_user_turn_do_not_match_after_it(bot: Bots) -> None:
    # Rasa 3.6's RulePolicy keeps `action_unlikely_intent` in its states, so a rule that
    # answers a message right after `action_listen` no longer applies; the other
    # policies (which ignore the action) carry the turn.
    mood = bot("moodbot")
    rules = mood.rule_policy()
    tracker = mood.tracker(action(LISTEN), user("goodbye"))
    assert predicted(rules, mood, tracker) == "utter_goodbye"
    tracker.update(action(UNLIKELY))
    assert predicted(rules, mood, tracker) is None


def test_stories_with_action_unlikely_intent_train_memoization_as_without(
    tmp_path: Path,
) -> None:
    (tmp_path / "domain.yml").write_text(
        dedent("""
        version: "3.1"
        intents: [greet, inform]
        responses:
          utter_greet: [{text: hi}]
          utter_other: [{text: other}]
    """)
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stories.yml").write_text(
        dedent("""
        version: "3.1"
        stories:
        - story: marked
          steps:
          - intent: greet
          - action: action_unlikely_intent
          - action: utter_greet
          - intent: inform
          - action: utter_other
    """)
    )
    marked = load_bot(str(tmp_path))
    lookup = marked.memoization().lookup
    assert UNLIKELY not in lookup.values()
    tracker = marked.tracker(action(LISTEN), user("greet"))
    assert predicted(marked.memoization(), marked, tracker) == "utter_greet"
    for event in (action("utter_greet"), action(LISTEN), user("inform")):
        tracker.update(event)
    assert predicted(marked.memoization(), marked, tracker) == "utter_other"
