"""The bot's custom actions, written for rasa_sdk as any Rasa 3.6 project writes them
(unchanged between rasa_sdk 3.6 and the current one)."""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection
from rasa_sdk.types import DomainDict

CUISINES = ["caribbean", "chinese", "french", "greek", "indian", "italian", "mexican"]


class ValidateRestaurantForm(FormValidationAction):
    def name(self) -> str:
        return "validate_restaurant_form"

    def validate_cuisine(
        self, value: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if str(value).lower() in CUISINES:
            return {"cuisine": str(value).lower()}
        dispatcher.utter_message(response="utter_wrong_cuisine")
        return {"cuisine": None}

    def validate_num_people(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            people: int | None = int(float(value))
        except (TypeError, ValueError):
            people = None
        if people is not None and people > 0:
            return {"num_people": float(people)}
        dispatcher.utter_message(response="utter_wrong_num_people")
        return {"num_people": None}


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("cuisine") is None:
            raise ActionExecutionRejection(self.name(), "nothing to book")
        people = int(tracker.get_slot("num_people"))
        dispatcher.utter_message(
            response="utter_booked", people=people, cuisine=tracker.get_slot("cuisine")
        )
        return [SlotSet("cuisine", None), SlotSet("num_people", None)]
