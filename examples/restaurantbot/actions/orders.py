"""``action_order_status``: look up a takeaway order by the ``order_id`` entity (or slot)."""

from __future__ import annotations

from .lookup import find_order, normalize_order_id
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


def action_order_status(request: Request) -> ActionResult:
    """Report the order's status; ask for the number if none was given."""
    tracker = tracker_of(request)
    raw = latest_entity_value(tracker, "order_id") or get_slot(tracker, "order_id")
    if raw is None:
        return result(responses=[utter("utter_ask_order_id")])
    order_id = normalize_order_id(raw)
    if order_id is None:
        return result(
            [slot_event("order_id", None)],
            [utter("utter_order_not_found", order_id=str(raw).strip())],
        )
    order = find_order(order_id)
    if order is None:
        return result(
            [slot_event("order_id", order_id)], [utter("utter_order_not_found", order_id=order_id)]
        )
    return result(
        [slot_event("order_id", order_id)],
        [
            utter(
                "utter_order_status",
                order_id=order_id,
                status=order["status"],
                items=order["items"],
            )
        ],
    )
