"""Stories and rules cut into blocks of events joined by checkpoints (Rasa's StoryStep).

A story becomes one block, or several when it has checkpoints or `or` steps: a
checkpoint in the middle ends the blocks so far and starts the next ones; an `or` copies
the blocks so far, one per alternative, and joins them again at a generated checkpoint.
A rule's events are its `condition` steps, then `...` (unless `conversation_start`),
then its steps, then `...` again when `wait_for_user_input: false`.

Events are built as Rasa's story reader builds them: user steps become `user` events
with a parse-data intent (confidence 1.0), `slot_was_set` with a bare name gets the slot
type's default ("filled" for text, ["filled"] for list slots).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.domain import Domain
from stratus.shared.domain.constants import RULE_SNIPPET_ACTION
from stratus.shared.domain.slots import LIST, TEXT
from stratus.shared.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from stratus.shared.training_data.stories import (
    ActionStep,
    ActiveLoopStep,
    BotStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    Story,
    UserStep,
)

STORY_START = "STORY_START"
GENERATED_CHECKPOINT_PREFIX = "GENR_"
DEFAULT_VALUE_TEXT_SLOTS = "filled"
DEFAULT_VALUE_LIST_SLOTS = ["filled"]
_generated_ids = itertools.count(1)


@dataclass(frozen=True)
class Origin:
    """Where an event comes from: the story or rule and the step's file and line."""

    story: str
    file: str | None
    line: int | None

    def __str__(self) -> str:
        where = self.file or "<data>"
        return f"{where}:{self.line}" if self.line is not None else where


@dataclass
class StartCheckpoint:
    name: str
    conditions: dict[str, Any] = field(default_factory=dict)

    def admits(self, slots: dict[str, Any]) -> bool:
        return all(slots.get(k) == v for k, v in self.conditions.items())


@dataclass
class StoryBlock:
    """A run of events between checkpoints (Rasa's StoryStep / RuleStep)."""

    name: str
    is_rule: bool
    start: list[StartCheckpoint]
    events: list[Event] = field(default_factory=list)
    end: list[str] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_generated_ids))

    def copy(self) -> StoryBlock:
        return StoryBlock(self.name, self.is_rule, list(self.start), list(self.events), [])


