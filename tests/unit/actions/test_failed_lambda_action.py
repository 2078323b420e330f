"""A custom action failing in its Lambda: the user gets the fallback, the tracker keeps
its stored events and records the failed action without its events."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from stratus.core.actions.lambda_client import LambdaActionClient
from stratus.core.actions.lambda_invoke import LocalLambdaInvoker
from stratus.core.nlg import TemplatedNaturalLanguageGenerator
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain, domain_from_yaml
from stratus.shared.events import SlotSet, UserUttered
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

DOMAIN = domain_from_yaml(
    """
version: "3.1"
intents: [ask_weather]
entities: [city]
slots:
  city: {type: text, mappings: [{type: from_entity, entity: city}]}
  forecast: {type: text, mappings: [{type: custom}]}
responses:
  utter_forecast: [{text: "It is {forecast} in {city}."}]
  utter_default: [{text: "Sorry, I didn't get that."}]
actions: [action_check_weather]
"""
)


class WeatherRules:
    """The rules `ask_weather -> action_check_weather -> (forecast set) ->
    utter_forecast`; when no rule applies, the core fallback (as RulePolicy predicts
    `action_default_fallback` below its threshold)."""

    def predict_next_action(
        self, tracker: DialogueStateTracker, domain: Domain, rejected_action: str | None = None
    ) -> tuple[str, ActionPrediction]:
        latest = tracker.latest_action_name
        if latest == "action_listen" and tracker.latest_message.intent_name == "ask_weather":
            return "action_check_weather", ActionPrediction("RulePolicy", 1.0)
        if latest == "action_check_weather" and _forecast_set_this_turn(tracker):
            return "utter_forecast", ActionPrediction("RulePolicy", 1.0)
        if latest == "action_check_weather":
            return "action_default_fallback", ActionPrediction("RulePolicy", 0.3)
        return "action_listen", ActionPrediction("RulePolicy", 1.0)


def _forecast_set_this_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == "forecast":
            return True
    return False


def weather_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    city = event["tracker"]["slots"]["city"]
    if city == "Atlantis":
        raise ConnectionError("weather service unreachable")
    return {"events": [{"event": "slot", "name": "forecast", "value": "sunny"}]}


def test_failed_lambda_action_gives_the_fallback_and_keeps_the_tracker(tmp_path: Path) -> None:
    store = SQLiteTrackerStore(tmp_path / "trackers.db")
    client = LambdaActionClient(
        LocalLambdaInvoker({"weather-fn": weather_handler}, timeout=5),
        {"action_check_weather": "weather-fn"},
    )
    processor = MessageProcessor(
        DOMAIN,
        WeatherRules(),
        store,
        action_client=client,
        nlg=TemplatedNaturalLanguageGenerator.for_domain(DOMAIN, random.Random(1)),
    )
    first = processor.handle_message(UserMessage('/ask_weather{"city": "Oslo"}', "u"))
    assert [m["text"] for m in first.messages] == ["It is sunny in Oslo."]
    stored_before = store.load("u").events

    second = processor.handle_message(UserMessage('/ask_weather{"city": "Atlantis"}', "u"))
    assert [m["text"] for m in second.messages] == ["Sorry, I didn't get that."]

    stored = store.load("u").events
    assert stored[: len(stored_before)] == stored_before
    turn = [(e["event"], e.get("name")) for e in stored[len(stored_before) :]]
    assert ("action", "action_check_weather") in turn
    assert ("action", "action_default_fallback") in turn
    # the failed action's events are lost: no forecast was set this turn
    assert ("slot", "forecast") not in turn
    assert turn[-1] == ("action", "action_listen")
