"""Helpers of the store tests: Rasa event JSON (plain dicts: the stores know no event
classes) and StoreKit, which makes store instances on one shared storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.stores import TrackerStore

Event = dict[str, Any]


def user(text: str, ts: float = 1.0, intent: str = "greet") -> Event:
    return {
        "event": "user",
        "timestamp": ts,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9731},
            "entities": [],
            "intent_ranking": [
                {"name": intent, "confidence": 0.9731},
                {"name": "goodbye", "confidence": 0.0269},
            ],
        },
        "input_channel": "rest",
        "message_id": f"m-{text}",
        "metadata": {},
    }


def action(name: str, ts: float = 1.0) -> Event:
    return {
        "event": "action",
        "timestamp": ts,
        "name": name,
        "policy": "RulePolicy",
        "confidence": 1.0,
        "action_text": None,
        "hide_rule_turn": False,
    }


def bot(text: str, ts: float = 1.0) -> Event:
    return {
        "event": "bot",
        "timestamp": ts,
        "text": text,
        "data": {"buttons": None},
        "metadata": {},
    }


def session_start(ts: float = 1.0) -> list[Event]:
    return [
        action("action_session_start", ts),
        {"event": "session_started", "timestamp": ts},
        action("action_listen", ts),
    ]


def turn(text: str, ts: float = 1.0) -> list[Event]:
    return [
        user(text, ts),
        action("utter_greet", ts),
        bot(f"re: {text}", ts),
        action("action_listen", ts),
    ]


@dataclass
class StoreKit:
    """Makes store instances that share one storage (a file or a table), as containers do."""

    name: str
    factory: Callable[..., TrackerStore]
    transactions: bool = True
    opened: list[TrackerStore] = field(default_factory=list)

    def make(self, **settings: Any) -> TrackerStore:
        store = self.factory(**settings)
        self.opened.append(store)
        return store


TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


def template_table() -> dict[str, Any]:
    """The tracker table exactly as template.yaml declares it (tests cannot drift)."""
    from stratus.local.template import read_template, resource_properties

    return resource_properties(read_template(TEMPLATE), "TrackerTable")
