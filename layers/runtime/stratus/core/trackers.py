"""Trackers shaped by a domain (its slots and their initial values)."""

from __future__ import annotations

from collections.abc import Iterable

from stratus.shared.domain import Domain
from stratus.shared.domain.slots import LIST
from stratus.shared.events import Event
from stratus.shared.tracker import DialogueStateTracker


def new_tracker(
    domain: Domain, sender_id: str = "", events: Iterable[Event] = ()
) -> DialogueStateTracker:
    """A tracker with the domain's slots, the events applied in order."""
    return DialogueStateTracker(
        sender_id,
        {slot.name: slot.initial_value for slot in domain.slots},
        events,
        list_slots=[slot.name for slot in domain.slots if slot.type == LIST],
    )
