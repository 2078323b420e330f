"""Custom actions as AWS Lambda functions: native actions and unmodified rasa_sdk ones.

Standard library only (rasa_sdk is used when the actions import it), so an action
function can ship this package alone::

    from stratus.sdk import action, lambda_handler, slot_set

    @action("action_check_weather")
    def check_weather(tracker, dispatcher):
        dispatcher.utter_message(text=f"Sunny in {tracker.get_slot('city')}")
        return [slot_set("forecast", "sunny")]

    handler = lambda_handler(actions=[check_weather, ValidateBookingForm])
"""

from stratus.sdk.actions import ActionExecutionRejection, NativeAction, action
from stratus.sdk.dispatcher import Dispatcher
from stratus.sdk.events import active_loop, all_slots_reset, followup_action, restarted, slot_set
from stratus.sdk.handler import ActionHandler, lambda_handler, lambda_handler_from_package
from stratus.sdk.tracker import Tracker

__all__ = [
    "ActionExecutionRejection",
    "ActionHandler",
    "Dispatcher",
    "NativeAction",
    "Tracker",
    "action",
    "active_loop",
    "all_slots_reset",
    "followup_action",
    "lambda_handler",
    "lambda_handler_from_package",
    "restarted",
    "slot_set",
]
