"""Every event's JSON is Rasa 3.6's, field for field, and parses back to the same event."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from stratus.shared.events import (
    EVENT_TYPES,
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    InvalidEventError,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
    event_from_dict,
    events_from_dicts,
)
from stratus.shared.exceptions import StratusError

TS = 1517821726.211031

# What Rasa 3.6.21's `as_dict()` produces for each event type (checked against it).
RASA_JSON: list[tuple[type[Event], dict]] = [
    (
        UserUttered,
        {
            "event": "user",
            "timestamp": TS,
            "metadata": {"origin": "web"},
            "text": "a table for [two](people)",
            "parse_data": {
                "intent": {"name": "book", "confidence": 0.93},
                "entities": [{"entity": "people", "value": "two", "start": 12, "end": 15}],
                "text": "a table for two",
                "message_id": "abc",
                "metadata": {"origin": "web"},
                "intent_ranking": [{"name": "book", "confidence": 0.93}],
            },
            "input_channel": "rest",
            "message_id": "abc",
        },
    ),
    (
        BotUttered,
        {
            "event": "bot",
            "timestamp": TS,
            "text": "Pick one",
            "data": {
                "elements": None,
                "quick_replies": None,
                "buttons": [{"title": "yes", "payload": "/affirm"}],
                "attachment": None,
                "image": None,
                "custom": None,
            },
            "metadata": {"utter_action": "utter_ask"},
        },
    ),
    (
        ActionExecuted,
        {
            "event": "action",
            "timestamp": TS,
            "name": "utter_happy",
            "policy": "policy_1_TEDPolicy",
            "confidence": 0.8,
            "action_text": None,
            "hide_rule_turn": False,
        },
    ),
    (SlotSet, {"event": "slot", "timestamp": TS, "name": "cuisine", "value": ["thai", 2]}),
    (ActiveLoop, {"event": "active_loop", "timestamp": TS, "name": "restaurant_form"}),
    (ActiveLoop, {"event": "active_loop", "timestamp": TS, "name": None}),
    (LoopInterrupted, {"event": "loop_interrupted", "timestamp": TS, "is_interrupted": True}),
    (
        ActionExecutionRejected,
        {
            "event": "action_execution_rejected",
            "timestamp": TS,
            "name": "restaurant_form",
            "policy": "RulePolicy",
            "confidence": 1.0,
        },
    ),
    (FollowupAction, {"event": "followup", "timestamp": TS, "name": "action_greet"}),
    (UserUtteranceReverted, {"event": "rewind", "timestamp": TS}),
    (ActionReverted, {"event": "undo", "timestamp": TS}),
    (Restarted, {"event": "restart", "timestamp": TS}),
    (AllSlotsReset, {"event": "reset_slots", "timestamp": TS}),
    (SessionStarted, {"event": "session_started", "timestamp": TS, "metadata": {"k": 1}}),
    (ConversationPaused, {"event": "pause", "timestamp": TS}),
    (ConversationResumed, {"event": "resume", "timestamp": TS}),
    (
        ReminderScheduled,
        {
            "event": "reminder",
            "timestamp": TS,
            "intent": "remind_call",
            "date_time": "2030-01-02T03:04:05.678901+00:00",
            "entities": [{"entity": "name", "value": "Ann"}],
            "name": "call_ann",
            "kill_on_user_msg": False,
        },
    ),
    (ReminderCancelled, {"event": "cancel_reminder", "timestamp": TS}),
    (
        DefinePrevUserUtteredFeaturization,
        {"event": "user_featurization", "timestamp": TS, "use_text_for_featurization": False},
    ),
    (
        EntitiesAdded,
        {"event": "entities", "timestamp": TS, "entities": [{"entity": "city", "value": "Rome"}]},
    ),
    (AgentUttered, {"event": "agent", "timestamp": TS, "text": "hi", "data": None}),
    (StoryExported, {"event": "export", "timestamp": TS}),
]


@pytest.mark.parametrize(
    ("event_type", "data"),
    RASA_JSON,
    ids=[f"{d['event']}-{i}" for i, (_, d) in enumerate(RASA_JSON)],
)
def test_rasa_json_parses_to_its_type_and_serializes_back_exactly(event_type, data):
    event = event_from_dict(json.loads(json.dumps(data)))

    assert type(event) is event_type
    assert event.as_dict() == data
    assert json.loads(json.dumps(event.as_dict())) == data


def test_every_event_type_of_rasa_is_registered():
    assert set(EVENT_TYPES) == {
        "user",
        "bot",
        "action",
        "slot",
        "active_loop",
        "loop_interrupted",
        "action_execution_rejected",
        "followup",
        "rewind",
        "undo",
        "restart",
        "reset_slots",
        "session_started",
        "pause",
        "resume",
        "reminder",
        "cancel_reminder",
        "user_featurization",
        "entities",
        "agent",
        "export",
    }
    tested = {event_type for event_type, _ in RASA_JSON}
    assert tested == set(EVENT_TYPES.values())


def test_typed_fields_carry_the_json_values():
    user = event_from_dict(RASA_JSON[0][1])
    assert isinstance(user, UserUttered)
    assert (user.text, user.intent_name, user.input_channel) == (
        "a table for [two](people)",
        "book",
        "rest",
    )
    assert user.entities == [{"entity": "people", "value": "two", "start": 12, "end": 15}]
    assert user.timestamp == TS

    slot = event_from_dict({"event": "slot", "name": "n", "value": 3})
    assert isinstance(slot, SlotSet)
    assert (slot.key, slot.value) == ("n", 3)

    reminder = event_from_dict(dict(RASA_JSON[16][1]))
    assert isinstance(reminder, ReminderScheduled)
    assert reminder.trigger_date_time == datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert reminder.kill_on_user_message is False


def test_user_parse_data_is_completed_as_rasa_does():
    event = event_from_dict(
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}}
    )

    assert event.as_dict()["parse_data"] == {
        "intent": {"name": "greet"},
        "entities": [],
        "text": "hi",
        "message_id": None,
        "metadata": {},
    }
    # `metadata` is always written for user and bot events, even when empty.
    assert event.as_dict()["metadata"] == {}
    assert event.as_dict()["input_channel"] is None


def test_user_event_without_parse_data_is_accepted():
    # Rasa 3.6 crashes on this (rasa_sdk sends `parse_data: null`); Stratus accepts it.
    event = event_from_dict({"event": "user", "text": "hi", "parse_data": None})

    assert isinstance(event, UserUttered)
    assert event.intent == {}
    assert event.as_dict()["parse_data"]["text"] == "hi"


def test_lenient_defaults_where_rasa_is_lenient():
    before = time.time()
    action = event_from_dict({"event": "action", "name": "utter_x", "metadata": {}})
    after = time.time()

    assert before <= action.timestamp <= after
    # An empty metadata is not written back; a missing action_text is written as null.
    assert action.as_dict() == {
        "event": "action",
        "timestamp": action.timestamp,
        "name": "utter_x",
        "policy": None,
        "confidence": None,
        "action_text": None,
        "hide_rule_turn": False,
    }
    interrupted = event_from_dict({"event": "loop_interrupted"})
    assert isinstance(interrupted, LoopInterrupted)
    assert interrupted.is_interrupted is False
    assert event_from_dict({"event": "active_loop", "timestamp": 1}).as_dict() == {
        "event": "active_loop",
        "timestamp": 1.0,
        "name": None,
    }
    bot = event_from_dict({"event": "bot", "timestamp": 2})
    assert bot.as_dict() == {
        "event": "bot",
        "timestamp": 2.0,
        "text": None,
        "data": {},
        "metadata": {},
    }


def test_integer_timestamps_become_floats():
    event = event_from_dict({"event": "pause", "timestamp": 1517821726})

    assert isinstance(event.timestamp, float)
    assert event.timestamp == 1517821726.0


def test_reminder_defaults_and_date_normalization():
    event = event_from_dict(
        {"event": "reminder", "timestamp": 1, "intent": "x", "date_time": "2030-01-02T03:04:05Z"}
    )

    data = event.as_dict()
    assert data["date_time"] == "2030-01-02T03:04:05+00:00"
    assert data["kill_on_user_msg"] is True
    assert data["entities"] is None
    assert isinstance(data["name"], str) and len(data["name"]) == 36
    # The generated name is kept, so the event round-trips from then on.
    assert event_from_dict(data) == event


def test_cancel_reminder_keeps_what_it_cancels():
    # Rasa 3.6 writes only event and timestamp; Stratus keeps the criteria that are set.
    data = {
        "event": "cancel_reminder",
        "timestamp": TS,
        "name": "call_ann",
        "intent": "remind_call",
    }

    event = event_from_dict(data)

    assert event.as_dict() == data
    assert isinstance(event, ReminderCancelled)
    call = ReminderScheduled("remind_call", datetime(2030, 1, 1), name="call_ann")
    other = ReminderScheduled("remind_call", datetime(2030, 1, 1), name="call_bob")
    assert event.cancels(call)
    assert not event.cancels(other)
    assert ReminderCancelled().cancels(other)


def test_legacy_form_events_are_read_under_their_new_names():
    form = event_from_dict({"event": "form", "timestamp": 3, "name": "f"})
    validation = event_from_dict({"event": "form_validation", "timestamp": 4, "validate": False})

    assert form.as_dict() == {"event": "active_loop", "timestamp": 3.0, "name": "f"}
    assert validation.as_dict() == {
        "event": "loop_interrupted",
        "timestamp": 4.0,
        "is_interrupted": True,
    }


def test_event_lists_skip_legacy_topic_events():
    events = events_from_dicts(
        [{"event": "topic", "topic": "x"}, {"event": "restart", "timestamp": 1}]
    )

    assert events == [Restarted(timestamp=1.0)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"event": "slot", "value": 1}, "name"),
        ({"event": "action"}, "name"),
        ({"event": "action_execution_rejected"}, "name"),
        ({"event": "followup"}, "name"),
        ({"event": "reminder", "date_time": "2030-01-01T00:00:00"}, "intent"),
        ({"event": "reminder", "intent": "x"}, "date_time"),
        ({"event": "reminder", "intent": "x", "date_time": "next tuesday"}, "date_time"),
        ({"event": "user_featurization"}, "use_text_for_featurization"),
        ({"event": "entities"}, "entities"),
        ({"event": "entities", "entities": ["city"]}, "entities"),
        ({"event": "slot", "name": 5}, "name"),
        ({"event": "pause", "timestamp": "yesterday"}, "timestamp"),
        ({"event": "pause", "timestamp": True}, "timestamp"),
        ({"event": "pause", "metadata": [1]}, "metadata"),
        ({"event": "user", "parse_data": "greet"}, "parse_data"),
        ({"event": "user", "parse_data": {"intent": "greet"}}, "parse_data.intent"),
        ({"event": "user", "parse_data": {"entities": {"a": 1}}}, "entities"),
        ({"event": "action", "name": "x", "hide_rule_turn": "yes"}, "hide_rule_turn"),
        ({"event": "action", "name": "x", "confidence": "high"}, "confidence"),
        ({"timestamp": 1}, "event"),
        ({"event": 3}, "event"),
    ],
)
def test_bad_event_json_names_the_field(data, field):
    with pytest.raises(InvalidEventError) as caught:
        event_from_dict(data)

    assert caught.value.field == field
    assert f"'{field}'" in str(caught.value)
    assert isinstance(caught.value, StratusError)


def test_unknown_event_type_is_an_error_with_a_suggestion():
    with pytest.raises(InvalidEventError, match=r"unknown event type 'sloot'.*'slot'"):
        event_from_dict({"event": "sloot", "name": "a"})


def test_errors_in_a_list_say_which_item():
    with pytest.raises(InvalidEventError) as caught:
        events_from_dicts([{"event": "pause"}, {"event": "pause"}, {"event": "slot"}])

    assert caught.value.index == 2
    assert str(caught.value).startswith("events[2] 'slot': field 'name'")


def test_action_needs_a_name_or_an_end_to_end_text():
    with pytest.raises(InvalidEventError):
        ActionExecuted()
    e2e = ActionExecuted(action_text="Hello!", timestamp=1)

    assert e2e.as_sub_state() == {"action_text": "Hello!"}
    assert ActionExecuted("utter_x").as_sub_state() == {"action_name": "utter_x"}


def test_equality_compares_every_field_including_the_timestamp():
    data = RASA_JSON[0][1]

    assert event_from_dict(data) == event_from_dict(json.loads(json.dumps(data)))
    assert hash(event_from_dict(data)) == hash(event_from_dict(data))
    assert event_from_dict(data) != event_from_dict({**data, "timestamp": TS + 1})
    assert SlotSet("a", 1, timestamp=1) != SlotSet("a", 2, timestamp=1)
    # Different types never compare equal, even without fields.
    assert Restarted(timestamp=1) != SessionStarted(timestamp=1)
    assert (
        len({Restarted(timestamp=1), Restarted(timestamp=1), SlotSet("a", {"x": 1}, timestamp=1)})
        == 2
    )


def test_events_are_frozen():
    event = SlotSet("a", 1)

    with pytest.raises(AttributeError):
        event.value = 2  # type: ignore[misc]


def test_use_text_for_featurization_defaults_like_rasa():
    assert UserUttered(text="hi").use_text_for_featurization is True
    assert UserUttered(parse_data={"intent": {"name": "greet"}}).use_text_for_featurization is False
    both = UserUttered(text="hi", parse_data={"intent": {"name": "greet"}})
    assert both.use_text_for_featurization is None
    assert both.as_sub_state() == {"text": "hi", "intent": "greet"}


def test_sub_state_lists_entity_roles_and_groups():
    message = UserUttered(
        parse_data={"intent": {"name": "fly"}},
        entities=[
            {"entity": "city", "role": "from", "value": "A"},
            {"entity": "city", "group": "1"},
        ],
    )

    assert message.as_sub_state() == {
        "intent": "fly",
        "entities": ["city", "city", "city#from", "city#1"],
    }


def test_external_message_for_reminders():
    message = UserUttered.create_external("remind_call", [{"entity": "name", "value": "Ann"}])

    assert message.text == "EXTERNAL: remind_call"
    assert message.metadata == {"is_external": True}
    assert message.intent_name == "remind_call"
    assert message.as_dict()["parse_data"]["entities"] == [{"entity": "name", "value": "Ann"}]


def test_bot_message_merges_data_text_and_metadata():
    bot = BotUttered(
        "hi", {"image": "a.png", "attachment": "a.png"}, timestamp=5, metadata={"k": 1}
    )

    assert bot.message() == {
        "image": "a.png",
        "attachment": None,
        "text": "hi",
        "timestamp": 5,
        "k": 1,
    }
