"""Training examples: (the states before an action, the action), per applied action of
each training tracker (Rasa's MaxHistoryTrackerFeaturizer).

The ML policies (Memoization, TED) learn stories as if `action_unlikely_intent` had not
run (`ignore_action_unlikely_intent`), as they predict; RulePolicy keeps it."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from stratus.core.policies.states import (
    State,
    past_states,
    remove_user_text_if_intent,
    slice_history,
    without_action_unlikely_intent,
)
from stratus.core.story_graph import TrainingTracker
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.events import ActionExecuted, Event


@dataclass(frozen=True)
class Example:
    states: list[State]
    action: str  # name, or text of an end-to-end bot turn
    tracker: TrainingTracker
    event: ActionExecuted


def tracker_examples(
    tracker: TrainingTracker,
    domain: Domain,
    max_history: int | None = None,
    omit_unset_slots: bool = False,
    ignore_action_unlikely_intent: bool = False,
) -> Iterator[Example]:
    """One example per predictable applied action of the tracker."""
    live = tracker.tracker(domain)
    states = past_states(live, domain, omit_unset_slots=omit_unset_slots)
    events = live.applied_events()
    if ignore_action_unlikely_intent:
        # a state follows every action: dropping both keeps them aligned
        states = without_action_unlikely_intent(states)
        events = [e for e in events if not is_action_unlikely_intent(e)]
    remove_user_text_if_intent(states)
    label_index = 0
    for event in events:
        if not isinstance(event, ActionExecuted):
            continue
        label_index += 1
        if tracker.is_unpredictable(event):
            continue
        sliced = copy.deepcopy(slice_history(states[:label_index], max_history))
        yield Example(sliced, event.action_name or event.action_text or "", tracker, event)


def is_action_unlikely_intent(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_UNLIKELY_INTENT


def examples(
    trackers: Sequence[TrainingTracker],
    domain: Domain,
    max_history: int | None = None,
    omit_unset_slots: bool = False,
    ignore_action_unlikely_intent: bool = False,
) -> list[Example]:
    return [
        example
        for tracker in trackers
        for example in tracker_examples(
            tracker, domain, max_history, omit_unset_slots, ignore_action_unlikely_intent
        )
    ]


def lookup_from_pairs(
    pairs: Iterator[tuple[str | None, str]] | list[tuple[str | None, str]],
) -> dict[str, str]:
    """Key -> action, leaving out keys that lead to different actions (Rasa's
    `_create_lookup_from_states`: contradicting examples are forgotten)."""
    lookup: dict[str, str] = {}
    ambiguous: set[str] = set()
    for key, action in pairs:
        if not key or key in ambiguous:
            continue
        if key in lookup:
            if lookup[key] != action:
                ambiguous.add(key)
                del lookup[key]
        else:
            lookup[key] = action
    return lookup
