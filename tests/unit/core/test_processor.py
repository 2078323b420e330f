"""The message processor: sessions, the action loop, failures, followups, payloads."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from core_helpers import ScriptedPredictor, always, event_names, make_processor, respond_then_listen

from stratus.core.loop import LoopSettings
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import domain_from_yaml
from stratus.shared.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

DOMAIN_YAML = """
version: "3.1"
intents: [greet, inform, ask, goodbye]
entities: [name]
slots:
  name:
    type: text
    mappings: [{type: from_entity, entity: name}]
responses:
  utter_greet: [{text: "Hello {name}!"}]
  utter_default: [{text: "Sorry, something went wrong."}]
  utter_restart: [{text: "Starting over."}]
  utter_goodbye: [{text: "Bye.\\n\\nSee you!"}]
  utter_card:
  - text: "Pick one"
    buttons: [{title: A, payload: /inform}]
    image: "https://img.example/a.png"
    custom: {kind: card}
actions: [action_lookup, action_broken, action_followup]
"""
DOMAIN = domain_from_yaml(DOMAIN_YAML)


def old(events: list[Any], age_seconds: float) -> list[dict[str, Any]]:
    stamp = time.time() - age_seconds
    return [{**e.as_dict(), "timestamp": stamp} for e in events]


def test_first_message_starts_a_session(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    result = processor.handle_message(UserMessage('/greet{"name": "Ada"}', sender_id="ada"))
    assert event_names(result.events) == [
        "action:action_session_start",
        "session_started",
        "action:action_listen",
        "user:greet",
        "slot:name='Ada'",
        "action:utter_greet",
        "bot:Hello Ada!",
        "action:action_listen",
    ]
    assert result.messages == [{"recipient_id": "ada", "text": "Hello Ada!"}]
    session_start = result.events[0]
    assert isinstance(session_start, ActionExecuted)
    assert (session_start.policy, session_start.confidence) == (None, 1.0)
    assert store.load("ada").version == len(result.events)


def test_a_turn_appends_only_its_new_events(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    first = processor.handle_message(UserMessage("/greet", sender_id="u"))
    second = processor.handle_message(UserMessage("/greet", sender_id="u"))
    assert event_names(second.events) == [
        "user:greet",
        "action:utter_greet",
        "bot:Hello None!",
        "action:action_listen",
    ]
    assert store.load("u").version == len(first.events) + len(second.events)


def test_a_kept_tracker_spares_the_next_turn_the_load(
    store: SQLiteTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    processor.handle_message(UserMessage("/greet", sender_id="u"))  # starts a session
    processor.handle_message(UserMessage('/greet{"name": "Ada"}', sender_id="u"))
    loads: list[str] = []
    real_load = store.load
    monkeypatch.setattr(store, "load", lambda *a, **k: loads.append(a[0]) or real_load(*a, **k))
    third = processor.handle_message(UserMessage("/greet", sender_id="u"))
    assert loads == []
    assert third.messages == [{"recipient_id": "u", "text": "Hello Ada!"}]
    assert third.tracker.events == processor.tracker("u").events


def test_a_kept_tracker_is_not_used_after_someone_else_wrote(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    processor.handle_message(UserMessage("/greet", sender_id="u"))
    processor.handle_message(UserMessage("/greet", sender_id="u"))
    store.append("u", [SlotSet("name", "Ada").as_dict()], store.load("u").version)
    third = processor.handle_message(UserMessage("/greet", sender_id="u"))
    assert third.messages == [{"recipient_id": "u", "text": "Hello Ada!"}]
    store.delete("u")  # the version stays (a tombstone), but the history is gone
    fourth = processor.handle_message(UserMessage("/greet", sender_id="u"))
    assert "session_started" in event_names(fourth.events)
    assert fourth.tracker.get_slot("name") is None


def test_expired_session_starts_anew_and_carries_slots_over(store: SQLiteTrackerStore) -> None:
    history = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(text="hi", parse_data={"intent": {"name": "greet"}}),
        SlotSet("name", "Ada"),
        ActionExecuted("action_listen"),
    ]
    store.append("ada", old(history, age_seconds=61 * 60), 0)
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    result = processor.handle_message(
        UserMessage("/greet", sender_id="ada", metadata={"device": "phone"})
    )
    assert event_names(result.events)[:5] == [
        "slot:session_started_metadata={'device': 'phone'}",
        "action:action_session_start",
        "session_started",
        "slot:name='Ada'",
        "slot:session_started_metadata={'device': 'phone'}",
    ]
    assert result.messages == [{"recipient_id": "ada", "text": "Hello Ada!"}]


def test_recent_session_continues(store: SQLiteTrackerStore) -> None:
    history = [ActionExecuted("action_listen"), UserUttered(text="hi", parse_data={})]
    store.append("ada", old(history, age_seconds=59 * 60), 0)
    processor = make_processor(DOMAIN, always("action_listen"), store)
    result = processor.handle_message(UserMessage("/greet", sender_id="ada"))
    assert "session_started" not in event_names(result.events)


def test_sessions_never_expire_with_zero_expiration(store: SQLiteTrackerStore) -> None:
    domain = domain_from_yaml(DOMAIN_YAML + "session_config: {session_expiration_time: 0}\n")
    history = [ActionExecuted("action_listen"), UserUttered(text="hi", parse_data={})]
    store.append("ada", old(history, age_seconds=10 * 24 * 3600), 0)
    result = make_processor(domain, always("action_listen"), store).handle_message(
        UserMessage("/greet", sender_id="ada")
    )
    assert "session_started" not in event_names(result.events)


def test_circuit_breaker_stops_after_ten_predictions(
    store: SQLiteTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    predictor = always("utter_greet")
    processor = make_processor(DOMAIN, predictor, store)
    with caplog.at_level(logging.WARNING):
        result = processor.handle_message(UserMessage("/greet", sender_id="loop"))
    actions = [e for e in result.events if isinstance(e, ActionExecuted)]
    assert [a.action_name for a in actions].count("utter_greet") == 10
    assert len(predictor.calls) == 10
    assert "circuit breaker" in caplog.text and "loop" in caplog.text
    small = make_processor(DOMAIN, always("utter_greet"), store, settings=LoopSettings(3))
    assert len(small.handle_message(UserMessage("/greet", sender_id="x")).messages) == 3


def lookup_then_listen(tracker: DialogueStateTracker, rejected: str | None) -> str:
    if tracker.latest_action_name == "action_listen":
        return "action_broken" if rejected != "action_broken" else "utter_greet"
    if tracker.latest_action_name == "action_broken":
        return "utter_greet"
    return "action_listen"


@pytest.mark.parametrize(
    "handler",
    [
        lambda event, context: 1 / 0,
        lambda event, context: {"statusCode": 500, "body": "oops"},
        lambda event, context: {"events": [{"no": "event name"}]},
        None,  # no handler at all: like an unreachable action server
    ],
)
def test_failing_custom_action_is_recorded_and_the_user_hears_the_fallback(
    store: SQLiteTrackerStore, caplog: pytest.LogCaptureFixture, handler: Any
) -> None:
    handlers = {"action_broken": handler} if handler else {}
    processor = make_processor(DOMAIN, ScriptedPredictor(lookup_then_listen), store, handlers)
    with caplog.at_level(logging.ERROR):
        result = processor.handle_message(UserMessage("/greet", sender_id="carol"))
    # The failed action is recorded (without its events), then action_default_fallback
    # answers with utter_default and reverts the message, so the user can try again.
    assert event_names(result.events)[-6:] == [
        "user:greet",
        "action:action_broken",
        "action:action_default_fallback",
        "bot:Sorry, something went wrong.",
        "rewind",
        "action:action_listen",
    ]
    assert [m["text"] for m in result.messages] == ["Sorry, something went wrong."]
    stored = event_names(processor.tracker("carol").events)
    assert stored[-6:] == event_names(result.events)[-6:]
    assert "carol" in caplog.text and "action_broken" in caplog.text


def test_rejected_custom_action_is_zeroed_for_the_next_prediction(
    store: SQLiteTrackerStore,
) -> None:
    predictor = ScriptedPredictor(lookup_then_listen)
    handlers = {
        "action_broken": lambda e, c: {
            "statusCode": 400,
            "body": '{"action_name": "action_broken", "error": "not now"}',
        }
    }
    processor = make_processor(DOMAIN, predictor, store, handlers)
    result = processor.handle_message(UserMessage("/greet", sender_id="dan"))
    assert event_names(result.events)[-4:] == [
        "rejected:action_broken",
        "action:utter_greet",
        "bot:Hello None!",
        "action:action_listen",
    ]
    assert predictor.calls[1] == ("action_listen", "action_broken")


def test_custom_action_events_responses_and_followup(store: SQLiteTrackerStore) -> None:
    requests: list[dict[str, Any]] = []

    def lookup(event: dict[str, Any], context: Any) -> dict[str, Any]:
        requests.append(event)
        assert context.get_remaining_time_in_millis() > 0
        return {
            "events": [
                {"event": "slot", "name": "name", "value": "Bea"},
                {"event": "followup", "name": "utter_goodbye"},
            ],
            "responses": [{"response": "utter_greet"}, {"text": "raw text", "image": None}],
        }

    processor = make_processor(
        DOMAIN, respond_then_listen({"ask": "action_lookup"}), store, {"action_lookup": lookup}
    )
    result = processor.handle_message(UserMessage("/ask", sender_id="bea", input_channel="rest"))
    (request,) = requests
    assert set(request) == {"next_action", "sender_id", "tracker", "domain", "version"}
    assert request["tracker"]["latest_message"]["intent"]["name"] == "ask"
    assert request["domain"]["actions"] == ["action_lookup", "action_broken", "action_followup"]
    names = event_names(result.events)
    assert names[names.index("action:action_lookup") :] == [
        "action:action_lookup",
        "bot:Hello None!",  # rendered before the action's slot event applies
        "bot:raw text",
        "slot:name='Bea'",
        "followup",
        "action:utter_goodbye",
        "bot:Bye.\n\nSee you!",
        "action:action_listen",
    ]
    followed = next(
        e
        for e in result.events
        if isinstance(e, ActionExecuted) and e.action_name == "utter_goodbye"
    )
    assert followed.policy == "followup_action"
    assert [m["text"] for m in result.messages] == ["Hello None!", "raw text", "Bye.", "See you!"]


def test_restart_intent_restarts_and_starts_a_new_session(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({}), store)
    processor.handle_message(UserMessage('/inform{"name": "Ada"}', sender_id="r"))
    result = processor.handle_message(UserMessage("/restart", sender_id="r"))
    assert event_names(result.events) == [
        "user:restart",
        "action:action_restart",
        "bot:Starting over.",
        "restart",
        "action:action_session_start",
        "session_started",
        "action:action_listen",
    ]
    session_start = result.events[4]
    assert isinstance(session_start, ActionExecuted) and session_start.policy == "followup_action"
    tracker = processor.tracker("r")
    assert tracker.get_slot("name") is None
    # the store hands back only the newest session
    assert event_names(tracker.events) == event_names(result.events)[5:]


def test_back_intent_rewinds_two_user_turns(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_greet"}), store)
    processor.handle_message(UserMessage('/inform{"name": "Ada"}', sender_id="b"))
    result = processor.handle_message(UserMessage("/back", sender_id="b"))
    assert event_names(result.events) == [
        "user:back",
        "action:action_back",
        "rewind",
        "rewind",
        "action:action_listen",
    ]
    assert processor.tracker("b").get_slot("name") is None


def test_unknown_payload_intent_goes_on(
    store: SQLiteTrackerStore, caplog: pytest.LogCaptureFixture
) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({}), store)
    with caplog.at_level(logging.WARNING):
        result = processor.handle_message(UserMessage('/order_pizza{"name": "x"}', sender_id="p"))
    user = next(e for e in result.events if isinstance(e, UserUttered))
    assert user.intent_name is None and user.entities == []
    assert event_names(result.events)[-1] == "action:action_listen"
    assert "Conversation 'p'" in caplog.text and "order_pizza" in caplog.text


def test_log_message_extracts_slots_without_predicting(store: SQLiteTrackerStore) -> None:
    predictor = always("utter_greet")
    processor = make_processor(DOMAIN, predictor, store)
    result = processor.log_message(UserMessage('/inform{"name": "Lu"}', sender_id="l"))
    assert event_names(result.events)[-2:] == ["user:inform", "slot:name='Lu'"]
    assert predictor.calls == [] and result.messages == []


class EchoInterpreter:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        self.texts.append(text)
        return {
            "text": text,
            "intent": {"name": "greet", "confidence": 0.8},
            "entities": [{"entity": "name", "value": "Zoe", "start": 0, "end": 3}],
        }


def test_nlu_runs_for_text_but_not_for_payloads(store: SQLiteTrackerStore) -> None:
    interpreter = EchoInterpreter()
    processor = make_processor(
        DOMAIN, respond_then_listen({"greet": "utter_greet"}), store, interpreter=interpreter
    )
    assert processor.handle_message(UserMessage("Zoe here", sender_id="z")).messages == [
        {"recipient_id": "z", "text": "Hello Zoe!"}
    ]
    processor.handle_message(UserMessage('/inform{"name": "Yan"}', sender_id="z"))
    assert interpreter.texts == ["Zoe here"]
    assert processor.tracker("z").get_slot("name") == "Yan"


def test_rest_output_shape(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"greet": "utter_card"}), store)
    messages = processor.handle_message(UserMessage("/greet", sender_id="s")).messages
    assert messages == [
        {
            "recipient_id": "s",
            "text": "Pick one",
            "buttons": [{"title": "A", "payload": "/inform"}],
        },
        {"recipient_id": "s", "custom": {"kind": "card"}},
        {"recipient_id": "s", "image": "https://img.example/a.png"},
    ]


def test_paused_conversation_ignores_messages_until_restart(store: SQLiteTrackerStore) -> None:
    def policy(tracker: DialogueStateTracker, rejected: str | None) -> str:
        if tracker.latest_action_name == "action_restart":
            return "action_listen"  # never reached: the followup comes first
        if tracker.latest_message.intent_name == "restart":
            return "action_restart"
        return "utter_greet" if tracker.latest_action_name == "action_listen" else "action_listen"

    processor = make_processor(
        DOMAIN,
        ScriptedPredictor(policy),
        store,
        handlers={"action_lookup": lambda e, c: {"events": [{"event": "pause"}]}},
    )
    processor.execute_action("h", "action_lookup")
    assert processor.handle_message(UserMessage("/greet", sender_id="h")).messages == []
    assert processor.handle_message(UserMessage("/restart", sender_id="h")).messages == [
        {"recipient_id": "h", "text": "Starting over."}
    ]


def test_selective_domain_and_the_449_retry(store: SQLiteTrackerStore) -> None:
    seen: list[bool] = []

    def lookup(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append("domain" in event)
        if "domain" not in event:
            return {"statusCode": 449, "body": '{"error": "Missing domain context"}'}
        return {"events": [], "responses": [{"text": "found it"}]}

    processor = make_processor(
        DOMAIN,
        respond_then_listen({"ask": "action_lookup"}),
        store,
        {"action_lookup": lookup},
        selective_domain=True,
    )
    result = processor.handle_message(UserMessage("/ask", sender_id="q"))
    assert seen == [False, True]
    assert [m["text"] for m in result.messages] == ["found it"]


def test_execute_action_and_trigger_intent(store: SQLiteTrackerStore) -> None:
    processor = make_processor(DOMAIN, respond_then_listen({"goodbye": "utter_goodbye"}), store)
    executed = processor.execute_action("e", "utter_greet", policy="api", confidence=0.5)
    greet = executed.events[-2]
    assert isinstance(greet, ActionExecuted) and greet.action_name == "utter_greet"
    assert (greet.policy, greet.confidence) == ("api", 0.5)
    assert event_names(executed.events)[-1] == "bot:Hello None!"  # nothing predicted after
    triggered = processor.trigger_intent("f", "goodbye", {"name": "Eve"})
    user = next(e for e in triggered.events if isinstance(e, UserUttered))
    assert user.text == "EXTERNAL: goodbye" and user.metadata == {"is_external": True}
    assert processor.tracker("f").get_slot("name") == "Eve"
    assert [m["text"] for m in triggered.messages] == ["Bye.", "See you!"]


def test_end_to_end_prediction_sends_the_bot_text(store: SQLiteTrackerStore) -> None:
    domain = DOMAIN.with_action_texts(["Hi, friend."])

    def policy(tracker: DialogueStateTracker, rejected: str | None) -> Any:
        if tracker.latest_action_name == "action_listen":
            return "Hi, friend.", ActionPrediction("TEDPolicy", 0.8, is_end_to_end_prediction=True)
        return "action_listen"

    result = make_processor(domain, ScriptedPredictor(policy), store).handle_message(
        UserMessage("/greet", sender_id="t")
    )
    action = next(e for e in result.events if isinstance(e, ActionExecuted) and e.action_text)
    assert (action.action_name, action.action_text, action.policy) == (
        None,
        "Hi, friend.",
        "TEDPolicy",
    )
    assert result.messages == [{"recipient_id": "t", "text": "Hi, friend."}]


def test_retrieval_action_sends_the_selected_response(store: SQLiteTrackerStore) -> None:
    domain = domain_from_yaml(
        """