@dataclass
class BlockBuilder:
    """Builds the blocks of one story or rule (Rasa's StoryStepBuilder)."""

    name: str
    is_rule: bool
    domain: Domain
    origins: dict[int, Origin]
    blocks: list[StoryBlock] = field(default_factory=list)
    current: list[StoryBlock] = field(default_factory=list)
    file: str | None = None

    def _note(self, event: Event, line: int | None) -> Event:
        self.origins[id(event)] = Origin(self.name, self.file, line)
        return event

    def _ensure_current(self) -> None:
        finished = [b for b in self.current if b.end]
        unfinished = [b for b in self.current if not b.end]
        self.blocks.extend(finished)
        if unfinished:
            self.current = unfinished
            return
        ends = list(dict.fromkeys(name for b in finished for name in b.end))
        start = [StartCheckpoint(n) for n in ends] or [StartCheckpoint(STORY_START)]
        self.current = [StoryBlock(self.name, self.is_rule, start)]

    def add_events(self, events: list[Event]) -> None:
        self._ensure_current()
        for block in self.current:
            block.events.extend(events)

    def add_alternatives(self, alternatives: list[list[Event]]) -> None:
        if len(alternatives) == 1:
            self.add_events(alternatives[0])
            return
        self._ensure_current()
        joint = f"{GENERATED_CHECKPOINT_PREFIX}OR_{next(_generated_ids)}"
        copies = []
        for block in self.current:
            for events in alternatives:
                copied = block.copy()
                copied.events.extend(events)
                copied.end = [joint]
                copies.append(copied)
        self.current = copies

    def add_checkpoint(self, step: CheckpointStep) -> None:
        if not self.current:
            conditions = {s.name: s.value for s in step.slots}
            start = StartCheckpoint(step.name, conditions)
            self.current = [StoryBlock(self.name, self.is_rule, [start])]
            return
        if all(not b.events and not b.end for b in self.current):
            for block in self.current:  # consecutive start checkpoints
                block.start.append(
                    StartCheckpoint(step.name, {s.name: s.value for s in step.slots})
                )
            return
        extra = []
        for block in self.current:
            if block.end:
                copied = block.copy()
                copied.end = [step.name]
                copied.start = list(block.start)
                extra.append(copied)
            else:
                block.end = [step.name]
        self.current.extend(extra)

    def flush(self) -> list[StoryBlock]:
        self.blocks.extend(self.current)
        self.current = []
        return self.blocks

    # -- events of one step ---------------------------------------------------------------

    def user_event(self, step: UserStep) -> UserUttered:
        intent: dict[str, Any] = {"name": step.intent, "confidence": 1.0}
        if step.response_key:
            intent["full_retrieval_intent_name"] = step.full_intent
        entities = [e.as_dict() for e in step.entities]
        event = UserUttered(text=step.text, parse_data={"intent": intent}, entities=entities)
        return self._note(event, step.line)  # type: ignore[return-value]

    def slot_events(self, slots: tuple[SlotValue, ...], line: int | None) -> list[Event]:
        events: list[Event] = []
        for value in slots:
            events.append(
                self._note(
                    SlotSet(key=value.name, value=self._slot_value(value)), value.line or line
                )
            )
        return events

    def _slot_value(self, value: SlotValue) -> Any:
        if value.value_given:
            return value.value
        slot = self.domain.slot(value.name)
        if slot is not None and slot.type == TEXT:
            return DEFAULT_VALUE_TEXT_SLOTS
        if slot is not None and slot.type == LIST:
            return list(DEFAULT_VALUE_LIST_SLOTS)
        return None

    def step_events(self, step: Step) -> list[Event]:
        if isinstance(step, UserStep):
            return [self.user_event(step)]
        if isinstance(step, ActionStep):
            return [self._note(ActionExecuted(action_name=step.name), step.line)]
        if isinstance(step, BotStep):
            return [self._note(ActionExecuted(action_text=step.text), step.line)]
        if isinstance(step, SlotWasSetStep):
            return self.slot_events(step.slots, step.line)
        if isinstance(step, ActiveLoopStep):
            return [self._note(ActiveLoop(name=step.name), step.line)]
        raise TypeError(f"not an event step: {step!r}")

    def snippet(self, line: int | None) -> Event:
        return self._note(ActionExecuted(action_name=RULE_SNIPPET_ACTION), line)

    def add_step(self, step: Step) -> None:
        if isinstance(step, CheckpointStep):
            self.add_checkpoint(step)
        elif isinstance(step, OrStep):
            self.add_alternatives([self.step_events(alt) for alt in step.alternatives])
        else:
            self.add_events(self.step_events(step))


def story_blocks(story: Story, domain: Domain, origins: dict[int, Origin]) -> list[StoryBlock]:
    builder = BlockBuilder(story.name, False, domain, origins, file=story.file)
    for step in story.steps:
        builder.add_step(step)
    return builder.flush()


def rule_blocks(rule: Rule, domain: Domain, origins: dict[int, Origin]) -> list[StoryBlock]:
    builder = BlockBuilder(rule.name, True, domain, origins, file=rule.file)
    for condition in rule.condition:
        builder.add_events(builder.step_events(condition))
    if rule.starts_with_snippet:
        builder.add_events([builder.snippet(rule.line)])
    for step in rule.steps:
        builder.add_step(step)
    if rule.ends_with_snippet:
        last_line = rule.steps[-1].line if rule.steps else rule.line
        builder.add_events([builder.snippet(last_line)])
    if not builder.current and not builder.blocks:
        builder.add_events([])
    return builder.flush()
