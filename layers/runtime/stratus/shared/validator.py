"""Consistency checks across a loaded project: the counterpart of `rasa data validate`.

Errors are what makes Rasa's validator fail (or training break); warnings are what it
only reports. Every problem names the file and line of the offending step or item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stratus.shared.domain import DEFAULT_INTENTS, Domain
from stratus.shared.problems import Problem, suggest, warning
from stratus.shared.project import Project
from stratus.shared.training_data.message import NluExample
from stratus.shared.training_data.stories import (
    ActionStep,
    ActiveLoopStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotWasSetStep,
    Step,
    Story,
    UserStep,
)

RULE_SNIPPET_ACTION = "..."
ACTION_LISTEN = "action_listen"


@dataclass(frozen=True)
class Summary:
    """The counts `stratus validate` prints."""

    intents: int
    entities: int
    slots: int
    forms: int
    responses: int
    actions: int
    stories: int
    rules: int
    examples: int

    def lines(self) -> list[str]:
        return [f"  {name:<10}{value:>7}" for name, value in vars(self).items()]


def summarize(project: Project) -> Summary:
    domain = project.domain
    user_intents = [i for i in domain.intent_names if i not in DEFAULT_INTENTS]
    return Summary(
        intents=len(user_intents),
        entities=len(domain.entity_names),
        slots=len(domain.slots) - len(domain.implicit_slot_names),
        forms=len(domain.forms),
        responses=len(domain.responses),
        actions=len([a for a in domain.actions]),
        stories=len(project.data.stories),
        rules=len(project.data.rules),
        examples=len(project.data.nlu.examples),
    )


def validate(project: Project) -> list[Problem]:
    """Every consistency problem of the project (errors and warnings)."""
    problems: list[Problem] = []
    for check in (
        _check_nlu_intents,
        _check_example_repetition,
        _check_nlu_entities,
        _check_story_steps,
        _check_slot_mappings,
        _check_forms,
        _check_rule_contradictions,
        _check_checkpoints,
        _check_duplicate_names,
    ):
        problems.extend(check(project))
    return problems


def _user_steps(story: Story | Rule) -> Iterator[UserStep]:
    for step in _all_steps(story):
        if isinstance(step, UserStep):
            yield step


def _all_steps(story: Story | Rule) -> Iterator[Step]:
    steps: Iterable[Step] = story.steps
    if isinstance(story, Rule):
        steps = (*story.condition, *story.steps)
    for step in steps:
        if isinstance(step, OrStep):
            yield from step.alternatives
        else:
            yield step


def _dialogues(project: Project) -> list[Story | Rule]:
    return [*project.data.stories, *project.data.rules]


def _check_nlu_intents(project: Project) -> Iterator[Problem]:
    domain = project.domain
    known = set(domain.intent_names)
    seen: dict[str, tuple[str | None, int | None]] = {}
    for ex in project.data.nlu.examples:
        if ex.intent and ex.intent not in seen:
            seen[ex.intent] = (ex.file, ex.line)
    for intent, (file, line) in seen.items():
        if any(c.isspace() for c in intent):
            yield Problem(
                f"intent name '{intent}' contains whitespace, so no story, rule or "
                f"`/{intent}` payload can refer to it; rename it.{suggest(intent, known)}",
                file,
                line,
                "intent",
            )
        elif intent not in known:
            yield warning(
                f"intent '{intent}' has NLU examples but is not in the domain, so stories cannot use it; add it to "
                f"`intents:` in the domain.{suggest(intent, known)}",
                file,
                line,
                "intent",
            )
    used_in_stories = {s.intent for d in _dialogues(project) for s in _user_steps(d)}
    for declared in domain.intents:
        if (
            declared.name not in DEFAULT_INTENTS
            and declared.name not in seen
            and project.data.nlu.examples
        ):
            where = "stories use it, so " if declared.name in used_in_stories else ""
            yield warning(
                f"intent '{declared.name}' is in the domain but has no NLU examples; "
                f"{where}add examples or remove it",
                declared.file,
                declared.line,
                "intents",
            )


def _check_example_repetition(project: Project) -> Iterator[Problem]:
    by_text: dict[str, dict[str, NluExample]] = defaultdict(dict)
    for ex in project.data.nlu.examples:
        if ex.full_intent:
            by_text[ex.text.strip().lower()].setdefault(ex.full_intent, ex)
    for text, intents in by_text.items():
        if len(intents) > 1:
            first, *others = intents.values()
            names = ", ".join(f"'{i}'" for i in intents)
            for ex in others:
                yield warning(
                    f"the example '{text}' is listed under several intents ({names}); "
                    f"the first is at {first.file}:{first.line}. Keep it under one intent",
                    ex.file,
                    ex.line,
                    "examples",
                )


def _check_nlu_entities(project: Project) -> Iterator[Problem]:
    known = set(project.domain.entity_names)
    reported: set[str] = set()
    for ex in project.data.nlu.examples:
        for ann in ex.entities:
            if ann.entity not in known and ann.entity not in reported:
                reported.add(ann.entity)
                yield warning(
                    f"entity '{ann.entity}' is annotated in NLU data but not in the domain, "
                    f"so it cannot influence the conversation or fill slots.{suggest(ann.entity, known)}",
                    ex.file,
                    ex.line,
                    "entities",
                )


def _known_actions(domain: Domain) -> set[str]:
    return {*domain.action_names, *domain.form_names}


def _check_story_steps(project: Project) -> Iterator[Problem]:
    domain = project.domain
    intents = set(domain.intent_names)
    entities = set(domain.entity_names)
    slots = set(domain.slot_names)
    actions = _known_actions(domain)
    # a loop is a form or an action that runs as one (e.g. action_two_stage_fallback)
    loops = {*domain.form_names, *domain.action_names}
    for dialogue in _dialogues(project):
        kind = dialogue.kind
        for step in _all_steps(dialogue):
            if isinstance(step, UserStep):
                if step.intent and step.intent not in intents:
                    yield Problem(
                        f"intent '{step.intent}' is used in {kind} '{dialogue.name}' but is "
                        f"not in the domain.{suggest(step.intent, intents)}",
                        step.file,
                        step.line,
                        "intent",
                    )
                for ent in step.entities:
                    if ent.entity not in entities:
                        yield Problem(
                            f"entity '{ent.entity}' is used in {kind} '{dialogue.name}' but "
                            f"is not in the domain.{suggest(ent.entity, entities)}",
                            step.file,
                            step.line,
                            "entities",
                        )
            elif isinstance(step, ActionStep):
                if step.name == RULE_SNIPPET_ACTION or step.name in actions:
                    continue
                if step.name.startswith("utter_"):
                    msg = (
                        f"response '{step.name}' is used in {kind} '{dialogue.name}' but "
                        "the domain has no such response or action; add it under "
                        "`responses:`"
                    )
                else:
                    msg = (
                        f"action '{step.name}' is used in {kind} '{dialogue.name}' but is "
                        "not in the domain; add it under `actions:`"
                    )
                yield Problem(msg + suggest(step.name, actions), step.file, step.line, "action")
            elif isinstance(step, ActiveLoopStep):
                if step.name is not None and step.name not in loops:
                    yield Problem(
                        f"active_loop '{step.name}' in {kind} '{dialogue.name}' is not a form "
                        f"of the domain.{suggest(step.name, loops)}",
                        step.file,
                        step.line,
                        "active_loop",
                    )
            elif isinstance(step, SlotWasSetStep | CheckpointStep):
                for slot in step.slots:
                    if slot.name not in slots:
                        yield Problem(
                            f"slot '{slot.name}' is set in {kind} '{dialogue.name}' but is not "
                            f"in the domain.{suggest(slot.name, slots)}",
                            step.file,
                            slot.line or step.line,
                            "slot_was_set",
                        )
                    else:
                        yield from _check_slot_value(
                            domain, slot.name, slot.value, slot.value_given, step, slot.line
                        )


def _check_slot_value(
    domain: Domain, name: str, value: Any, given: bool, step: Step, line: int | None
) -> Iterator[Problem]:
    slot = domain.slot(name)
    if slot is None or not given or value is None:
        return
    if slot.type == "categorical" and str(value).lower() not in slot.values:
        yield warning(
            f"value '{value}' of categorical slot '{name}' is not one of its values "
            f"({', '.join(v for v in slot.values if v != '__other__')}); it is featurized "
            "as __other__",
            step.file,
            line or step.line,
            "slot_was_set",
        )
    elif slot.type == "bool" and not isinstance(value, bool):
        yield Problem(
            f"bool slot '{name}' is set to '{value}'; use true or false",
            step.file,
            line or step.line,
            "slot_was_set",
        )


def _check_slot_mappings(project: Project) -> Iterator[Problem]:
    domain = project.domain
    intents = set(domain.intent_names)
    entities = set(domain.entity_names)
    forms = set(domain.form_names)
    slots = set(domain.slot_names)
    actions = _known_actions(domain)
    for slot in domain.slots:
        for i, m in enumerate(slot.mappings):
            field = f"slots.{slot.name}.mappings[{i}]"
            file, line = m.file or slot.file, m.line or slot.line
            if m.type == "from_entity" and m.entity and m.entity not in entities:
                yield Problem(
                    f"maps entity '{m.entity}', which is not in the domain."
                    f"{suggest(m.entity, entities)}",
                    file,
                    line,
                    f"{field}.entity",
                )
            for key, names in (("intent", m.intent), ("not_intent", m.not_intent)):
                for name in names:
                    if name not in intents:
                        yield Problem(
                            f"intent '{name}' is not in the domain.{suggest(name, intents)}",
                            file,
                            line,
                            f"{field}.{key}",
                        )
            if m.type == "custom" and m.action and m.action not in actions:
                yield Problem(
                    f"custom mapping action '{m.action}' is not in the domain's "
                    f"actions.{suggest(m.action, actions)}",
                    file,
                    line,
                    f"{field}.action",
                )
            for cond in m.conditions:
                if cond.active_loop is not None and cond.active_loop not in forms:
                    yield Problem(
                        f"condition names active_loop '{cond.active_loop}', which is "
                        f"not a form.{suggest(cond.active_loop, forms)}",
                        cond.file or file,
                        cond.line or line,
                        f"{field}.conditions.active_loop",
                    )
                if cond.requested_slot is not None and cond.requested_slot not in slots:
                    yield Problem(
                        f"condition names requested_slot '{cond.requested_slot}', "
                        f"which is not a slot.{suggest(cond.requested_slot, slots)}",
                        cond.file or file,
                        cond.line or line,
                        f"{field}.conditions.requested_slot",
                    )


def _check_forms(project: Project) -> Iterator[Problem]:
    domain = project.domain
    slots = set(domain.slot_names)
    actions = {a.name for a in domain.actions}
    for form in domain.forms:
        validator = f"validate_{form.name}"
        for name in form.required_slots:
            slot = domain.slot(name)
            if slot is None:
                yield Problem(
                    f"required slot '{name}' is not in the domain's slots.{suggest(name, slots)}",
                    form.file,
                    form.line,
                    f"forms.{form.name}.required_slots",
                )
            elif not slot.mappings and validator not in actions:
                yield Problem(
                    f"required slot '{name}' has no mapping, so nothing can fill it; add "
                    f"`mappings:` to the slot or a `{validator}` action that extracts it",
                    slot.file,
                    slot.line,
                    f"slots.{name}.mappings",
                )


def _state_key(step: Step) -> tuple[Any, ...] | None:
    if isinstance(step, UserStep):
        return (
            "user",
            step.full_intent or step.text,
            tuple(sorted((e.entity, e.role or "", e.group or "") for e in step.entities)),
        )
    if isinstance(step, ActionStep):
        return ("action", step.name)
    if isinstance(step, SlotWasSetStep):
        return ("slots", tuple(sorted((s.name, repr(s.value)) for s in step.slots)))
    if isinstance(step, ActiveLoopStep):
        return ("loop", step.name)
    return None


def _check_rule_contradictions(project: Project) -> Iterator[Problem]:
    """Two rules that, from the same conditions and steps, go on with different actions."""
    next_action: dict[tuple[Any, ...], tuple[str, Rule, ActionStep | None]] = {}
    for rule in project.data.rules:
        steps = list(rule.steps)
        if any(isinstance(s, OrStep | CheckpointStep) for s in steps):
            continue  # alternatives make the prefix ambiguous; training checks those
        if any(isinstance(s, ActionStep) and s.name == RULE_SNIPPET_ACTION for s in steps):
            continue
        prefix: list[Any] = [
            ("condition", tuple(_state_key(c) for c in rule.condition)),
            ("start", rule.conversation_start),
        ]
        # Actions before the first user step are what the rule starts from, not predictions
        # (Rasa prepends `...` to rules that do not start the conversation).
        predicting = rule.conversation_start
        for i, step in enumerate(steps):
            predicting = predicting or isinstance(step, UserStep)
            if isinstance(step, ActionStep) and predicting:
                key = tuple(prefix)
                seen = next_action.setdefault(key, (step.name, rule, step))
                if seen[0] != step.name:
                    other = seen[1]
                    yield Problem(
                        f"rule '{rule.name}' predicts '{step.name}' where rule '{other.name}' "
                        f"({other.file}:{seen[2].line if seen[2] else other.line}) predicts "
                        f"'{seen[0]}' after the same steps; make the rules differ before "
                        "this step",
                        step.file,
                        step.line,
                        f"steps[{i}]",
                    )
            key_part = _state_key(step)
            if key_part is not None:
                prefix.append(key_part)


def _check_checkpoints(project: Project) -> Iterator[Problem]:
    starts: dict[str, CheckpointStep] = {}
    ends: dict[str, CheckpointStep] = {}
    for story in project.data.stories:
        for i, step in enumerate(story.steps):
            if isinstance(step, CheckpointStep):
                (starts if i == 0 else ends).setdefault(step.name, step)
    for name, step in starts.items():
        if name not in ends:
            yield warning(
                f"checkpoint '{name}' starts a story but no story ends with it",
                step.file,
                step.line,
                "checkpoint",
            )
    for name, step in ends.items():
        if name not in starts:
            yield warning(
                f"checkpoint '{name}' ends a story but no story starts with it",
                step.file,
                step.line,
                "checkpoint",
            )


def _check_duplicate_names(project: Project) -> Iterator[Problem]:
    seen: dict[tuple[str, str], Story | Rule] = {}
    for dialogue in _dialogues(project):
        key = (dialogue.kind, dialogue.name)
        if key in seen:
            first = seen[key]
            yield warning(
                f"{dialogue.kind} name '{dialogue.name}' is used twice (first at "
                f"{first.file}:{first.line}); give each a unique name",
                dialogue.file,
                dialogue.line,
                dialogue.kind,
            )
        else:
            seen[key] = dialogue
