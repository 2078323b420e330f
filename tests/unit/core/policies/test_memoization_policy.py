"""MemoizationPolicy and AugmentedMemoizationPolicy on moodbot's stories and small projects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

from policy_helpers import LISTEN, Bot, action, load_bot, user

from stratus.shared.events import SlotSet
from stratus.shared.tracker import DialogueStateTracker

Bots = Callable[[str], Bot]


def recalled(policy: object, bot: Bot, tracker: DialogueStateTracker) -> str | None:
    prediction = policy.predict(tracker, bot.domain)  # type: ignore[attr-defined]
    if prediction.max_confidence == 0.0:
        return None
    assert prediction.max_confidence == 1.0
    return bot.domain.action_names_or_texts[prediction.action_index]


def test_moodbot_stories_are_recalled_exactly(bot: Bots) -> None:
    mood = bot("moodbot")
    memo = mood.memoization()
    tracker = mood.tracker(action(LISTEN), user("greet"))
    assert recalled(memo, mood, tracker) == "utter_greet"
    for event, expected in [
        (action("utter_greet"), LISTEN),
        (action(LISTEN), None),
        (user("mood_unhappy"), "utter_cheer_up"),
        (action("utter_cheer_up"), "utter_did_that_help"),
        (action("utter_did_that_help"), LISTEN),
        (action(LISTEN), None),
        (user("deny"), "utter_goodbye"),
    ]:
        tracker.update(event)
        assert recalled(memo, mood, tracker) == expected, event


def test_unknown_histories_are_not_recalled(bot: Bots) -> None:
    mood = bot("moodbot")
    tracker = mood.tracker(action(LISTEN), user("mood_great"))  # no story starts like this
    assert recalled(mood.memoization(), mood, tracker) is None


def test_max_history_limits_the_remembered_context(bot: Bots) -> None:
    mood = bot("moodbot")
    tracker = mood.tracker(
        action(LISTEN),
        user("bot_challenge"),
        action("utter_iamabot"),
        action(LISTEN),
        user("mood_unhappy"),
        action("utter_cheer_up"),
        action("utter_did_that_help"),
        action(LISTEN),
        user("affirm"),
    )
    assert recalled(mood.memoization(), mood, tracker) is None
    assert recalled(mood.memoization(max_history=2), mood, tracker) == "utter_happy"


def _project(tmp_path: Path, stories: str) -> Bot:
    (tmp_path / "domain.yml").write_text(
        dedent("""
        version: "3.1"
        intents: [greet, inform]
        entities: [name]
        slots:
          name: {type: text, mappings: [{type: from_entity, entity: name}]}
        responses:
          utter_greet: [{text: hi}]
          utter_other: [{text: other}]
          utter_third: [{text: third}]
    """)
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stories.yml").write_text('version: "3.1"\nstories:\n' + dedent(stories))
    return load_bot(str(tmp_path))


def test_contradicting_stories_are_dropped(tmp_path: Path) -> None:
    bot = _project(
        tmp_path,
        """
    - story: one
      steps:
      - intent: greet
      - action: utter_greet
      - intent: inform
      - action: utter_other
    - story: two
      steps:
      - intent: greet
      - action: utter_greet
      - intent: inform
      - action: utter_third
    """,
    )
    memo = bot.memoization()
    tracker = bot.tracker(action(LISTEN), user("greet"))
    assert recalled(memo, bot, tracker) == "utter_greet"
    for event in (action("utter_greet"), action(LISTEN), user("inform")):
        tracker.update(event)
    assert recalled(memo, bot, tracker) is None


def test_augmented_memoization_forgets_old_turns(tmp_path: Path) -> None:
    bot = _project(
        tmp_path,
        """
    - story: greet
      steps:
      - intent: greet
      - action: utter_greet
    """,
    )
    tracker = bot.tracker(
        action(LISTEN),
        user("inform"),
        SlotSet(key="name", value="Ann"),
        action("utter_other"),
        action(LISTEN),
        user("greet"),
    )
    assert recalled(bot.memoization(), bot, tracker) is None
    # Forgetting the turns before the latest message (and the slot they set) recalls it.
    assert recalled(bot.memoization(augmented=True), bot, tracker) == "utter_greet"
