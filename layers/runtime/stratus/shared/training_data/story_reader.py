"""Stories, rules and test stories from Rasa 3 YAML (`stories:` and `rules:`).

Follows rasa/shared/core/training_data/story_reader/yaml_story_reader.py and Rasa's
stories.yml schema: what the schema rejects is a located error here; what Rasa's reader
skips with a warning is skipped with a warning here. One deliberate difference: an
intent written with a leading slash (`intent: /greet`) is an error, not a warning.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, unknown_key, warning
from stratus.shared.training_data._checks import (
    check_keys,
    collecting,
    expect_list,
    expect_mapping,
    expect_str,
    fail,
    kind_of,
)
from stratus.shared.training_data.entities_markup import parse_markup
from stratus.shared.training_data.nlu_builder import split_intent
from stratus.shared.training_data.stories import (
    RULE_SNIPPET_ACTION,
    ActionStep,
    ActiveLoopStep,
    BotStep,
    CheckpointStep,
    ConditionStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    Story,
    StoryData,
    StoryEntity,
    UserStep,
    is_test_file,
)
from stratus.shared.yaml_io import YDict, read_yaml

STORY_KEYS = ("story", "steps", "metadata")
RULE_KEYS = ("rule", "steps", "condition", "conversation_start", "wait_for_user_input", "metadata")
_USER_KEYS = ("intent", "user", "entities", "metadata")
# The key that names a step's kind, in the order Rasa's reader tests them, and the keys
# each kind may have.
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "intent": _USER_KEYS,
    "user": _USER_KEYS,
    "or": ("or", "metadata"),
    "action": ("action", "metadata"),
    "bot": ("bot", "metadata"),
    "checkpoint": ("checkpoint", "slot_was_set", "metadata"),
    "slot_was_set": ("slot_was_set", "metadata"),
    "active_loop": ("active_loop", "metadata"),
}
ALL_STEP_KEYS = tuple(dict.fromkeys(k for keys in STEP_KEYS.values() for k in keys))
STORY_STEP_KINDS = frozenset(STEP_KEYS)
RULE_STEP_KINDS = frozenset({"intent", "user", "or", "action", "slot_was_set", "active_loop"})
CONDITION_STEP_KINDS = frozenset({"slot_was_set", "active_loop"})
INTENT_MESSAGE_PREFIX = "/"
_SECTION = {"story": "stories", "rule": "rules"}
# `/intent@0.9{"entity": "value"}`: a user message that names its intent directly.
_INTENT_MESSAGE = re.compile(r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>\{.+\})?")


@dataclass
class _Reader:
    file: str
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    @property
    def in_test_file(self) -> bool:
        return is_test_file(self.file)

    def warn(self, message: str, line: int | None, field_name: str | None = None) -> None:
        self.warnings.append(warning(message, self.file, line, field_name))

    # ------------------------------------------------------------ items

    def read_section(self, content: YDict, section: str) -> list[Story | Rule]:
        value = content[section]
        line = content.line_of(section)
        if value is None:
            self.warn(f"'{section}' is empty", line, section)
            return []
        items = expect_list(value, f"'{section}'", self.file, line)
        read = self._story if section == "stories" else self._rule
        results: list[Story | Rule] = []
        for index, item in enumerate(items):
            result = collecting(self.errors, read, item, items.line_of(index))
            if result is not None:
                results.append(result)
        return results

    def _title(self, item: YDict, title: str, other: str, keys: tuple[str, ...]) -> str | None:
        if title not in item:
            if other in item:
                # Rasa's reader looks only for its own title in each section.
                self.warn(
                    f"a {other} under '{_SECTION[title]}' is ignored, as in Rasa; "
                    f"move '{other}: {item[other]}' under '{_SECTION[other]}'",
                    item.line_of(other),
                    other,
                )
                return None
            first = next(iter(item), None)
            if first is None:
                raise fail(
                    f"a {title} is empty; start it with '{title}: <name>'", self.file, item.line
                )
            raise fail(
                unknown_key(str(first), keys, f"a {title} (which starts with '{title}: <name>')"),
                self.file,
                item.line_of(first),
                str(first),
            )
        check_keys(item, keys, f"a {title}", self.file)
        return expect_str(item[title], f"the {title} name", self.file, item.line_of(title), title)

    def _steps(self, item: YDict, name: str, what: str, kinds: frozenset[str]) -> tuple[Step, ...]:
        raw = item.get("steps")
        if raw is None:
            self.warn(f"{what} '{name}' has no steps; it is skipped", item.line, what)
            return ()
        steps_list = expect_list(
            raw, f"the steps of {what} '{name}'", self.file, item.line_of("steps")
        )
        if not steps_list:
            self.warn(f"{what} '{name}' has no steps; it is skipped", item.line, what)
        steps: list[Step] = []
        for index, raw_step in enumerate(steps_list):
            step = collecting(
                self.errors, self.step, raw_step, steps_list.line_of(index), what, kinds
            )
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def _story(self, item: Any, line: int | None) -> Story | None:
        item = expect_mapping(item, "an item under 'stories'", self.file, line)
        name = self._title(item, "story", "rule", STORY_KEYS)
        if name is None:
            return None
        steps = self._steps(item, name, "story", STORY_STEP_KINDS)
        if not steps:
            return None
        return Story(name, steps, self.file, item.line, item.get("metadata"))

    def _rule(self, item: Any, line: int | None) -> Rule | None:
        item = expect_mapping(item, "an item under 'rules'", self.file, line)
        name = self._title(item, "rule", "story", RULE_KEYS)
        if name is None:
            return None
        condition: list[ConditionStep] = []
        if item.get("condition") is not None:
            raw = expect_list(
                item["condition"], "a rule 'condition'", self.file, item.line_of("condition")
            )
            for index, raw_step in enumerate(raw):
                line = raw.line_of(index)
                kinds = CONDITION_STEP_KINDS
                step = collecting(self.errors, self.step, raw_step, line, "rule condition", kinds)
                if isinstance(step, SlotWasSetStep | ActiveLoopStep):
                    condition.append(step)
        flags = {}
        for flag, default in (("conversation_start", False), ("wait_for_user_input", True)):
            value = item.get(flag, default)
            if not isinstance(value, bool):
                raise fail(
                    f"'{flag}' must be true or false, not {kind_of(value)}",
                    self.file,
                    item.line_of(flag),
                    flag,
                )
            flags[flag] = value
        steps = self._steps(item, name, "rule", RULE_STEP_KINDS)
        if not steps:
            return None
        return Rule(
            name,
            steps,
            tuple(condition),
            flags["conversation_start"],
            flags["wait_for_user_input"],
            self.file,
            item.line,
            item.get("metadata"),
        )

    # ------------------------------------------------------------ steps

    def step(self, raw: Any, line: int | None, where: str, kinds: frozenset[str]) -> Step | None:
        """One step; None for a step Rasa skips (with a warning)."""
        if isinstance(raw, str) and raw.strip() == RULE_SNIPPET_ACTION:
            self.warn(
                f"'- {RULE_SNIPPET_ACTION}' is not a step in Rasa 3 and is skipped; rules "
                "imply it (see 'conversation_start' and 'wait_for_user_input')",
                line,
            )
            return None
        if isinstance(raw, str):
            raise fail(
                f"a {where} step must be a mapping like '- action: {raw}' or "
                f"'- intent: {raw}', not plain text",
                self.file,
                line,
            )
        step = expect_mapping(raw, f"a {where} step", self.file, line)
        line = step.line or line
        kind = next((k for k in STEP_KEYS if k in step), None)
        if kind is None:
            if set(step) == {"metadata"}:
                return None  # Rasa ignores a metadata-only step
            first = next(iter(step), None)
            if first is None:
                raise fail(f"a {where} step is empty", self.file, line)
            allowed = [k for k in ALL_STEP_KEYS if k in kinds or k in ("entities", "metadata")]
            raise fail(
                unknown_key(str(first), allowed, f"a {where} step"),
                self.file,
                step.line_of(first),
                str(first),
            )
        if kind not in kinds:
            allowed_kinds = ", ".join(k for k in STEP_KEYS if k in kinds)
            raise fail(
                f"'{kind}' steps are not allowed in a {where} (allowed: {allowed_kinds})",
                self.file,
                step.line_of(kind),
                kind,
            )
        check_keys(step, STEP_KEYS[kind], f"a '{kind}' step", self.file)
        if kind in ("intent", "user"):
            return self.user_step(step)
        if kind == "or":
            return self.or_step(step)
        if kind == "action":
            name = expect_str(step["action"], "the action name", self.file, line, "action")
            return ActionStep(name.strip(), self.file, line)
        if kind == "bot":
            text = expect_str(step["bot"], "the bot message", self.file, line, "bot")
            return BotStep(text, self.file, line)
        if kind == "checkpoint":
            return self.checkpoint_step(step)
        if kind == "slot_was_set":
            slots = self.slots(step["slot_was_set"], step.line_of("slot_was_set"))
            return SlotWasSetStep(slots, self.file, line)
        return self.active_loop_step(step)

    def user_step(self, step: YDict) -> UserStep:
        file, line = self.file, step.line
        intent: str | None = None
        response_key: str | None = None
        raw_intent = step.get("intent")
        if "intent" in step and (raw_intent is None or raw_intent == ""):
            # Rasa reads this as a user message whose intent is unknown, and warns.
            self.warn(
                "the intent is missing; the step stands for a user message with no intent",
                step.line_of("intent"),
                "intent",
            )
        elif "intent" in step:
            intent_line = step.line_of("intent")
            raw = expect_str(raw_intent, "the intent", file, intent_line, "intent").strip()
            if raw.startswith(INTENT_MESSAGE_PREFIX):
                raise fail(
                    f"intent '{raw}' starts with '{INTENT_MESSAGE_PREFIX}'; write "
                    f"'intent: {raw.lstrip(INTENT_MESSAGE_PREFIX)}' (the slash belongs only in "
                    "messages that name an intent, like 'user: /greet')",
                    file,
                    intent_line,
                    "intent",
                )
            intent, response_key = split_intent(raw, file, intent_line)
            if response_key and not self.in_test_file:
                self.warn(
                    f"'{raw}' is a full retrieval intent; stories use the base intent "
                    f"'{intent}' for training (full retrieval intents belong in test stories)",
                    intent_line,
                    "intent",
                )
        if "user" not in step:
            entities = self.entities(step.get("entities"), step.line_of("entities"))
            return UserStep(intent, None, entities, response_key, file, line)
        user_line = step.line_of("user")
        raw_user = step["user"]
        if isinstance(raw_user, str) and not raw_user.strip() and intent is not None:
            # A blank message with its intent given (e.g. nlu_fallback) is a real test case:
            # what the bot does when someone sends only spaces. Rasa 3.6 accepts it.
            return UserStep(intent, "", (), response_key, file, line)
        message = expect_str(raw_user, "the user message", file, user_line, "user").strip()
        parsed = parse_markup(message, file, user_line)
        self.warnings.extend(parsed.warnings)
        entities = tuple(
            StoryEntity(e.entity, e.value, e.role, e.group, e.start, e.end) for e in parsed.entities
        )
        if parsed.text.startswith(INTENT_MESSAGE_PREFIX):
            entities = self.intent_message_entities(parsed.text, user_line)
        if "entities" in step:
            self.warn(
                "'entities' is ignored in a step with 'user' text: annotate the entities in "
                'the text instead, like [Berlin](city) or [Berlin]{"entity": "city"}',
                step.line_of("entities"),
                "entities",
            )
        return UserStep(intent, parsed.text, entities, response_key, file, line)

    def intent_message_entities(self, text: str, line: int | None) -> tuple[StoryEntity, ...]:
        """Entities of a `/intent{"name": "value"}` message, as Rasa unpacks them."""
        match = _INTENT_MESSAGE.match(text)
        if match is None or match.group("entities") is None:
            return ()
        try:
            parsed = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            self.warn(
                f"the entities of '{text[:60]}' are not a JSON object; they are ignored",
                line,
            )
            return ()
        start, end = match.start("entities"), match.end("entities")
        return tuple(
            StoryEntity(str(name), value, start=start, end=end)
            for name, values in parsed.items()
            for value in (values if isinstance(values, list) else [values])
        )

    def entities(self, raw: Any, line: int | None) -> tuple[StoryEntity, ...]:
        if raw is None:
            return ()
        items = expect_list(raw, "'entities'", self.file, line)
        entities: list[StoryEntity] = []
        for index, item in enumerate(items):
            item_line = items.line_of(index)
            if isinstance(item, str):
                entities.append(
                    StoryEntity(expect_str(item, "an entity name", self.file, item_line))
                )
                continue
            if not isinstance(item, dict):
                raise fail(
                    f"an entity must be a name or 'name: value', not {kind_of(item)}",
                    self.file,
                    item_line,
                    "entities",
                )
            role = group = None
            named: list[tuple[Any, Any]] = []
            for key, value in item.items():
                if key == "role":
                    role = expect_str(value, "the entity role", self.file, item_line, "role")
                elif key == "group":
                    group = expect_str(value, "the entity group", self.file, item_line, "group")
                else:
                    named.append((key, value))
            if len(named) != 1:
                raise fail(
                    "each item of 'entities' names one entity, like '- city: Berlin' "
                    "(optionally with 'role' and 'group'); start a new '- ' item for each",
                    self.file,
                    item_line,
                    "entities",
                )
            name, value = named[0]
            entities.append(
                StoryEntity(
                    expect_str(name, "an entity name", self.file, item_line), value, role, group
                )
            )
        return tuple(entities)

    def slots(
        self, raw: Any, line: int | None, names_allowed: bool = True
    ) -> tuple[SlotValue, ...]:
        if raw is None:
            raise fail(
                "'slot_was_set' is empty; list the slots, like '- name: value'", self.file, line
            )
        items = expect_list(raw, "'slot_was_set'", self.file, line)
        slots: list[SlotValue] = []
        for index, item in enumerate(items):
            item_line = items.line_of(index)
            if isinstance(item, str) and names_allowed:
                name = expect_str(item, "a slot name", self.file, item_line)
                slots.append(SlotValue(name, None, False, item_line))
            elif isinstance(item, dict):
                for name, value in item.items():
                    key_line = item.line_of(name) if isinstance(item, YDict) else item_line
                    slot = expect_str(name, "a slot name", self.file, key_line)
                    slots.append(SlotValue(slot, value, True, key_line))
            else:
                form = "'- name' or '- name: value'" if names_allowed else "'- name: value'"
                raise fail(
                    f"each slot of 'slot_was_set' is written {form}, not {kind_of(item)}",
                    self.file,
                    item_line,
                    "slot_was_set",
                )
        return tuple(slots)

    def checkpoint_step(self, step: YDict) -> CheckpointStep | None:
        line = step.line
        name = expect_str(step["checkpoint"], "the checkpoint name", self.file, line, "checkpoint")
        raw = step.get("slot_was_set")
        if isinstance(raw, list) and any(not isinstance(item, dict) for item in raw):
            # Rasa's reader skips such a checkpoint; it needs slot values to compare.
            self.warn(
                f"checkpoint '{name}' lists a slot without a value; checkpoint slots are "
                "written '- name: value'. The checkpoint is skipped, as in Rasa",
                step.line_of("slot_was_set"),
                "slot_was_set",
            )
            return None
        slots = () if raw is None else self.slots(raw, step.line_of("slot_was_set"), False)
        return CheckpointStep(name.strip(), slots, self.file, line)

    def active_loop_step(self, step: YDict) -> ActiveLoopStep:
        value = step["active_loop"]
        if value is not None:
            value = expect_str(value, "the active loop name", self.file, step.line, "active_loop")
        return ActiveLoopStep(value, self.file, step.line)

    def or_step(self, step: YDict) -> OrStep | None:
        line = step.line
        raw = expect_list(step["or"], "'or'", self.file, step.line_of("or"))
        if not raw:
            raise fail("'or' has no alternatives", self.file, line, "or")
        alternatives: list[UserStep | SlotWasSetStep] = []
        for index, item in enumerate(raw):
            item_line = raw.line_of(index)
            item = expect_mapping(item, "an alternative of 'or'", self.file, item_line)
            if "intent" in item:
                check_keys(item, _USER_KEYS, "an 'or' alternative", self.file)
                alternatives.append(self.user_step(item))
            elif "slot_was_set" in item:
                check_keys(item, ("slot_was_set",), "an 'or' alternative", self.file)
                slots = self.slots(item["slot_was_set"], item.line_of("slot_was_set"))
                alternatives.append(SlotWasSetStep(slots, self.file, item.line or item_line))
            elif "user" in item:
                self.warn(
                    "an 'or' alternative needs an 'intent'; this 'or' step is skipped, as in Rasa",
                    item_line,
                    "or",
                )
                return None
            else:
                first = next(iter(item), "")
                raise fail(
                    unknown_key(str(first), ("intent", "slot_was_set"), "an 'or' alternative"),
                    self.file,
                    item.line_of(first) if first else item_line,
                    str(first) or None,
                )
        return OrStep(tuple(alternatives), self.file, line)


def stories_from_yaml(content: YDict, file: str) -> StoryData:
    """The stories and rules of one parsed YAML file (its `stories:` and `rules:`)."""
    reader = _Reader(file)
    stories: list[Story] = []
    rules: list[Rule] = []
    for section in ("stories", "rules"):
        if section in content:
            for item in reader.read_section(content, section):
                (stories if isinstance(item, Story) else rules).append(item)  # type: ignore[arg-type]
    if reader.errors:
        raise ProjectError(reader.errors)
    return StoryData(tuple(stories), tuple(rules), tuple(reader.warnings))


def read_story_file(path: str | os.PathLike[str]) -> StoryData:
    """The stories and rules of one YAML file (other sections are ignored)."""
    name = str(path)
    content = read_yaml(path)
    if content is None:
        raise fail("the file is empty; expected 'stories:' or 'rules:'", name, 1)
    if not isinstance(content, YDict):
        raise fail(
            f"the top level of a stories file must be a mapping, not {kind_of(content)}",
            name,
            getattr(content, "line", 1),
        )
    return stories_from_yaml(content, name)
