"""Reading the action-server request and writing its response (Rasa's JSON)."""

from __future__ import annotations

from typing import Any

Request = dict[str, Any]
Tracker = dict[str, Any]
Event = dict[str, Any]
Response = dict[str, Any]
ActionResult = dict[str, list[dict[str, Any]]]

REQUESTED_SLOT = "requested_slot"
# Events after which every slot starts over (session_started is followed by
# the carried-over slot events, if any).
_RESETS_SLOTS = {"restart", "session_started", "reset_slots"}


def slot_event(name: str, value: Any) -> Event:
    """A ``slot`` event, shaped as rasa_sdk's ``SlotSet`` serializes it."""
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def utter(response: str, **variables: Any) -> Response:
    """Utter a domain response; extra keys fill its ``{placeholders}``."""
    return {"response": response, **variables}


def result(
    events: list[Event] | None = None, responses: list[Response] | None = None
) -> ActionResult:
    """The action-server response body."""
    return {"events": events or [], "responses": responses or []}


def tracker_of(request: Request) -> Tracker:
    """The tracker state carried by the request (empty if absent)."""
    tracker = request.get("tracker")
    return tracker if isinstance(tracker, dict) else {}


def get_slot(tracker: Tracker, name: str) -> Any:
    """The current value of a slot, or None."""
    slots = tracker.get("slots")
    return slots.get(name) if isinstance(slots, dict) else None


def latest_message(tracker: Tracker) -> dict[str, Any]:
    message = tracker.get("latest_message")
    return message if isinstance(message, dict) else {}


def latest_intent(tracker: Tracker) -> str | None:
    intent = latest_message(tracker).get("intent")
    return intent.get("name") if isinstance(intent, dict) else None


def latest_text(tracker: Tracker) -> str:
    text = latest_message(tracker).get("text")
    return text if isinstance(text, str) else ""


def latest_entity_value(tracker: Tracker, entity: str) -> Any:
    """The value of the first ``entity`` in the latest user message, or None."""
    for item in latest_message(tracker).get("entities") or []:
        if isinstance(item, dict) and item.get("entity") == entity:
            return item.get("value")
    return None


def _events(tracker: Tracker) -> list[Event]:
    events = tracker.get("events")
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


def _last_user_index(events: list[Event]) -> int:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return index
    return -1


def slots_set_since_last_user_message(tracker: Tracker) -> dict[str, Any]:
    """Slots set after the latest user message (later events win), without ``requested_slot``.

    These are the candidates a form hands to its ``validate_<form>`` action:
    what ``action_extract_slots`` filled, plus the candidates the form appends.
    """
    events = _events(tracker)
    candidates: dict[str, Any] = {}
    for event in events[_last_user_index(events) + 1 :]:
        name = event.get("name")
        if event.get("event") == "slot" and isinstance(name, str) and name != REQUESTED_SLOT:
            candidates[name] = event.get("value")
    return candidates


def slot_before_last_user_message(tracker: Tracker, name: str) -> Any:
    """The value a slot had before the latest user message (None if never set)."""
    events = _events(tracker)
    value: Any = None
    for event in events[: max(_last_user_index(events), 0)]:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == name:
            value = event.get("value")
        elif kind in _RESETS_SLOTS:
            value = None
    return value
