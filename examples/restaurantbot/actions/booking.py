"""The booking actions: form validation, submission, and corrections afterwards."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .parsing import (
    is_bare_number,
    normalize_cuisine,
    parse_party_size,
    parse_time,
    within_opening_hours,
)
from .protocol import (
    REQUESTED_SLOT,
    ActionResult,
    Event,
    Request,
    Response,
    Tracker,
    get_slot,
    latest_intent,
    latest_text,
    result,
    slot_before_last_user_message,
    slot_event,
    slots_set_since_last_user_message,
    tracker_of,
    utter,
)

FORM_SLOTS = ("cuisine", "party_size", "time")
_DETAIL = {"cuisine": "cuisine", "party_size": "party size", "time": "time"}

# A validator returns the value to store (None = ask again) and, if the input
# was rejected, the response that says why.
Validated = tuple[Any, Response | None]


def _validate_cuisine(value: Any) -> Validated:
    cuisine = normalize_cuisine(value)
    if cuisine is None:
        return None, utter("utter_invalid_cuisine", cuisine=value)
    return cuisine, None


def _validate_party_size(value: Any) -> Validated:
    size = parse_party_size(value)
    if size is None:
        return None, utter("utter_invalid_party_size")
    return size, None


def _validate_time(value: Any) -> Validated:
    clock = parse_time(value)
    if clock is None:
        return None, utter("utter_invalid_time")
    if not within_opening_hours(clock):
        return None, utter("utter_outside_opening_hours", time=clock)
    return clock, None


VALIDATORS: dict[str, Callable[[Any], Validated]] = {
    "cuisine": _validate_cuisine,
    "party_size": _validate_party_size,
    "time": _validate_time,
}


def _display(name: str, value: Any) -> str:
    if name == "party_size" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _template_values(booking: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": booking.get("reference"),
        "people": _display("party_size", booking.get("party_size")),
        "cuisine": booking.get("cuisine"),
        "time": booking.get("time"),
    }


def _reinterpret_bare_number(tracker: Tracker, candidates: dict[str, Any]) -> list[Event]:
    """Answering "What time?" with just "8" can be read as a party size: move it.

    The NLU cannot tell "8" (people) from "8" (o'clock); the requested slot can.
    Only a message that is nothing but a number is moved, so "we are 8 people"
    still corrects the party size while the form asks for the time.
    """
    if latest_intent(tracker) != "inform" or not is_bare_number(latest_text(tracker)):
        return []
    requested = get_slot(tracker, REQUESTED_SLOT)
    for wanted, extracted in (("time", "party_size"), ("party_size", "time")):
        if requested == wanted and extracted in candidates and wanted not in candidates:
            candidates[wanted] = candidates.pop(extracted)
            return [slot_event(extracted, slot_before_last_user_message(tracker, extracted))]
    return []


def validate_restaurant_form(request: Request) -> ActionResult:
    """``validate_restaurant_form``: check the slots the user just gave.

    Cuisine must be one we serve, party size a whole number from 1 to 20, time
    a clock time within booking hours (stored as "HH:MM"). An invalid value is
    set to None with a response saying why, so the form asks again. A changed
    value of a slot that was not being asked for is acknowledged.
    """
    tracker = tracker_of(request)
    candidates = {
        name: value
        for name, value in slots_set_since_last_user_message(tracker).items()
        if name in FORM_SLOTS
    }
    events = _reinterpret_bare_number(tracker, candidates)
    responses: list[Response] = []
    requested = get_slot(tracker, REQUESTED_SLOT)
    for name, value in candidates.items():
        if value is None:
            events.append(slot_event(name, None))
            continue
        validated, complaint = VALIDATORS[name](value)
        events.append(slot_event(name, validated))
        if complaint is not None:
            responses.append(complaint)
            continue
        previous = slot_before_last_user_message(tracker, name)
        if previous is not None and previous != validated and name != requested:
            responses.append(
                utter(
                    "utter_booking_detail_changed",
                    detail=_DETAIL[name],
                    value=_display(name, validated),
                )
            )
    return result(events, responses)


def booking_reference(sender_id: str, booking: dict[str, Any]) -> str:
    """A short reference, stable for the same conversation and booking."""
    key = f"{sender_id}|{booking['cuisine']}|{booking['party_size']}|{booking['time']}"
    return "TS-" + hashlib.sha256(key.encode()).hexdigest()[:6].upper()


def action_submit_booking(request: Request) -> ActionResult:
    """``action_submit_booking``: confirm the booking and clear the form for the next one."""
    tracker = tracker_of(request)
    booking: dict[str, Any] = {
        "cuisine": normalize_cuisine(get_slot(tracker, "cuisine")),
        "party_size": parse_party_size(get_slot(tracker, "party_size")),
        "time": parse_time(get_slot(tracker, "time")),
    }
    if any(value is None for value in booking.values()):
        # Only reachable if the form was bypassed; never book half a table.
        return result(responses=[utter("utter_default")])
    booking["reference"] = booking_reference(str(request.get("sender_id", "")), booking)
    events = [
        slot_event("last_booking", booking),
        slot_event("returning_customer", True),
        *(slot_event(name, None) for name in FORM_SLOTS),
    ]
    return result(events, [utter("utter_booking_confirmed", **_template_values(booking))])


def action_update_booking(request: Request) -> ActionResult:
    """``action_update_booking``: apply "actually, make it six" to the confirmed booking."""
    tracker = tracker_of(request)
    mentioned = {
        name: value
        for name, value in slots_set_since_last_user_message(tracker).items()
        if name in FORM_SLOTS and value is not None
    }
    # The new values go into last_booking; the form's slots stay empty for the
    # next booking.
    clear = [slot_event(name, None) for name in mentioned]
    booking = get_slot(tracker, "last_booking")
    if not isinstance(booking, dict):
        return result(clear, [utter("utter_no_booking_to_update")])
    if not mentioned:
        return result([], [utter("utter_ask_correction")])

    updated = dict(booking)
    responses: list[Response] = []
    for name, value in mentioned.items():
        validated, complaint = VALIDATORS[name](value)
        if complaint is not None:
            responses.append(complaint)
        else:
            updated[name] = validated
    if len(responses) == len(mentioned):
        return result(clear, responses)
    responses.append(utter("utter_booking_updated", **_template_values(updated)))
    return result([slot_event("last_booking", updated), *clear], responses)


def action_cancel_booking(request: Request) -> ActionResult:
    """``action_cancel_booking``: after the form was stopped, forget its half-filled slots."""
    return result(
        [slot_event(name, None) for name in FORM_SLOTS], [utter("utter_booking_cancelled")]
    )
