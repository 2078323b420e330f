"""RulePolicy on Rasa's example bots: what Rasa 3.6 predicts for the same conversations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest
from policy_helpers import LISTEN, Bot, action, load_bot, user

from stratus.shared.events import ActionExecutionRejected, ActiveLoop, LoopInterrupted, SlotSet
from stratus.shared.tracker import DialogueStateTracker

Bots = Callable[[str], Bot]


def predicted(bot: Bot, tracker: DialogueStateTracker, **options: object) -> tuple[str, float]:
    policy = bot.rule_policy(**options)
    prediction = policy.predict(tracker, bot.domain)
    return bot.domain.action_names_or_texts[prediction.action_index], prediction.max_confidence


def test_moodbot_rules_answer_anywhere_and_then_listen(bot: Bots) -> None:
    mood = bot("moodbot")
    tracker = mood.tracker(
        action(LISTEN), user("greet"), action("utter_greet"), action(LISTEN), user("goodbye")
    )
    assert predicted(mood, tracker) == ("utter_goodbye", 1.0)
    tracker.update(action("utter_goodbye"))
    assert predicted(mood, tracker) == (LISTEN, 1.0)


def test_no_rule_means_core_fallback_at_the_threshold(bot: Bots) -> None:
    mood = bot("moodbot")
    tracker = mood.tracker(action(LISTEN), user("mood_great"))
    policy = mood.rule_policy()
    prediction = policy.predict(tracker, mood.domain)
    assert prediction.max_confidence == pytest.approx(0.3)
    assert prediction.probabilities[mood.domain.action_index("action_default_fallback")] == 0.3
    other = mood.rule_policy(core_fallback_threshold=0.4, enable_fallback_prediction=False)
    assert other.predict(tracker, mood.domain).max_confidence == 0.0


def test_default_intents_map_to_default_actions(bot: Bots) -> None:
    mood = bot("moodbot")
    for intent, expected in [
        ("restart", "action_restart"),
        ("back", "action_back"),
        ("session_start", "action_session_start"),
    ]:
        tracker = mood.tracker(action(LISTEN), user(intent))
        assert predicted(mood, tracker) == (expected, 1.0)


def test_form_activation_happy_path_and_listen(bot: Bots) -> None:
    form = bot("formbot")
    policy = form.rule_policy()
    tracker = form.tracker(action(LISTEN), user("request_restaurant"))
    assert predicted(form, tracker) == ("restaurant_form", 1.0)
    tracker.update(action("restaurant_form"))
    tracker.update(ActiveLoop(name="restaurant_form"))
    tracker.update(SlotSet(key="requested_slot", value="cuisine"))
    after_form = policy.predict(tracker, form.domain)
    assert form.domain.action_names_or_texts[after_form.action_index] == LISTEN
    assert after_form.is_no_user_prediction
    tracker.update(action(LISTEN))
    tracker.update(user("inform"))
    happy = policy.predict(tracker, form.domain)
    assert form.domain.action_names_or_texts[happy.action_index] == "restaurant_form"
    assert happy.is_no_user_prediction


def test_form_unhappy_path_runs_the_rule_then_returns_to_the_form(bot: Bots) -> None:
    form = bot("formbot")
    tracker = form.tracker(
        action(LISTEN),
        user("request_restaurant"),
        action("restaurant_form"),
        ActiveLoop(name="restaurant_form"),
        action(LISTEN),
        user("chitchat"),
        ActionExecutionRejected(action_name="restaurant_form"),
    )
    assert predicted(form, tracker) == ("utter_chitchat", 1.0)
    tracker.update(action("utter_chitchat"))
    # the chitchat rule would listen, but inside a form the form takes the turn back
    assert predicted(form, tracker) == ("restaurant_form", 1.0)


def test_returning_to_the_form_after_an_unhappy_story_interrupts_the_loop(bot: Bots) -> None:
    form = bot("formbot")
    policy = form.rule_policy()
    tracker = form.tracker(
        action(LISTEN),
        user("request_restaurant"),
        action("restaurant_form"),
        ActiveLoop(name="restaurant_form"),
        action(LISTEN),
        user("stop"),
        ActionExecutionRejected(action_name="restaurant_form"),
        action("utter_ask_continue"),
        action(LISTEN),
        user("affirm"),
    )
    # The form is still rejected, so no rule applies (the story is for Memoization/TED),
    # but the unhappy-path lookup tells the form it was interrupted.
    prediction = policy.predict(tracker, form.domain)
    assert prediction.max_confidence == pytest.approx(0.3)
    assert any(isinstance(e, LoopInterrupted) and e.is_interrupted for e in prediction.events)


def test_form_submission_rule(bot: Bots) -> None:
    form = bot("formbot")
    tracker = form.tracker(
        action(LISTEN),
        user("request_restaurant"),
        action("restaurant_form"),
        ActiveLoop(name="restaurant_form"),
        action(LISTEN),
        user("inform"),
        action("restaurant_form"),
        ActiveLoop(name=None),
    )
    assert predicted(form, tracker) == ("utter_submit", 1.0)
    tracker.update(action("utter_submit"))
    assert predicted(form, tracker) == ("utter_slots_values", 1.0)


def test_conversation_start_rule_applies_only_at_the_start(bot: Bots) -> None:
    rules = bot("rules")
    start = rules.tracker(action(LISTEN), user("greet"))
    assert predicted(rules, start)[0] == "utter_greet"
    later = rules.tracker(
        action(LISTEN),
        user("ask_possibilities"),
        action("utter_list_possibilities"),
        action(LISTEN),
        user("greet"),
    )
    assert predicted(rules, later)[0] != "utter_greet"


def test_slot_conditions_and_wait_for_user_input_false(bot: Bots) -> None:
    rules = bot("rules")
    detailed = rules.tracker(SlotSet(key="detailed_faq", value=True), action(LISTEN), user("faq"))
    assert predicted(rules, detailed) == ("utter_faq", 1.0)
    detailed.update(action("utter_faq"))
    assert predicted(rules, detailed) == ("utter_ask_did_help", 1.0)
    simple = rules.tracker(SlotSet(key="detailed_faq", value=False), action(LISTEN), user("faq"))
    assert predicted(rules, simple) == ("utter_faq", 1.0)
    simple.update(action("utter_faq"))
    assert predicted(rules, simple) == (LISTEN, 1.0)


def test_rule_only_slots_and_loops_are_reported_for_ml_policies(bot: Bots) -> None:
    only = bot("rules").rule_policy().rule_only_data()
    assert only["rule_only_slots"] == ["detailed_faq"]
    assert "loop_q_form" in only["rule_only_loops"]


def test_null_conditions_require_no_active_loop_and_an_unset_slot(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text(
        dedent("""
        version: "3.1"
        intents: [greet]
        slots:
          name: {type: text, mappings: [{type: custom}]}
        responses:
          utter_greet: [{text: hi}]
          utter_ask_name: [{text: name?}]
        forms:
          a_form: {required_slots: [name]}
    """)
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rules.yml").write_text(
        dedent("""
        version: "3.1"
        rules:
        - rule: greet outside forms, strangers only
          condition:
          - active_loop: null
          - slot_was_set:
            - name: null
          steps:
          - intent: greet
          - action: utter_greet
    """)
    )
    bot = load_bot(str(tmp_path))
    plain = bot.tracker(action(LISTEN), user("greet"))
    assert predicted(bot, plain) == ("utter_greet", 1.0)
    in_form = bot.tracker(
        ActiveLoop(name="a_form"),
        action(LISTEN),
        user("greet"),
        ActionExecutionRejected(action_name="a_form"),
    )
    assert predicted(bot, in_form)[0] == "action_default_fallback"
    known = bot.tracker(SlotSet(key="name", value="Ann"), action(LISTEN), user("greet"))
    assert predicted(bot, known)[0] == "action_default_fallback"
