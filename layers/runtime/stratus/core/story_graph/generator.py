"""Training trackers from stories and rules (Rasa's TrainingDataGenerator, no augmentation).

Blocks are glued along their checkpoints, starting from STORY_START with an empty
tracker: every tracker that reaches a checkpoint continues through every block starting
there (if the block's slot conditions hold). Before a user event comes an implicit
`action_listen`, after it the slots its entities fill (`store_entities_as_slots`), and a
block without an end checkpoint ends with `action_listen`. Trackers that featurize the
same are processed once, and a tracker enters each block at most once (which is how
checkpoint cycles end). In rule trackers a `null` slot or loop becomes
`should_not_be_set`. Stories and rules never mix.

With `augmentation_factor` > 0, random story ends are glued to story starts (Rasa's
augmentation, default 50 in `rasa train`): those trackers are `is_augmented`, for TED
only; MemoizationPolicy and RulePolicy learn from the original trackers.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.core.policies.states import past_states, states_key
from stratus.core.story_graph.blocks import (
    STORY_START,
    Origin,
    StoryBlock,
    rule_blocks,
    story_blocks,
)
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.domain.slots import LIST
from stratus.shared.events import (
    ACTION_LISTEN_NAME,
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from stratus.shared.tracker import SHOULD_NOT_BE_SET, DialogueStateTracker
from stratus.shared.training_data.stories import Rule, Story

AUGMENTATION_ROUNDS = 3


@dataclass
class TrainingTracker:
    """A conversation generated from stories or rules, with where each event came from."""

    name: str  # story names joined by " > " (Rasa's sender_id of training trackers)
    events: list[Event]
    is_rule: bool
    origins: dict[int, Origin] = field(repr=False, default_factory=dict)
    # Actions that cannot be predicted: the first action of a story with no user turn
    # before it.
    unpredictable: frozenset[int] = field(repr=False, default=frozenset())
    visited: frozenset[int] = field(repr=False, default=frozenset())
    # Glued onto the end of another story (TED only; Rasa's `is_augmented`).
    is_augmented: bool = False

    def tracker(self, domain: Domain) -> DialogueStateTracker:
        return new_tracker(domain, self.name, self.events)

    def origin(self, event: Event | None) -> Origin | None:
        return self.origins.get(id(event)) if event is not None else None

    def is_unpredictable(self, event: Event) -> bool:
        return id(event) in self.unpredictable

    def user_messages(self) -> int:
        return sum(isinstance(e, UserUttered) for e in self.events)


def slots_for_entities(domain: Domain, entities: Sequence[dict[str, Any]]) -> list[Event]:
    """Slots a message's entities fill by their unconditioned `from_entity` mappings
    (Rasa's `Domain.slots_for_entities`, used when reading stories)."""
    if not domain.store_entities_as_slots or not entities:
        return []
    events: list[Event] = []
    for slot in domain.slots:
        values = []
        for mapping in slot.mappings:
            if mapping.type != "from_entity":
                continue
            if mapping.conditions and mapping.conditions[0].active_loop is not None:
                continue
            for entity in entities:
                if (
                    entity.get("entity") == mapping.entity
                    and entity.get("role") == mapping.role
                    and entity.get("group") == mapping.group
                ):
                    values.append(entity.get("value"))
        if values:
            events.append(SlotSet(key=slot.name, value=values if slot.type == LIST else values[-1]))
    return events


def explicit_events(
    block: StoryBlock, domain: Domain, origins: dict[int, Origin] | None = None
) -> list[Event]:
    """The block's events plus the implicit `action_listen`s and entity slots."""
    origins = origins if origins is not None else {}
    out: list[Event] = []

    def listen() -> None:
        last = out[-1] if out else None
        if not (isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME):
            out.append(ActionExecuted(action_name=ACTION_LISTEN_NAME))

    for event in block.events:
        if isinstance(event, UserUttered):
            listen()
            out.append(event)
            out.extend(slots_for_entities(domain, event.entities or []))
        elif block.is_rule:
            out.append(_rule_event(event, origins))
        else:
            out.append(event)
    if not block.end:
        listen()
    return out


def _rule_event(event: Event, origins: dict[int, Origin]) -> Event:
    # A rule distinguishes "not set" from "explicitly set to null".
    new: Event | None = None
    if isinstance(event, ActiveLoop) and event.name is None:
        new = ActiveLoop(name=SHOULD_NOT_BE_SET, timestamp=event.timestamp)
    elif isinstance(event, SlotSet) and event.value is None:
        new = SlotSet(key=event.key, value=SHOULD_NOT_BE_SET, timestamp=event.timestamp)
    if new is None:
        return event
    if id(event) in origins:
        origins[id(new)] = origins[id(event)]
    return new


def _unpredictable_first_actions(blocks: Iterable[StoryBlock]) -> set[int]:
    out: set[int] = set()
    for block in blocks:
        if not any(s.name == STORY_START for s in block.start):
            continue
        for event in block.events:
            if isinstance(event, UserUttered):
                break
            if isinstance(event, ActionExecuted):
                out.add(id(event))
                break
    return out


@dataclass
class _Walker:
    domain: Domain
    blocks: list[StoryBlock]
    origins: dict[int, Origin]
    is_rule: bool
    finished: list[TrainingTracker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.unpredictable = frozenset(_unpredictable_first_actions(self.blocks))
        self.by_start: dict[str, list[StoryBlock]] = defaultdict(list)
        for block in self.blocks:
            for start in block.start:
                self.by_start[start.name].append(block)
        self.block_events = {
            b.id: explicit_events(b, self.domain, self.origins) for b in self.blocks
        }
        self.finished_keys: set[str] = set()

    def run(self) -> list[TrainingTracker]:
        empty = TrainingTracker("", [], self.is_rule, self.origins, self.unpredictable)
        return self._walk([empty])

    def augment(self, originals: list[TrainingTracker], factor: int) -> list[TrainingTracker]:
        """Rasa's augmentation: story ends glued to story starts, three rounds, at most
        `factor` ends per round and `10 * factor` augmented trackers in all."""
        rand = random.Random(42)
        ends = list(originals)
        augmented: list[TrainingTracker] = []
        for _ in range(AUGMENTATION_ROUNDS):
            rand.shuffle(ends)
            starts = [
                # every story ends listening, and every story starts listening: undo one
                TrainingTracker(
                    t.name,
                    [*t.events, ActionReverted()],
                    self.is_rule,
                    self.origins,
                    self.unpredictable,
                    is_augmented=True,
                )
                for t in ends[:factor]
            ]
            new = self._walk(starts)
            ends.extend(new)
            augmented.extend(new)
        rand.shuffle(augmented)
        return augmented[: factor * 10]

    def _walk(self, starts: list[TrainingTracker]) -> list[TrainingTracker]:
        """Trackers that reached a story end (or an unused checkpoint) from `starts`."""
        done_before = len(self.finished)
        seen: dict[int, set[str]] = defaultdict(set)
        queue: deque[tuple[str, TrainingTracker]] = deque((STORY_START, t) for t in starts)
        while queue:
            checkpoint, tracker = queue.popleft()
            blocks = self.by_start.get(checkpoint, [])
            if not blocks:
                if checkpoint != STORY_START:
                    self._finish(tracker)  # an end checkpoint nobody continues
                continue
            slots = tracker.tracker(self.domain).current_slot_values()
            key = self._key(tracker)
            went_on = looped = False
            for block in blocks:
                conditions = [s for s in block.start if s.name == checkpoint]
                if not any(s.admits(slots) for s in conditions):
                    continue
                if block.id in tracker.visited:
                    looped = True  # a checkpoint cycle: go round it once
                    continue
                went_on = True
                if key in seen[block.id]:
                    continue  # an equal tracker already went this way
                seen[block.id].add(key)
                grown = self._grow(tracker, block, self.block_events[block.id])
                if block.end:
                    queue.extend((end, grown) for end in block.end)
                else:
                    self._finish(grown)
            if looped and not went_on:
                self._finish(tracker)
        return self.finished[done_before:]

    def _grow(
        self, tracker: TrainingTracker, block: StoryBlock, events: list[Event]
    ) -> TrainingTracker:
        names = tracker.name.split(" > ") if tracker.name else []
        if block.name not in names:
            names.append(block.name)
        return TrainingTracker(
            " > ".join(names),
            [*tracker.events, *events],
            self.is_rule,
            self.origins,
            tracker.unpredictable,
            tracker.visited | {block.id},
            tracker.is_augmented,
        )

    def _key(self, tracker: TrainingTracker) -> str:
        return states_key(past_states(tracker.tracker(self.domain), self.domain))

    def _finish(self, tracker: TrainingTracker) -> None:
        key = self._key(tracker)
        if key not in self.finished_keys:
            self.finished_keys.add(key)
            self.finished.append(tracker)


def generate_trackers(
    stories: Sequence[Story],
    rules: Sequence[Rule],
    domain: Domain,
    augmentation_factor: int = 0,
) -> list[TrainingTracker]:
    """Story trackers, then augmented story trackers (`augmentation_factor` > 0), then
    rule trackers, each deduplicated by their featurization."""
    origins: dict[int, Origin] = {}
    story_parts = [b for s in stories for b in story_blocks(s, domain, origins)]
    rule_parts = [b for r in rules for b in rule_blocks(r, domain, origins)]
    walker = _Walker(domain, story_parts, origins, False)
    originals = walker.run()
    augmented = walker.augment(originals, augmentation_factor) if augmentation_factor > 0 else []
    return [*originals, *augmented, *_Walker(domain, rule_parts, origins, True).run()]
