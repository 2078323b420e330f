"""The entry point: one function for every custom action, dispatching on ``next_action``.

Deployed, this is the AWS Lambda handler (``actions.handler.handler``); locally,
Stratus calls it in-process. Either way the event is the action-server request
of Rasa's protocol and the return value its response body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .booking import (
    action_cancel_booking,
    action_submit_booking,
    action_update_booking,
    validate_restaurant_form,
)
from .orders import action_order_status
from .protocol import ActionResult, Request
from .weather import action_weather

ACTIONS: dict[str, Callable[[Request], ActionResult]] = {
    "validate_restaurant_form": validate_restaurant_form,
    "action_submit_booking": action_submit_booking,
    "action_update_booking": action_update_booking,
    "action_cancel_booking": action_cancel_booking,
    "action_weather": action_weather,
    "action_order_status": action_order_status,
}


class UnknownActionError(LookupError):
    """No action of that name here (an action server answers 404)."""

    def __init__(self, name: object) -> None:
        super().__init__(f"No registered action found for name '{name}'.")
        self.action_name = name


def run(request: Request) -> ActionResult:
    """Run the action that ``request["next_action"]`` names."""
    name = request.get("next_action")
    action = ACTIONS.get(name) if isinstance(name, str) else None
    if action is None:
        raise UnknownActionError(name)
    return action(request)


def handler(event: Request, context: Any = None) -> ActionResult:
    """AWS Lambda handler: ``event`` is the action-server request."""
    return run(event)
