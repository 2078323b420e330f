"""Dialogue states of hand-made trackers, as Rasa 3.6's Domain.states_for_tracker_history
gives them (expected values derived by hand from Rasa's rules)."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.core.policies.states import (
    State,
    StateHistory,
    choose_last_user_input,
    past_states,
    prediction_states,
    slot_features,
    states_key,
    without_action_unlikely_intent,
)
from stratus.core.trackers import new_tracker as tracker_for
from stratus.shared.domain import Domain, domain_from_dict
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from stratus.shared.tracker import SHOULD_NOT_BE_SET, DialogueStateTracker

DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "intents": [
        "greet",
        {"inform": {"use_entities": ["city", "name"]}},
        {"chitchat": {"ignore_entities": ["city"]}},
    ],
    "entities": [{"city": {"roles": ["from", "to"]}}, "name"],
    "slots": {
        "vegetarian": {"type": "bool", "mappings": [{"type": "custom"}]},
        "size": {
            "type": "categorical",
            "values": ["Small", "large"],
            "mappings": [{"type": "custom"}],
        },
        "people": {
            "type": "float",
            "min_value": 0,
            "max_value": 10,
            "mappings": [{"type": "custom"}],
        },
        "name": {"type": "text", "mappings": [{"type": "from_entity", "entity": "name"}]},
        "hidden": {
            "type": "text",
            "influence_conversation": False,
            "mappings": [{"type": "custom"}],
        },
        "cities": {"type": "list", "mappings": [{"type": "custom"}]},
        "anything": {"type": "any", "mappings": [{"type": "custom"}]},
    },
    "responses": {"utter_greet": [{"text": "hi"}], "utter_ask_name": [{"text": "name?"}]},
    "forms": {"booking_form": {"required_slots": ["name"]}},
}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return domain_from_dict(DOMAIN)


def user(intent: str, *entities: dict[str, Any], text: str | None = None) -> UserUttered:
    return UserUttered(
        text=text,
        parse_data={"intent": {"name": intent, "confidence": 1.0}},
        entities=list(entities),
    )


def listen() -> ActionExecuted:
    return ActionExecuted(action_name="action_listen")


def states_of(domain: Domain, events: list[Event], **kwargs: Any) -> list[dict[str, Any]]:
    return past_states(tracker_for(domain, "t", events), domain, **kwargs)


def test_user_turns_keep_the_message_until_the_next_one(domain: Domain) -> None:
    states = states_of(domain, [listen(), user("greet"), ActionExecuted(action_name="utter_greet")])
    assert states == [
        {},
        {"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}},
        {"user": {"intent": "greet"}, "prev_action": {"action_name": "utter_greet"}},
    ]


def test_entities_are_filtered_by_the_intents_use_entities_and_labelled_with_roles(
    domain: Domain,
) -> None:
    city = {"entity": "city", "value": "Berlin", "role": "to"}
    name = {"entity": "name", "value": "Ann"}
    inform = states_of(domain, [listen(), user("inform", city, name)])
    # `use_entities: [city, name]` also admits city's role labels (Rasa adds them)
    assert inform[-1]["user"] == {"intent": "inform", "entities": ("city", "city#to", "name")}
    chitchat = states_of(domain, [listen(), user("chitchat", city, name)])
    assert chitchat[-1]["user"] == {"intent": "chitchat", "entities": ("name",)}
    greet = states_of(domain, [listen(), user("greet", city)])
    assert greet[-1]["user"] == {"intent": "greet", "entities": ("city", "city#to")}


def test_slots_are_featurized_by_type(domain: Domain) -> None:
    events: list[Event] = [
        listen(),
        user("greet"),
        SlotSet(key="vegetarian", value="true"),
        SlotSet(key="size", value="SMALL"),
        SlotSet(key="people", value=15),
        SlotSet(key="name", value="Ann"),
        SlotSet(key="hidden", value="x"),
        SlotSet(key="cities", value=[]),
        SlotSet(key="anything", value=1),
    ]
    last = states_of(domain, events)[-1]
    assert last["slots"] == {
        "vegetarian": (1.0, 1.0),
        "size": (1.0, 0.0, 0.0),
        "people": (1.0, 1.0),  # capped at max_value
        "name": (1.0,),
        # an empty list featurizes as unset; `hidden` and `anything` never influence
    }


@pytest.mark.parametrize(
    ("slot", "value", "expected"),
    [
        ("size", "medium", [0.0, 0.0, 1.0]),  # unknown values are __other__
        ("size", None, [0.0, 0.0, 0.0]),
        ("vegetarian", False, [1.0, 0.0]),
        ("vegetarian", "maybe", [0.0, 0.0]),
        ("people", 2.5, [1.0, 0.25]),
        ("people", "two", [0.0, 0.0]),
        ("cities", ["a"], [1.0]),
        ("hidden", "x", []),
    ],
)
def test_slot_features(domain: Domain, slot: str, value: Any, expected: list[float]) -> None:
    definition = domain.slot(slot)
    assert definition is not None
    assert slot_features(definition, value) == expected


def test_false_bool_is_a_featurized_value_but_unset_bool_is_not(domain: Domain) -> None:
    last = states_of(domain, [listen(), user("greet"), SlotSet(key="vegetarian", value=False)])[-1]
    assert last["slots"] == {"vegetarian": (1.0, 0.0)}


def test_active_loop_and_should_not_be_set(domain: Domain) -> None:
    events: list[Event] = [
        listen(),
        user("greet"),
        ActionExecuted(action_name="booking_form"),
        ActiveLoop(name="booking_form"),
        SlotSet(key="name", value=SHOULD_NOT_BE_SET),
        ActionExecuted(action_name="action_listen"),
        ActiveLoop(name=SHOULD_NOT_BE_SET),
    ]
    states = states_of(domain, events)
    assert states[-2]["active_loop"] == {"name": "booking_form"}
    assert states[-1] == {
        "user": {"intent": "greet"},
        "prev_action": {"action_name": "action_listen"},
        "active_loop": {"name": SHOULD_NOT_BE_SET},
        "slots": {"name": SHOULD_NOT_BE_SET},
    }


def test_omit_unset_slots_leaves_out_initial_values() -> None:
    with_initial = {**DOMAIN, "slots": {**DOMAIN["slots"]}}
    with_initial["slots"]["name"] = {**DOMAIN["slots"]["name"], "initial_value": "Bob"}
    domain = domain_from_dict(with_initial)
    events: list[Event] = [listen(), user("greet")]
    assert states_of(domain, events)[-1]["slots"] == {"name": (1.0,)}
    assert "slots" not in states_of(domain, events, omit_unset_slots=True)[-1]


def test_rule_only_turns_are_hidden_from_ml_policies(domain: Domain) -> None:
    events: list[Event] = [
        listen(),
        user("greet"),
        ActionExecuted(action_name="utter_greet", hide_rule_turn=True),
        listen(),
        user("chitchat"),
    ]
    tracker = tracker_for(domain, "t", events)
    assert [s.get("prev_action") for s in past_states(tracker, domain)] == [
        None,
        {"action_name": "action_listen"},
        {"action_name": "utter_greet"},
        {"action_name": "action_listen"},
    ]
    # The whole rule turn disappears: its user message as well as the rule's action.
    hidden = past_states(tracker, domain, ignore_rule_only_turns=True)
    assert hidden == [
        {},
        {"prev_action": {"action_name": "action_listen"}},
        {"user": {"intent": "chitchat"}, "prev_action": {"action_name": "action_listen"}},
    ]


def test_prediction_states_choose_intent_or_text_for_the_last_message(domain: Domain) -> None:
    events: list[Event] = [listen(), user("greet", text="hello")]
    tracker = tracker_for(domain, "t", events)
    by_intent = prediction_states(tracker, domain)
    by_text = prediction_states(tracker, domain, use_text_for_last_user_input=True)
    assert by_intent[-1]["user"] == {"intent": "greet"}
    assert by_text[-1]["user"] == {"text": "hello"}
    assert prediction_states(tracker, domain, max_history=1) == by_intent[-1:]


def test_states_key_is_canonical(domain: Domain) -> None:
    a: list[State] = [
        {"user": {"intent": "x", "entities": ("a",)}, "prev_action": {"action_name": "y"}}
    ]
    b: list[State] = [
        {"prev_action": {"action_name": "y"}, "user": {"entities": ["a"], "intent": "x"}}
    ]
    assert states_key(a) == states_key(b)


def test_a_shared_history_gives_the_states_of_a_fresh_replay(domain: Domain) -> None:
    """StateHistory builds only the trailing states a policy reads, and a turn's next
    prediction replays only the new events: both must give what a full replay gives."""
    turns: list[Event] = []
    for index in range(12):
        turns += [
            listen(),
            user("inform", {"entity": "name", "value": f"n{index}"}, text=f"I am n{index}"),
            SlotSet("name", f"n{index}"),
            # every third turn is a rule-only turn, every fourth is judged unlikely
            ActionExecuted(action_name="utter_greet", hide_rule_turn=index % 3 == 0),
        ]
        if index % 4 == 1:
            turns.append(ActionExecuted(action_name=ACTION_UNLIKELY_INTENT))
        if index == 6:
            turns += [ActiveLoop("booking_form"), ActionExecuted(action_name="booking_form")]
    only_rules = {"rule_only_slots": ["vegetarian"], "rule_only_loops": []}
    previous: StateHistory | None = None
    for cut in range(1, len(turns) + 1):
        tracker = tracker_for(domain, "t", turns[:cut])
        shared = StateHistory(tracker, domain, previous=previous)
        assert shared.states() == past_states(tracker, domain)
        for max_history in (None, 1, 3):
            for use_text in (False, True):
                kwargs: dict[str, Any] = {
                    "max_history": max_history,
                    "use_text_for_last_user_input": use_text,
                    "ignore_rule_only_turns": True,
                    "rule_only_data": only_rules,
                    "ignore_action_unlikely_intent": True,
                }
                full = past_states(
                    tracker, domain, ignore_rule_only_turns=True, rule_only_data=only_rules
                )
                expected = without_action_unlikely_intent(full)
                choose_last_user_input(expected, use_text)
                expected = expected[-max_history:] if max_history else expected
                assert prediction_states(shared, domain, **kwargs) == expected
                assert prediction_states(tracker, domain, **kwargs) == expected
        previous = shared


def test_a_history_is_not_resumed_after_events_were_reverted(domain: Domain) -> None:
    # A rewind removes applied events the earlier history replayed: the later history
    # must replay from scratch, or it would keep the reverted user message.
    base: list[Event] = [
        listen(),
        user("greet", text="hi"),
        ActionExecuted(action_name="utter_greet"),
        listen(),
        user("inform", {"entity": "name", "value": "n"}, text="I am n"),
    ]
    previous = StateHistory(tracker_for(domain, "t", base), domain)
    later = [*base, UserUtteranceReverted(), listen(), user("greet", text="hello")]
    tracker = tracker_for(domain, "t", later)
    assert StateHistory(tracker, domain, previous=previous).states() == past_states(tracker, domain)


def _form_turns() -> list[Event]:
    turns: list[Event] = [
        listen(),
        user("inform", text="book a table"),
        ActionExecuted(action_name="booking_form"),
        ActiveLoop("booking_form"),
        SlotSet("people", 1.0),
    ]
    for index in range(6):
        turns += [
            listen(),
            user("inform", {"entity": "name", "value": f"n{index}"}, text=f"I am n{index}"),
            ActionExecuted(action_name="booking_form"),
            SlotSet("name", f"n{index}"),
        ]
    return turns


def _fallback_turns() -> list[Event]:
    turns: list[Event] = []
    for index in range(6):
        turns += [
            listen(),
            user("chitchat", text=f"mumble {index}"),
            ActionExecuted(action_name="action_default_fallback"),
            BotUttered(text="Sorry?"),
            UserUtteranceReverted(),
        ]
    return turns


@pytest.mark.parametrize("tail", [_form_turns, _fallback_turns], ids=["form", "rewinds"])
def test_a_history_resumes_from_the_latest_listen_when_the_applied_events_shrink(
    domain: Domain, monkeypatch: pytest.MonkeyPatch, tail: Any
) -> None:
    """A form's runs (Rasa's happy path drops the user turns between them) and rewinds
    take events off the end of the applied events, so a history no longer extends the
    one before; it resumes from before the latest `action_listen` (a turn late in a long
    conversation must not replay it all) and gives the states of a full replay."""
    preamble: list[Event] = []
    for index in range(30):
        preamble += [
            listen(),
            user("greet", text=f"hi {index}"),
            ActionExecuted(action_name="utter_greet", hide_rule_turn=index % 2 == 0),
        ]
    turns = preamble + tail()
    trackers = [tracker_for(domain, "t", turns[:cut]) for cut in range(1, len(turns) + 1)]
    replayed = 0
    update = DialogueStateTracker.update

    def counted(self: DialogueStateTracker, event: Event) -> None:
        nonlocal replayed
        replayed += 1
        update(self, event)

    only_rules = {"rule_only_slots": ["vegetarian"], "rule_only_loops": []}
    previous: StateHistory | None = None
    shrunk = 0
    before: list[Event] = []
    for cut, tracker in enumerate(trackers, start=1):
        applied = tracker.applied_events()
        undone = applied[: len(before)] != before  # some events replayed before are gone
        before = applied
        replayed = 0
        monkeypatch.setattr(DialogueStateTracker, "update", counted)
        shared = StateHistory(tracker, domain, previous=previous)
        monkeypatch.setattr(DialogueStateTracker, "update", update)
        if undone:
            shrunk += 1
            assert replayed < 10, f"cut {cut}: {replayed} events replayed"
        assert shared.states() == past_states(tracker, domain)
        kwargs: dict[str, Any] = {
            "max_history": 3,
            "ignore_rule_only_turns": True,
            "rule_only_data": only_rules,
        }
        assert prediction_states(shared, domain, **kwargs) == prediction_states(
            tracker, domain, **kwargs
        )
        previous = shared
    assert shrunk == 6  # each form run after the first, each rewind
