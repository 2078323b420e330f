"""Stories, rules and test stories as Rasa 3.x writes them, one typed step per YAML step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

from stratus.shared.problems import Problem
from stratus.shared.training_data.message import RESPONSE_KEY_SYMBOL

# Rasa's rule snippet action: a rule implicitly starts with "..." (anything may come
# before it) unless `conversation_start: true`, and ends with "..." (the conversation
# goes on without waiting for the user) when `wait_for_user_input: false`.
RULE_SNIPPET_ACTION = "..."
# Rasa treats story files whose name starts with this as test stories.
TEST_STORIES_PREFIX = "test_"


@dataclass(frozen=True)
class StoryEntity:
    """An entity of a user step: from `entities:` (no offsets) or from `user:` markup."""

    entity: str
    # `- entities: [city]` (name only) gives "" as in Rasa; annotations give the text/value.
    value: Any = ""
    role: str | None = None
    group: str | None = None
    start: int | None = None
    end: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entity as Rasa puts it in a user event's parse data."""
        d: dict[str, Any] = {"entity": self.entity, "value": self.value}
        for key in ("start", "end", "role", "group"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass(frozen=True)
class UserStep:
    """`- intent: greet` (+ `entities`) and/or `- user: "hi [Ann](name)"` (end-to-end text)."""

    # The base intent ("faq" for `faq/ask_name`); None for a `user:` step without intent.
    intent: str | None
    # The plain text of `user:` (annotations removed); None for an intent-only step.
    text: str | None = None
    entities: tuple[StoryEntity, ...] = ()
    # "ask_name" for `intent: faq/ask_name` (meaningful in test stories).
    response_key: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def full_intent(self) -> str | None:
        if self.intent is not None and self.response_key:
            return f"{self.intent}{RESPONSE_KEY_SYMBOL}{self.response_key}"
        return self.intent


@dataclass(frozen=True)
class ActionStep:
    """`- action: utter_greet`."""

    name: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class BotStep:
    """`- bot: "Hello!"`: an end-to-end bot utterance (an action known by its text)."""

    text: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class SlotValue:
    """One slot of `slot_was_set`."""

    name: str
    value: Any = None
    # False for `- slot_was_set: [name]` (name only): Rasa then uses the slot type's
    # default ("filled" for text, ["filled"] for list, None otherwise), which needs the
    # domain, so the reader leaves it to the caller.
    value_given: bool = True
    line: int | None = None


@dataclass(frozen=True)
class SlotWasSetStep:
    """`- slot_was_set: [{name: value}, other_name]`."""

    slots: tuple[SlotValue, ...]
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class ActiveLoopStep:
    """`- active_loop: some_form` (or `null`: the loop was deactivated)."""

    name: str | None
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class CheckpointStep:
    """`- checkpoint: name` with optional `slot_was_set` conditions."""

    name: str
    slots: tuple[SlotValue, ...] = ()
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class OrStep:
    """`- or: [...]`: any one of several user steps (or slot_was_set steps)."""

    alternatives: tuple[UserStep | SlotWasSetStep, ...]
    file: str | None = None
    line: int | None = None


Step = UserStep | ActionStep | BotStep | SlotWasSetStep | ActiveLoopStep | CheckpointStep | OrStep
ConditionStep = SlotWasSetStep | ActiveLoopStep


def is_test_file(file: str | None) -> bool:
    return file is not None and PurePath(file).name.startswith(TEST_STORIES_PREFIX)


@dataclass(frozen=True)
class Story:
    """A story (or a test story) under `stories:`."""

    name: str
    steps: tuple[Step, ...]
    file: str | None = None
    line: int | None = None
    metadata: Any = None  # the `metadata:` of the story or rule, as written

    @property
    def kind(self) -> Literal["story"]:
        return "story"

    @property
    def is_test(self) -> bool:
        """Read from a `test_*` file, which Rasa treats as test stories."""
        return is_test_file(self.file)


@dataclass(frozen=True)
class Rule:
    """A rule under `rules:`."""

    name: str
    steps: tuple[Step, ...]
    # `condition:` steps: what must hold before the rule applies.
    condition: tuple[ConditionStep, ...] = ()
    conversation_start: bool = False
    wait_for_user_input: bool = True
    file: str | None = None
    line: int | None = None
    metadata: Any = None  # the `metadata:` of the story or rule, as written

    @property
    def kind(self) -> Literal["rule"]:
        return "rule"

    @property
    def is_test(self) -> bool:
        return is_test_file(self.file)

    @property
    def starts_with_snippet(self) -> bool:
        """Rasa puts `...` before the steps (the rule applies anywhere in a conversation)."""
        return not self.conversation_start

    @property
    def ends_with_snippet(self) -> bool:
        """Rasa puts `...` after the steps (no `action_listen` expected after the rule)."""
        return not self.wait_for_user_input


@dataclass(frozen=True)
class StoryData:
    """The stories and rules of one or more files."""

    stories: tuple[Story, ...] = ()
    rules: tuple[Rule, ...] = ()
    warnings: tuple[Problem, ...] = ()