version: "3.1"
intents: [faq]
responses:
  utter_faq/ask_name: [{text: "I am Stratus."}]
  utter_faq/ask_weather: [{text: "Sunny."}]
"""
    )
    parse_data = {
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "default": {
                "response": {"utter_action": "utter_faq/ask_name", "confidence": 0.9},
                "ranking": [],
            },
        },
    }
    processor = make_processor(domain, respond_then_listen({"faq": "utter_faq"}), store)
    result = processor.handle_message(
        UserMessage("what is your name", sender_id="f", parse_data=parse_data)
    )
    assert result.messages == [{"recipient_id": "f", "text": "I am Stratus."}]
    bot = next(e for e in result.events if e.type_name == "bot")
    assert bot.metadata == {"utter_action": "utter_faq/ask_name"}


def test_custom_action_that_makes_the_user_speak_triggers_slot_extraction(
    store: SQLiteTrackerStore,
) -> None:
    def speak(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "events": [
                {
                    "event": "user",
                    "text": "I am Cy",
                    "parse_data": {
                        "intent": {"name": "inform", "confidence": 1.0},
                        "entities": [{"entity": "name", "value": "Cy"}],
                    },
                }
            ]
        }

    processor = make_processor(
        DOMAIN, respond_then_listen({"ask": "action_lookup"}), store, {"action_lookup": speak}
    )
    result = processor.handle_message(UserMessage("/ask", sender_id="cy"))
    names = event_names(result.events)
    assert names[names.index("action:action_lookup") :][:3] == [
        "action:action_lookup",
        "user:inform",
        "slot:name='Cy'",
    ]


def test_processor_from_endpoints(store: SQLiteTrackerStore) -> None:
    from stratus.core.nlg import CallbackNaturalLanguageGenerator
    from stratus.shared.endpoints import endpoints_from_dict

    endpoints = endpoints_from_dict(
        {
            "action_endpoint": {
                "url": "http://localhost:5055/webhook",
                "enable_selective_domain": True,
            },
            "nlg": {"url": "http://localhost:5056/nlg"},
        }
    )
    processor = MessageProcessor.from_endpoints(DOMAIN, always("action_listen"), store, endpoints)
    assert processor.selective_domain is True
    assert isinstance(processor.nlg, CallbackNaturalLanguageGenerator)
    plain = MessageProcessor.from_endpoints(
        DOMAIN, always("action_listen"), store, endpoints_from_dict({})
    )
    assert plain.selective_domain is False
