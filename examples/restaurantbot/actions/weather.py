"""``action_weather``: the current weather for the ``city`` entity (or slot)."""

from __future__ import annotations

from .lookup import current_weather
from .protocol import (
    ActionResult,
    Request,
    get_slot,
    latest_entity_value,
    result,
    slot_event,
    tracker_of,
    utter,
)


def action_weather(request: Request) -> ActionResult:
    """Answer with the stand-in weather report; ask for a city if none is known."""
    tracker = tracker_of(request)
    city = latest_entity_value(tracker, "city") or get_slot(tracker, "city")
    if not isinstance(city, str) or not city.strip():
        return result(responses=[utter("utter_ask_city")])
    report = current_weather(city)
    if report is None:
        name = city.strip().title()
        return result([slot_event("city", name)], [utter("utter_weather_unknown_city", city=name)])
    return result(
        [slot_event("city", report["name"])],
        [
            utter(
                "utter_weather",
                city=report["name"],
                condition=report["condition"],
                temperature=report["temperature"],
            )
        ],
    )
