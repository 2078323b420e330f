"""Stories and rules become training trackers as Rasa's TrainingDataGenerator makes them."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from policy_helpers import load_bot

from stratus.core.story_graph import TrainingTracker, generate_trackers
from stratus.shared.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from stratus.shared.tracker import SHOULD_NOT_BE_SET

DOMAIN = """
version: "3.1"
intents: [greet, inform, affirm, deny]
entities: [name]
slots:
  name: {type: text, mappings: [{type: from_entity, entity: name}]}
  ok: {type: bool, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: hi}]
  utter_ask: [{text: ok?}]
  utter_yes: [{text: yes}]
  utter_no: [{text: no}]
  utter_done: [{text: done}]
forms:
  a_form: {required_slots: [name]}
"""


def trackers(tmp_path: Path, data: str) -> list[TrainingTracker]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "domain.yml").write_text(DOMAIN)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stories.yml").write_text('version: "3.1"\n' + dedent(data))
    return load_bot(str(tmp_path)).trackers


def script(tracker: TrainingTracker) -> list[str]:
    out = []
    for e in tracker.events:
        if isinstance(e, ActionExecuted):
            out.append(str(e.action_name))
        elif isinstance(e, UserUttered):
            out.append(f"/{e.intent_name}")
        elif isinstance(e, SlotSet):
            out.append(f"{e.key}={e.value}")
        elif isinstance(e, ActiveLoop):
            out.append(f"loop={e.name}")
    return out


def test_checkpoints_join_story_parts(tmp_path: Path) -> None:
    found = trackers(
        tmp_path,
        """
    stories:
    - story: start
      steps:
      - intent: greet
      - action: utter_ask
      - checkpoint: asked
    - story: yes
      steps:
      - checkpoint: asked
      - intent: affirm
      - action: utter_yes
    - story: no
      steps:
      - checkpoint: asked
      - intent: deny
      - action: utter_no
    """,
    )
    assert {t.name: script(t) for t in found} == {
        "start > yes": [
            "action_listen",
            "/greet",
            "utter_ask",
            "action_listen",
            "/affirm",
            "utter_yes",
            "action_listen",
        ],
        "start > no": [
            "action_listen",
            "/greet",
            "utter_ask",
            "action_listen",
            "/deny",
            "utter_no",
            "action_listen",
        ],
    }


def test_or_makes_one_tracker_per_alternative(tmp_path: Path) -> None:
    found = trackers(
        tmp_path,
        """
    stories:
    - story: either
      steps:
      - intent: greet
      - action: utter_ask
      - or:
        - intent: affirm
        - intent: deny
      - action: utter_done
    """,
    )
    assert sorted(script(t)[4] for t in found) == ["/affirm", "/deny"]
    assert all(script(t)[-2:] == ["utter_done", "action_listen"] for t in found)
    assert all(t.name == "either" for t in found)


def test_checkpoint_conditions_filter_by_slot(tmp_path: Path) -> None:
    found = trackers(
        tmp_path,
        """
    stories:
    - story: set
      steps:
      - intent: greet
      - action: utter_ask
      - slot_was_set:
        - ok: true
      - checkpoint: next
    - story: when ok
      steps:
      - checkpoint: next
        slot_was_set:
        - ok: true
      - action: utter_yes
    - story: when not ok
      steps:
      - checkpoint: next
        slot_was_set:
        - ok: false
      - action: utter_no
    """,
    )
    assert [t.name for t in found] == ["set > when ok"]


def test_entities_fill_slots_and_rules_mark_nulls(tmp_path: Path) -> None:
    found = trackers(
        tmp_path,
        """
    stories:
    - story: named
      steps:
      - intent: inform
        entities:
        - name: Ann
      - action: utter_greet
    rules:
    - rule: done
      condition:
      - active_loop: a_form
      steps:
      - action: a_form
      - active_loop: null
      - slot_was_set:
        - name: null
      - action: utter_done
      wait_for_user_input: false
    """,
    )
    story, rule = found
    assert script(story) == ["action_listen", "/inform", "name=Ann", "utter_greet", "action_listen"]
    assert rule.is_rule and not story.is_rule
    assert script(rule) == [
        "loop=a_form",
        "...",
        "a_form",
        f"loop={SHOULD_NOT_BE_SET}",
        f"name={SHOULD_NOT_BE_SET}",
        "utter_done",
        "...",
        "action_listen",
    ]


def test_first_action_of_a_story_without_user_turn_is_unpredictable(tmp_path: Path) -> None:
    [story] = trackers(
        tmp_path,
        """
    stories:
    - story: bot first
      steps:
      - action: utter_greet
      - intent: greet
      - action: utter_ask
    """,
    )
    first = next(e for e in story.events if isinstance(e, ActionExecuted))
    assert first.action_name == "utter_greet" and story.is_unpredictable(first)
    origin = story.origin(first)
    assert origin is not None and origin.line == 6 and origin.story == "bot first"


def test_checkpoint_cycles_are_walked_once(tmp_path: Path) -> None:
    cycle = """
    stories:
    - story: start
      steps:
      - intent: greet
      - action: utter_greet
      - checkpoint: again
    - story: repeat
      steps:
      - checkpoint: again
      - intent: inform
      - action: utter_ask
      - checkpoint: again
    """
    exit_story = """
    - story: finish
      steps:
      - checkpoint: again
      - intent: deny
      - action: utter_done
    """
    [looped] = trackers(tmp_path / "no_exit", cycle)
    assert looped.name == "start > repeat"
    assert script(looped)[-2:] == ["/inform", "utter_ask"]  # ends at the checkpoint
    found = trackers(tmp_path / "with_exit", cycle + exit_story)
    assert sorted(t.name for t in found) == ["start > finish", "start > repeat > finish"]


def test_augmentation_glues_story_ends_to_story_starts(tmp_path: Path) -> None:
    stories = """
    stories:
    - story: hello
      steps:
      - intent: greet
      - action: utter_greet
    - story: bye
      steps:
      - intent: deny
      - action: utter_done
    """
    (tmp_path / "domain.yml").write_text(DOMAIN)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stories.yml").write_text('version: "3.1"\n' + dedent(stories))
    bot = load_bot(str(tmp_path))
    found = generate_trackers(bot.project.data.stories, (), bot.domain, augmentation_factor=50)
    originals = [t for t in found if not t.is_augmented]
    augmented = [t for t in found if t.is_augmented]
    assert [t.name for t in originals] == ["hello", "bye"]
    assert "hello > bye" in {t.name for t in augmented}
    # (Rasa's naming lists each story once: "hello > hello > bye" is also "hello > bye")
    glued = min((t for t in augmented if t.name == "hello > bye"), key=lambda t: len(t.events))
    # the first story's final action_listen is undone, so the glue point listens once
    applied = glued.tracker(bot.domain).applied_events()
    assert [e.action_name for e in applied if isinstance(e, ActionExecuted)] == [
        "action_listen",
        "utter_greet",
        "action_listen",
        "utter_done",
        "action_listen",
    ]
    plain = generate_trackers(bot.project.data.stories, (), bot.domain)
    assert [script(t) for t in plain] == [script(t) for t in originals]
