"""Helpers for the dialogue-engine tests: scripted policies, processors, trackers.

(A uniquely named module rather than conftest.py: test modules import from it.)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.core.actions import ActionContext, InProcessActionClient
from stratus.core.actions.client import Handler
from stratus.core.loop import LoopSettings
from stratus.core.nlg import TemplatedNaturalLanguageGenerator
from stratus.core.prediction import ActionPrediction
from stratus.core.processor import MessageProcessor
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.events import ActionExecuted, Event, UserUttered
from stratus.shared.tracker import DialogueStateTracker
from stratus.stores import SQLiteTrackerStore

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
FORMBOT = SHARED / "rasa-examples" / "formbot"

Policy = Callable[[DialogueStateTracker, str | None], "str | tuple[str, ActionPrediction]"]


@dataclass
class ScriptedPredictor:
    """A stand-in for the policy ensemble: `policy(tracker, rejected_action)` names the
    next action (or gives a full prediction). Every call is recorded."""

    policy: Policy
    calls: list[tuple[str | None, str | None]] = field(default_factory=list)

    def predict_next_action(
        self, tracker: DialogueStateTracker, domain: Domain, rejected_action: str | None = None
    ) -> tuple[str, ActionPrediction]:
        answer = self.policy(tracker, rejected_action)
        self.calls.append((tracker.latest_action_name, rejected_action))
        if isinstance(answer, tuple):
            return answer
        return answer, ActionPrediction("ScriptedPolicy", 0.9)


def always(name: str) -> ScriptedPredictor:
    return ScriptedPredictor(lambda tracker, rejected: name)


def respond_then_listen(responses: Mapping[str, str]) -> ScriptedPredictor:
    """After a user message with intent X, run `responses[X]`, then listen."""

    def policy(tracker: DialogueStateTracker, rejected: str | None) -> str:
        if tracker.latest_action_name == "action_listen":
            return responses.get(tracker.latest_message.intent_name or "", "action_listen")
        return "action_listen"

    return ScriptedPredictor(policy)


def make_processor(
    domain: Domain,
    predictor: Any,
    store: SQLiteTrackerStore,
    handlers: Mapping[str, Handler] | None = None,
    **kwargs: Any,
) -> MessageProcessor:
    kwargs.setdefault("nlg", TemplatedNaturalLanguageGenerator.for_domain(domain, random.Random(7)))
    return MessageProcessor(
        domain,
        predictor,
        store,
        action_client=InProcessActionClient(handlers or {}),
        settings=kwargs.pop("settings", LoopSettings()),
        **kwargs,
    )


def context_for(
    domain: Domain, handlers: Mapping[str, Handler] | None = None, channel: str | None = None
) -> ActionContext:
    return ActionContext(
        domain,
        TemplatedNaturalLanguageGenerator.for_domain(domain, random.Random(7)),
        InProcessActionClient(handlers or {}),
        channel,
    )


def user(
    intent: str, entities: Iterable[Mapping[str, Any]] = (), text: str | None = None
) -> UserUttered:
    return UserUttered(
        text=text if text is not None else f"/{intent}",
        parse_data={
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [dict(e) for e in entities],
        },
    )


def tracker_with(domain: Domain, *events: Event, sender_id: str = "tester") -> DialogueStateTracker:
    """A tracker that has listened once, then the given events."""
    return new_tracker(domain, sender_id, [ActionExecuted("action_listen"), *events])


def event_names(events: Iterable[Event]) -> list[str]:
    """`action:name`, `slot:name=value`, `bot:text`, ... for compact assertions."""
    from stratus.shared.events import (
        ActionExecutionRejected,
        ActiveLoop,
        BotUttered,
        SlotSet,
    )

    out = []
    for e in events:
        if isinstance(e, ActionExecuted):
            out.append(f"action:{e.action_name or e.action_text}")
        elif isinstance(e, SlotSet):
            out.append(f"slot:{e.key}={e.value!r}")
        elif isinstance(e, BotUttered):
            out.append(f"bot:{e.text}")
        elif isinstance(e, ActiveLoop):
            out.append(f"loop:{e.name}")
        elif isinstance(e, ActionExecutionRejected):
            out.append(f"rejected:{e.action_name}")
        elif isinstance(e, UserUttered):
            out.append(f"user:{e.intent_name}")
        else:
            out.append(e.type_name)
    return out
