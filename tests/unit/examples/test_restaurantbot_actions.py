"""The restaurant bot's custom actions, called as the action server / Lambda would call them."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BOT = Path(__file__).resolve().parents[3] / "examples" / "restaurantbot"
PACKAGE = "restaurantbot_actions"


def _load_actions() -> ModuleType:
    # Imported under its own name: other example bots also have an `actions` package.
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, BOT / "actions" / "__init__.py", submodule_search_locations=[str(BOT / "actions")]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


actions = _load_actions()
parsing = sys.modules[f"{PACKAGE}.parsing"]


# --- building requests ----------------------------------------------------------


def user(
    text: str, intent: str, entities: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [
                {
                    "entity": name,
                    "value": value,
                    "start": 0,
                    "end": 1,
                    "extractor": "DIETClassifier",
                }
                for name, value in (entities or {}).items()
            ],
        },
        **extra,
    }


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": 1.0, "name": name, "value": value}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "timestamp": 1.0, "name": name}


def request(next_action: str, events: list[dict[str, Any]], **slots: Any) -> dict[str, Any]:
    """An action-server request whose tracker state follows from ``events``."""
    values: dict[str, Any] = {
        "cuisine": None,
        "party_size": None,
        "time": None,
        "city": None,
        "order_id": None,
        "returning_customer": False,
        "last_booking": None,
        "requested_slot": None,
    }
    latest: dict[str, Any] = {}
    for event in events:
        if event["event"] == "slot":
            values[event["name"]] = event["value"]
        elif event["event"] == "user":
            latest = event["parse_data"]
    values.update(slots)
    return {
        "next_action": next_action,
        "sender_id": "tester",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "tester",
            "slots": values,
            "latest_message": latest,
            "events": events,
            "active_loop": {"name": "restaurant_form"},
            "latest_action_name": events[-1].get("name") if events else None,
        },
    }


def slots_of(response: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in response["events"] if e["event"] == "slot"}


def utterances(response: dict[str, Any]) -> list[str]:
    return [r["response"] for r in response["responses"]]


def form_turn(*before: dict[str, Any], message: dict[str, Any], extracted: dict[str, Any]):
    """The tracker the form hands to validate_restaurant_form for one user message."""
    return [
        *before,
        action("action_listen"),
        message,
        *(slot(k, v) for k, v in extracted.items()),
        action("restaurant_form"),
        *(slot(k, v) for k, v in extracted.items()),
    ]


# --- parsing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clock"),
    [
        ("7pm", "19:00"),
        ("19:30", "19:30"),
        ("7:30 pm", "19:30"),
        ("at 8", "20:00"),
        ("noon", "12:00"),
        ("tonight at 9", "21:00"),
        ("half past seven", "19:30"),
        ("quarter to eight", "19:45"),
        ("quarter past 8", "20:15"),
        ("8 o'clock", "20:00"),
        ("6.30pm", "18:30"),
        ("19h30", "19:30"),
        ("1930", "19:30"),
        ("seven thirty", "19:30"),
        ("at 1pm", "13:00"),
        ("11", "11:00"),
        ("7am", "07:00"),
        ("12am", "00:00"),
        ("midnight", "00:00"),
        ("around 8ish", "20:00"),
        ("10:30 p.m.", "22:30"),
    ],
)
def test_times_become_24_hour_clock_times(text: str, clock: str) -> None:
    assert parsing.parse_time(text) == clock


@pytest.mark.parametrize("text", ["tonight", "soon", "", "25:00", "7:75", "half past", None, 8])
def test_unreadable_times_are_none(text: Any) -> None:
    assert parsing.parse_time(text) is None


@pytest.mark.parametrize(
    ("value", "size"),
    [("4", 4.0), (4, 4.0), (6.0, 6.0), ("six", 6.0), ("two of us", 2.0), ("a dozen", 12.0),
     ("20", 20.0), ("1", 1.0), ("twenty", 20.0)],
)  # fmt: skip
def test_party_sizes(value: Any, size: float) -> None:
    assert parsing.parse_party_size(value) == size


@pytest.mark.parametrize("value", ["0", "21", "50", "twenty one", "2.5", "lots", None, True])
def test_invalid_party_sizes(value: Any) -> None:
    assert parsing.parse_party_size(value) is None


@pytest.mark.parametrize(
    ("value", "cuisine"),
    [("Italian", "italian"), ("thai food", "thai"), ("sushi", "japanese"), ("pizza", "italian"),
     ("martian", None), (None, None)],
)  # fmt: skip
def test_cuisines(value: Any, cuisine: str | None) -> None:
    assert parsing.normalize_cuisine(value) == cuisine


# --- validate_restaurant_form ---------------------------------------------------


def test_valid_slots_are_normalized() -> None:
    events = form_turn(
        message=user("book thai for 4 at 7pm", "request_restaurant"),
        extracted={"cuisine": "Thai", "party_size": "4", "time": "7pm"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"cuisine": "thai", "party_size": 4.0, "time": "19:00"}
    assert response["responses"] == []


@pytest.mark.parametrize("size", ["0", "21", "50"])
def test_party_size_outside_1_to_20_is_rejected_with_a_reason(size: str) -> None:
    events = form_turn(
        slot("requested_slot", "party_size"),
        message=user(f"we are {size}", "inform"),
        extracted={"party_size": size},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"party_size": None}
    assert utterances(response) == ["utter_invalid_party_size"]


def test_unreadable_and_closed_times_are_rejected() -> None:
    closed = form_turn(
        slot("requested_slot", "time"), message=user("7am", "inform"), extracted={"time": "7am"}
    )
    response = actions.handler(request("validate_restaurant_form", closed), None)
    assert slots_of(response) == {"time": None}
    assert utterances(response) == ["utter_outside_opening_hours"]

    garbled = form_turn(
        slot("requested_slot", "time"),
        message=user("soonish", "inform"),
        extracted={"time": "soonish"},
    )
    response = actions.handler(request("validate_restaurant_form", garbled), None)
    assert slots_of(response) == {"time": None}
    assert utterances(response) == ["utter_invalid_time"]


def test_unknown_cuisine_is_rejected_naming_it() -> None:
    events = form_turn(message=user("martian food", "inform"), extracted={"cuisine": "martian"})
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"cuisine": None}
    assert response["responses"] == [{"response": "utter_invalid_cuisine", "cuisine": "martian"}]


def test_only_slots_since_the_last_user_message_are_validated() -> None:
    events = form_turn(
        slot("cuisine", "italian"),
        slot("party_size", 4.0),
        slot("requested_slot", "time"),
        message=user("8pm", "inform"),
        extracted={"time": "8pm"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"time": "20:00"}


def test_correction_of_an_earlier_slot_is_validated_and_acknowledged() -> None:
    # "actually, make it six" while the form asks for the time.
    events = form_turn(
        slot("cuisine", "chinese"),
        slot("party_size", 4.0),
        slot("requested_slot", "time"),
        message=user("actually, make it six", "correct_booking", {"number": "six"}),
        extracted={"party_size": "six"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"party_size": 6.0}
    assert response["responses"] == [
        {"response": "utter_booking_detail_changed", "detail": "party size", "value": "6"}
    ]


def test_a_bare_number_answering_the_time_question_is_a_time() -> None:
    # The NLU tagged "8" as a number, which filled party_size; the form asked for the time.
    events = form_turn(
        slot("cuisine", "italian"),
        slot("party_size", 4.0),
        slot("requested_slot", "time"),
        message=user("8", "inform", {"number": "8"}),
        extracted={"party_size": "8"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"party_size": 4.0, "time": "20:00"}
    assert response["responses"] == []


def test_a_sentence_with_a_number_while_asking_the_time_still_corrects_the_party() -> None:
    events = form_turn(
        slot("party_size", 4.0),
        slot("requested_slot", "time"),
        message=user("we are 8 people", "inform", {"number": "8"}),
        extracted={"party_size": "8"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert slots_of(response) == {"party_size": 8.0}


def test_validation_without_candidates_returns_nothing() -> None:
    events = [action("action_listen"), user("hi", "greet"), action("restaurant_form")]
    assert actions.handler(request("validate_restaurant_form", events), None) == {
        "events": [],
        "responses": [],
    }


# --- submit and update ----------------------------------------------------------


def test_submit_confirms_remembers_and_clears_the_form() -> None:
    events = [slot("cuisine", "italian"), slot("party_size", 4.0), slot("time", "19:30")]
    response = actions.handler(request("action_submit_booking", events), None)
    slots = slots_of(response)
    booking = slots["last_booking"]
    assert booking["cuisine"] == "italian"
    assert booking["party_size"] == 4.0
    assert booking["time"] == "19:30"
    assert booking["reference"].startswith("TS-")
    assert slots["returning_customer"] is True
    assert (slots["cuisine"], slots["party_size"], slots["time"]) == (None, None, None)
    assert response["responses"] == [
        {
            "response": "utter_booking_confirmed",
            "reference": booking["reference"],
            "people": "4",
            "cuisine": "italian",
            "time": "19:30",
        }
    ]
    # The same booking in the same conversation keeps its reference.
    again = actions.handler(request("action_submit_booking", events), None)
    assert slots_of(again)["last_booking"]["reference"] == booking["reference"]


def test_submit_never_books_an_incomplete_table() -> None:
    response = actions.handler(request("action_submit_booking", [slot("cuisine", "thai")]), None)
    assert response["events"] == []
    assert utterances(response) == ["utter_default"]


def test_cancel_forgets_the_half_filled_booking() -> None:
    events = [slot("cuisine", "thai"), slot("party_size", 4.0)]
    response = actions.handler(request("action_cancel_booking", events), None)
    assert slots_of(response) == {"cuisine": None, "party_size": None, "time": None}
    assert utterances(response) == ["utter_booking_cancelled"]


BOOKED = {"reference": "TS-ABC123", "cuisine": "french", "party_size": 3.0, "time": "20:00"}


def test_update_changes_the_confirmed_booking() -> None:
    events = [
        slot("last_booking", BOOKED),
        action("action_listen"),
        user("actually, make it six", "correct_booking", {"number": "six"}),
        slot("party_size", "six"),
    ]
    response = actions.handler(request("action_update_booking", events), None)
    assert slots_of(response) == {"last_booking": {**BOOKED, "party_size": 6.0}, "party_size": None}
    assert response["responses"][-1] == {
        "response": "utter_booking_updated",
        "reference": "TS-ABC123",
        "people": "6",
        "cuisine": "french",
        "time": "20:00",
    }


def test_update_rejects_an_invalid_value_and_keeps_the_booking() -> None:
    events = [
        slot("last_booking", BOOKED),
        action("action_listen"),
        user("make it 40 people", "correct_booking", {"number": "40"}),
        slot("party_size", "40"),
    ]
    response = actions.handler(request("action_update_booking", events), None)
    assert "last_booking" not in slots_of(response)
    assert utterances(response) == ["utter_invalid_party_size"]


def test_update_without_a_booking_or_without_a_detail() -> None:
    no_booking = [
        action("action_listen"),
        user("make it 8pm", "correct_booking"),
        slot("time", "8pm"),
    ]
    response = actions.handler(request("action_update_booking", no_booking), None)
    assert utterances(response) == ["utter_no_booking_to_update"]
    assert slots_of(response) == {"time": None}

    vague = [
        slot("last_booking", BOOKED),
        action("action_listen"),
        user("change it", "correct_booking"),
    ]
    response = actions.handler(request("action_update_booking", vague), None)
    assert utterances(response) == ["utter_ask_correction"]


# --- weather and orders -----------------------------------------------------------


def test_weather_for_a_known_city() -> None:
    events = [user("weather in lisbon", "ask_weather", {"city": "lisbon"}), slot("city", "lisbon")]
    response = actions.handler(request("action_weather", events), None)
    assert slots_of(response) == {"city": "Lisbon"}
    assert response["responses"] == [
        {"response": "utter_weather", "city": "Lisbon", "condition": "sunny", "temperature": 23}
    ]


def test_weather_for_an_unknown_city_and_without_a_city() -> None:
    events = [user("weather in atlantis", "ask_weather", {"city": "atlantis"})]
    response = actions.handler(request("action_weather", events), None)
    assert response["responses"] == [{"response": "utter_weather_unknown_city", "city": "Atlantis"}]

    response = actions.handler(request("action_weather", [user("weather?", "ask_weather")]), None)
    assert response == {"events": [], "responses": [{"response": "utter_ask_city"}]}


def test_weather_falls_back_to_the_city_slot() -> None:
    events = [slot("city", "Berlin"), user("and now?", "ask_weather")]
    response = actions.handler(request("action_weather", events), None)
    assert response["responses"][0]["city"] == "Berlin"


@pytest.mark.parametrize("spoken", ["48213", "#48213", "48 213", 48213])
def test_order_status_found(spoken: Any) -> None:
    events = [user(f"where is order {spoken}", "check_order_status", {"order_id": spoken})]
    response = actions.handler(request("action_order_status", events), None)
    assert slots_of(response) == {"order_id": "48213"}
    [reply] = response["responses"]
    assert reply["response"] == "utter_order_status"
    assert reply["order_id"] == "48213"
    assert "out for delivery" in reply["status"]


def test_order_status_unknown_invalid_and_missing() -> None:
    unknown = [user("order 11111", "check_order_status", {"order_id": "11111"})]
    response = actions.handler(request("action_order_status", unknown), None)
    assert response["responses"] == [{"response": "utter_order_not_found", "order_id": "11111"}]

    invalid = [user("order abc", "check_order_status", {"order_id": "abc"})]
    response = actions.handler(request("action_order_status", invalid), None)
    assert slots_of(response) == {"order_id": None}
    assert utterances(response) == ["utter_order_not_found"]

    missing = [user("where is my order?", "check_order_status")]
    response = actions.handler(request("action_order_status", missing), None)
    assert utterances(response) == ["utter_ask_order_id"]


# --- the protocol -------------------------------------------------------------------


def test_every_domain_action_has_a_handler_and_every_response_exists() -> None:
    import yaml

    domain = yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(actions.ACTIONS) == set(domain["actions"])
    mentioned = {
        name
        for path in (BOT / "actions").glob("*.py")
        for name in re.findall(r'"(utter_[a-z_/]+)"', path.read_text(encoding="utf-8"))
    }
    assert "utter_booking_confirmed" in mentioned
    assert mentioned <= set(domain["responses"]), mentioned - set(domain["responses"])


def test_events_and_responses_are_json_in_rasas_shape() -> None:
    events = form_turn(
        message=user("thai for 2 at 8", "request_restaurant"),
        extracted={"cuisine": "thai", "party_size": "2", "time": "at 8"},
    )
    response = actions.handler(request("validate_restaurant_form", events), None)
    assert json.loads(json.dumps(response)) == response
    assert set(response) == {"events", "responses"}
    for event in response["events"]:
        assert event["event"] == "slot"
        assert set(event) == {"event", "timestamp", "name", "value"}


def test_unknown_action_is_an_error_naming_it() -> None:
    with pytest.raises(actions.UnknownActionError, match="action_fly"):
        actions.handler(request("action_fly", []), None)
    with pytest.raises(LookupError):
        actions.run({"tracker": {}})
