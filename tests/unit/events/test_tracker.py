"""Tracker semantics a user notices: slots, rewind, undo, restart, sessions, loops, pause,
followups, and the rendered state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stratus.shared.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    split_sessions,
)
from stratus.shared.exceptions import StratusError
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity, InvalidTrackerError

LISTEN = "action_listen"


def user(text: str, intent: str, entities: list[dict] | None = None, **kw: Any) -> UserUttered:
    return UserUttered(
        text=text,
        parse_data={"intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        **kw,
    )


def action(name: str) -> ActionExecuted:
    return ActionExecuted(name)


def session_start() -> list[Event]:
    return [action("action_session_start"), SessionStarted(), action(LISTEN)]


def tracker(*events: Event, slots: dict[str, Any] | None = None, **kw: Any) -> DialogueStateTracker:
    return DialogueStateTracker("alice", {} if slots is None else slots, list(events), **kw)


def names(events: list[Event]) -> list[str]:
    """A compact picture of an event list: action names, user texts, other types."""
    out = []
    for e in events:
        if isinstance(e, ActionExecuted):
            out.append(e.action_name or "")
        elif isinstance(e, UserUttered):
            out.append(f"user:{e.text}")
        elif isinstance(e, SlotSet):
            out.append(f"slot:{e.key}={e.value}")
        else:
            out.append(e.type_name)
    return out


# -- initial state and rendering ------------------------------------------------------


def test_a_new_tracker_renders_rasas_initial_state():
    state = DialogueStateTracker("alice", {"name": None, "count": 0}).current_state()

    assert state == {
        "sender_id": "alice",
        "slots": {"name": None, "count": 0},
        "latest_message": {
            "intent": {},
            "entities": [],
            "text": None,
            "message_id": None,
            "metadata": {},
        },
        "latest_event_time": None,
        "followup_action": "action_listen",
        "paused": False,
        "events": None,
        "latest_input_channel": None,
        "active_loop": {},
        "latest_action": {},
        "latest_action_name": None,
    }


def test_state_shows_latest_message_action_and_channel():
    t = tracker(*session_start(), user("hi", "greet", input_channel="rest"), action("utter_greet"))

    state = t.current_state()
    assert state["latest_message"]["intent"] == {"name": "greet", "confidence": 1.0}
    assert state["latest_message"]["text"] == "hi"
    assert state["latest_action"] == {"action_name": "utter_greet"}
    assert state["latest_action_name"] == "utter_greet"
    assert state["latest_input_channel"] == "rest"
    assert state["latest_event_time"] == t.events[-1].timestamp
    assert state["followup_action"] is None
    json.dumps(t.current_state(EventVerbosity.ALL))  # renders as plain JSON


def test_end_to_end_action_is_named_by_its_text():
    t = tracker(ActionExecuted(action_text="Hello there"))

    assert t.latest_action == {"action_text": "Hello there"}
    assert t.latest_action_name == "Hello there"


def test_include_events_verbosities():
    t = tracker(
        user("one", "a"),
        action("utter_1"),
        ActionReverted(),
        Restarted(),
        user("two", "b"),
        action("utter_2"),
        UserUtteranceReverted(),
    )

    assert t.current_state(EventVerbosity.NONE)["events"] is None
    assert len(t.current_state(EventVerbosity.ALL)["events"]) == 7
    after_restart = t.current_state(EventVerbosity.AFTER_RESTART)["events"]
    assert [e["event"] for e in after_restart] == ["user", "action", "rewind"]
    assert t.current_state(EventVerbosity.APPLIED)["events"] == []


# -- slots -----------------------------------------------------------------------------


def test_slot_set_changes_only_defined_slots():
    t = tracker(SlotSet("name", "Ann"), SlotSet("typo", 1), slots={"name": None})

    assert t.current_slot_values() == {"name": "Ann"}
    assert t.get_slot("typo") is None
    assert t.slot_has_been_set("name")


def test_without_slot_definitions_any_slot_can_be_set():
    t = DialogueStateTracker("alice", None, [SlotSet("anything", [1, 2])])

    assert t.current_slot_values() == {"anything": [1, 2]}


def test_values_are_stored_as_given_and_list_slots_wrap_single_values():
    t = tracker(
        SlotSet("count", "2"),
        SlotSet("toppings", "cheese"),
        slots={"count": None, "toppings": None},
        list_slots={"toppings"},
    )

    assert t.get_slot("count") == "2"
    assert t.get_slot("toppings") == ["cheese"]


def test_reset_slots_restores_initial_values():
    t = tracker(SlotSet("a", 1), SlotSet("b", 2), AllSlotsReset(), slots={"a": "start", "b": None})

    assert t.current_slot_values() == {"a": "start", "b": None}
    assert not t.slot_has_been_set("a")


# -- rewind and undo -------------------------------------------------------------------


def test_rewind_undoes_the_slots_set_by_the_last_message():
    t = tracker(
        *session_start(),
        user("I am Ann", "inform", input_channel="rest"),
        SlotSet("name", "Ann"),
        action("utter_greet"),
        action(LISTEN),
        user("blargh", "nlu_fallback", input_channel="slack"),
        SlotSet("name", "blargh"),
        action("action_default_fallback"),
        BotUttered("Sorry?"),
        UserUtteranceReverted(),
        slots={"name": None},
    )

    assert t.get_slot("name") == "Ann"
    assert t.latest_message.text == "I am Ann"
    assert t.latest_action_name == "utter_greet"
    assert t.followup_action is None
    assert names(t.applied_events()) == [
        "action_listen",
        "user:I am Ann",
        "slot:name=Ann",
        "utter_greet",
    ]
    # The reverted message still counts for the input channel, as in Rasa.
    assert t.latest_input_channel == "slack"


def test_undo_reverts_the_last_action_and_its_events():
    t = tracker(
        *session_start(),
        user("hi", "greet"),
        action("utter_greet"),
        action("action_lookup"),
        SlotSet("result", "found"),
        ActionReverted(),
        slots={"result": None},
    )

    assert t.get_slot("result") is None
    assert t.latest_action_name == "utter_greet"
    assert names(t.applied_events())[-2:] == ["user:hi", "utter_greet"]


def test_rewind_and_undo_keep_the_full_history():
    t = tracker(user("a", "x"), action("y"), UserUtteranceReverted())

    assert len(t.events) == 3
    assert len(t.current_state(EventVerbosity.ALL)["events"]) == 3


# -- restart and sessions --------------------------------------------------------------


def test_restart_clears_everything_and_asks_for_a_session_start():
    t = tracker(
        *session_start(),
        user("hi", "greet"),
        SlotSet("a", 1),
        ActiveLoop("form"),
        ConversationPaused(),
        action("utter_restart"),
        Restarted(),
        slots={"a": None},
    )

    assert t.current_slot_values() == {"a": None}
    assert t.followup_action == "action_session_start"
    assert t.paused is False
    assert t.active_loop is None
    assert t.latest_message.text is None
    assert t.latest_action == {}
    assert t.idx_after_latest_restart() == len(t.events)
    assert t.events_after_latest_restart() == []


def test_session_start_resets_slots_then_carried_over_slots_come_back():
    t = tracker(
        *session_start(),
        user("hi", "greet"),
        SlotSet("name", "Ann"),
        SlotSet("mood", "sad"),
        ActiveLoop("form"),
        action(LISTEN),
        action("action_session_start"),
        SessionStarted(),
        SlotSet("name", "Ann"),
        action(LISTEN),
        slots={"name": None, "mood": None},
    )

    assert t.current_slot_values() == {"name": "Ann", "mood": None}
    assert t.active_loop is None
    assert names(t.applied_events()) == ["slot:name=Ann", "action_listen"]
    # A session start is not a restart.
    assert t.idx_after_latest_restart() == 0


# -- loops (forms) ---------------------------------------------------------------------


def test_active_loop_records_its_trigger_message():
    t = tracker(
        *session_start(), user("book a table", "request"), action("form"), ActiveLoop("form")
    )

    assert t.current_state()["active_loop"] == {
        "name": "form",
        "is_interrupted": False,
        "rejected": False,
        "trigger_message": t.current_state()["latest_message"],
    }
    assert t.current_state()["active_loop"]["trigger_message"]["text"] == "book a table"
    assert t.active_loop_name == "form"


def test_rejected_and_interrupted_loop_until_it_runs_again():
    t = tracker(
        *session_start(),
        user("book", "request"),
        action("form"),
        ActiveLoop("form"),
        action(LISTEN),
        user("tell me a joke", "chitchat"),
        ActionExecutionRejected("form"),
    )
    assert t.is_active_loop_rejected
    assert not t.is_active_loop_interrupted

    t.update(action("utter_joke"))
    t.update(LoopInterrupted(True))
    assert t.is_active_loop_rejected
    assert t.is_active_loop_interrupted

    t.update(action("form"))
    assert not t.is_active_loop_rejected
    assert not t.is_active_loop_interrupted


def test_rejection_of_another_action_does_not_reject_the_loop():
    t = tracker(ActiveLoop("form"), ActionExecutionRejected("other_form"))

    assert not t.is_active_loop_rejected


def test_any_action_ends_the_interruption_but_not_the_rejection():
    t = tracker(ActiveLoop("form"), ActionExecutionRejected("form"), LoopInterrupted(True))

    t.update(action("utter_help"))

    assert not t.is_active_loop_interrupted
    assert t.is_active_loop_rejected


def test_deactivating_the_loop():
    t = tracker(ActiveLoop("form"), ActiveLoop(None))

    assert t.active_loop is None
    assert t.current_state()["active_loop"] == {}


def form_conversation() -> list[Event]:
    return [
        *session_start(),
        user("book", "request"),
        action("form"),
        ActiveLoop("form"),
        SlotSet("requested_slot", "cuisine"),
        action(LISTEN),
        user("italian", "inform"),
        DefinePrevUserUtteredFeaturization(False),
        SlotSet("cuisine", "italian"),
        action("form"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        action(LISTEN),
    ]


def test_applied_events_drop_what_a_loops_happy_path_consumed():
    t = tracker(*form_conversation(), slots={"requested_slot": None, "cuisine": None})

    # Between the form's two runs, the user message, the listen and the featurization
    # are dropped; the slots stay.
    assert names(t.applied_events()) == [
        "action_listen",
        "user:book",
        "form",
        "active_loop",
        "slot:requested_slot=cuisine",
        "slot:cuisine=italian",
        "slot:requested_slot=None",
        "active_loop",
        "action_listen",
    ]


def test_applied_events_keep_an_unhappy_path():
    t = tracker(
        *session_start(),
        user("book", "request"),
        action("form"),
        ActiveLoop("form"),
        action(LISTEN),
        user("joke", "chitchat"),
        ActionExecutionRejected("form"),
        action("utter_joke"),
        action("form"),
    )

    assert names(t.applied_events())[-5:] == [
        "action_listen",
        "user:joke",
        "action_execution_rejected",
        "utter_joke",
        "form",
    ]


def test_applied_events_restart_after_a_loop_deactivation():
    # A loop running after its deactivation runs for the first time again.
    t = tracker(user("a", "a"), action("form"), ActiveLoop("form"), ActiveLoop(None))
    t.update(user("b", "b"))
    t.update(action("form"))

    assert names(t.applied_events())[-2:] == ["user:b", "form"]


def test_sequential_and_recreated_trackers_differ_only_where_rasa_differs():
    events = form_conversation()

    live = tracker(*events, slots={"requested_slot": None, "cuisine": None})
    reloaded = DialogueStateTracker.recreate(
        "alice", events, {"requested_slot": None, "cuisine": None}
    )

    # Live: the latest message. Reloaded like Rasa's in-memory store: the message that
    # started the loop, because the loop consumed the later one.
    assert live.latest_message.text == "italian"
    assert reloaded.latest_message.text == "book"
    assert reloaded.current_slot_values() == live.current_slot_values()
    assert reloaded.events == live.events


# -- pause, followup, featurization, entities ------------------------------------------


def test_pause_and_resume():
    t = tracker(ConversationPaused())
    assert t.current_state()["paused"] is True

    t.update(ConversationResumed())
    assert t.current_state()["paused"] is False


def test_followup_action_is_set_and_cleared_by_the_next_action_or_message():
    t = tracker(action(LISTEN), FollowupAction("action_greet"))
    assert t.current_state()["followup_action"] == "action_greet"

    t.update(action("action_greet"))
    assert t.followup_action is None

    t.update(FollowupAction("action_x"))
    t.update(user("hi", "greet"))
    assert t.followup_action is None


def test_entities_added_after_listen_join_the_latest_message():
    message = user("fly to Rome", "fly", [{"entity": "city", "value": "Rome"}])
    t = tracker(
        action(LISTEN),
        message,
        EntitiesAdded([{"entity": "city", "value": "Rome"}, {"entity": "date", "value": "mon"}]),
    )

    assert t.current_state()["latest_message"]["entities"] == [
        {"entity": "city", "value": "Rome"},
        {"entity": "date", "value": "mon"},
    ]
    assert list(t.get_latest_entity_values("date")) == ["mon"]
    # The recorded event is unchanged (Rasa 3.6 also rewrites the event's parse_data).
    assert t.events[1] == message
    assert t.events[1].as_dict()["parse_data"]["entities"] == [{"entity": "city", "value": "Rome"}]


def test_entities_and_featurization_only_apply_right_after_listen():
    t = tracker(
        action(LISTEN),
        user("hi", "greet"),
        action("utter_x"),
        EntitiesAdded([{"entity": "x", "value": 1}]),
        DefinePrevUserUtteredFeaturization(True),
    )

    assert t.latest_message.entities == []
    assert t.latest_message.use_text_for_featurization is None


def test_featurization_flag_updates_the_latest_message():
    t = tracker(action(LISTEN), user("hi", "greet"), DefinePrevUserUtteredFeaturization(True))

    assert t.latest_message.use_text_for_featurization is True
    assert t.latest_message.as_sub_state() == {"text": "hi"}


def test_entity_values_match_role_and_group_exactly():
    t = tracker(
        user(
            "from A to B",
            "fly",
            [
                {"entity": "city", "value": "A", "role": "from"},
                {"entity": "city", "value": "B", "role": "to"},
                {"entity": "city", "value": "C"},
            ],
        )
    )

    assert list(t.get_latest_entity_values("city", "from")) == ["A"]
    assert list(t.get_latest_entity_values("city")) == ["C"]


# -- queries ---------------------------------------------------------------------------


def test_last_event_queries_skip_listen_and_reverted_actions():
    t = tracker(
        action(LISTEN),
        user("hi", "greet"),
        action("utter_greet"),
        action("action_x"),
        ActionReverted(),
        action(LISTEN),
    )

    assert t.last_executed_action_has("utter_greet")
    assert not t.last_executed_action_has("action_x")
    last_all = t.get_last_event_for(
        ActionExecuted, action_names_to_exclude=[LISTEN], event_verbosity=EventVerbosity.ALL
    )
    assert last_all is not None and last_all.action_name == "action_x"
    assert t.get_last_event_for(ActionExecuted, skip=1) == t.events[2]
    assert t.get_last_event_for((SlotSet, Restarted)) is None


def test_events_since_gives_what_a_turn_appended():
    t = tracker(*session_start())
    before = len(t.events)

    t.update(user("hi", "greet"))
    t.update(action("utter_greet"))

    assert names(t.events_since(before)) == ["user:hi", "utter_greet"]


def test_update_with_events_restamps_them_in_order():
    t = tracker(slots={"a": None})
    old = [SlotSet("a", 1, timestamp=5.0), SlotSet("a", 2, timestamp=1.0)]

    t.update_with_events(old)

    stamps = [e.timestamp for e in t.events]
    assert stamps[0] > 5.0 and stamps == sorted(stamps)
    assert t.get_slot("a") == 2


def test_travel_back_in_time_replays_up_to_a_timestamp():
    t = tracker(
        SlotSet("a", 1, timestamp=10.0),
        SlotSet("a", 2, timestamp=20.0),
        SlotSet("a", 3, timestamp=30.0),
        slots={"a": None},
    )

    past = t.travel_back_in_time(20.0)

    assert past.get_slot("a") == 2
    assert len(past.events) == 2
    assert t.get_slot("a") == 3


def test_copy_is_independent():
    t = tracker(SlotSet("a", 1), slots={"a": None})

    clone = t.copy()
    clone.update(SlotSet("a", 2))

    assert t.get_slot("a") == 1 and len(t.events) == 1
    assert clone.get_slot("a") == 2 and len(clone.events) == 2


def test_reminder_validity_and_kill_on_user_message():
    from datetime import datetime

    reminder = ReminderScheduled("remind", datetime(2030, 1, 1), name="r1")
    t = tracker(action(LISTEN), user("hi", "greet"), reminder)

    assert t.reminder_is_still_valid(reminder)
    assert not t.has_user_message_after(reminder)

    t.update(user("again", "greet"))
    assert t.has_user_message_after(reminder)

    t.update(Restarted())
    assert not t.reminder_is_still_valid(reminder)


def test_prior_trackers_are_yielded_before_each_applied_action():
    t = tracker(action(LISTEN), user("hi", "greet"), action("utter_greet"), action(LISTEN))

    seen = [(prior.latest_action_name, hide) for prior, hide in t.generate_all_prior_trackers()]

    assert seen == [(None, False), (LISTEN, False), ("utter_greet", False), (LISTEN, False)]


def test_split_sessions_cuts_before_each_session_start():
    events = [action(LISTEN), *session_start(), user("a", "a"), *session_start(), user("b", "b")]

    assert [names(part) for part in split_sessions(events)] == [
        ["action_listen"],
        ["action_session_start", "session_started", "action_listen", "user:a"],
        ["action_session_start", "session_started", "action_listen", "user:b"],
    ]
    assert split_sessions([]) == []


# -- incremental application -----------------------------------------------------------


def test_ordinary_events_apply_without_replaying_history(monkeypatch):
    t = tracker(*form_conversation(), slots={"requested_slot": None, "cuisine": None})

    def no_replay() -> None:
        raise AssertionError("history replayed")

    monkeypatch.setattr(t, "applied_events", no_replay)
    for event in form_conversation():
        t.update(event)
    t.current_state(EventVerbosity.AFTER_RESTART)

    with pytest.raises(AssertionError, match="history replayed"):
        t.update(UserUtteranceReverted())


# -- loading ---------------------------------------------------------------------------


def test_from_dict_round_trips_a_rendered_tracker():
    t = tracker(*form_conversation(), slots={"requested_slot": None, "cuisine": None})
    state = json.loads(json.dumps(t.current_state(EventVerbosity.ALL)))

    loaded = DialogueStateTracker.from_dict(state, {"requested_slot": None, "cuisine": None})

    assert loaded == t
    assert loaded.current_state(EventVerbosity.ALL) == state


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"events": []}, "sender_id"),
        ({"sender_id": "a", "events": None}, "events"),
        ({"sender_id": "a", "events": [{"event": "pause"}, {"event": "slot"}]}, "name"),
    ],
)
def test_from_dict_rejects_bad_trackers_naming_the_field(state, field):
    with pytest.raises(InvalidTrackerError) as caught:
        DialogueStateTracker.from_dict(state)

    assert caught.value.field == field
    assert isinstance(caught.value, StratusError)
