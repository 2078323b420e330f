"""Choosing and filling a response variation (Rasa's TemplatedNaturalLanguageGenerator)."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stratus.core.nlg.interpolation import interpolate
from stratus.shared.domain import Domain, Response
from stratus.shared.endpoints import EndpointConfig
from stratus.shared.events import JsonDict
from stratus.shared.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)

# The parts of a variation that may hold templates (Rasa's RESPONSE_KEYS_TO_INTERPOLATE).
INTERPOLATED_KEYS = ("text", "image", "custom", "buttons", "attachment", "quick_replies")


class NaturalLanguageGenerator(Protocol):
    """Turns a response name into a message dict (`text`, `buttons`, ...), or None."""

    def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str | None,
        **kwargs: Any,
    ) -> JsonDict | None: ...


class TemplatedNaturalLanguageGenerator:
    """Renders the domain's responses.

    `rng` picks among the variations that fit; pass a seeded `random.Random` for
    reproducible conversations (tests, `stratus test core`).
    """

    def __init__(self, responses: Sequence[Response], rng: random.Random | None = None) -> None:
        self._variations: dict[str, list[JsonDict]] = {
            r.name: [v.as_dict() for v in r.variations] for r in responses
        }
        self._rng = rng or random.Random()

    @classmethod
    def for_domain(
        cls, domain: Domain, rng: random.Random | None = None
    ) -> TemplatedNaturalLanguageGenerator:
        return cls(domain.responses, rng)

    def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str | None,
        **kwargs: Any,
    ) -> JsonDict | None:
        slots = tracker.current_slot_values()
        candidates = self.variations_for(utter_action, output_channel, slots)
        if not candidates:
            return None
        chosen = copy.deepcopy(self._rng.choice(candidates))
        # Call arguments (e.g. from a custom action's `response` with extra keys) win over slots.
        values = {**slots, **kwargs}
        for key in INTERPOLATED_KEYS:
            if key in chosen:
                chosen[key] = interpolate(chosen[key], values, tracker.sender_id)
        return chosen

    def variations_for(
        self, utter_action: str, output_channel: str | None, slots: Mapping[str, Any]
    ) -> list[JsonDict]:
        """The variations that may be sent, in Rasa's priority order: conditional ones for
        this channel, then unconditional ones for this channel, then conditional ones
        without a channel, then unconditional ones without a channel."""
        tiers: tuple[list[JsonDict], ...] = ([], [], [], [])
        for variation in self._variations.get(utter_action, []):
            channel = variation.get("channel")
            if channel and channel != output_channel:
                continue
            conditions = variation.get("condition")
            if conditions and not matches_conditions(conditions, slots):
                continue
            tier = (0 if conditions else 1) if channel else (2 if conditions else 3)
            tiers[tier].append(variation)
        return next((tier for tier in tiers if tier), [])


def matches_conditions(conditions: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]) -> bool:
    """Whether every `{type: slot, name, value}` condition holds: strings compare without
    case, anything else with Python equality (so `true` never equals `"true"`)."""
    for condition in conditions:
        actual = slots.get(condition.get("name", ""))
        expected = condition.get("value")
        if isinstance(actual, str) and isinstance(expected, str):
            if actual.casefold() != expected.casefold():
                return False
        elif actual != expected:
            return False
    return True


def generator_for_endpoint(
    endpoint: EndpointConfig | None, domain: Domain, rng: random.Random | None = None
) -> NaturalLanguageGenerator:
    """The NLG endpoint client if `nlg: url` is configured, else the domain's responses."""
    if endpoint is not None and endpoint.url and endpoint.type in (None, "callback"):
        from stratus.core.nlg.callback import CallbackNaturalLanguageGenerator

        return CallbackNaturalLanguageGenerator(endpoint)
    return TemplatedNaturalLanguageGenerator.for_domain(domain, rng)
