"""Intents and entities of a domain, and which entities each intent lets through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stratus.shared.domain.constants import ENTITY_LABEL_SEPARATOR
from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    flag,
    is_list,
    is_mapping,
    item_line,
    join,
    key_line,
    kind_of,
    names,
)

INTENT_KEYS = ("use_entities", "ignore_entities", "is_retrieval_intent")
# Rasa 2's MappingPolicy key; Rasa 3 ignores it (a rule does the job now).
LEGACY_INTENT_KEYS = ("triggers",)
ENTITY_KEYS = ("roles", "groups", "influence_conversation")


@dataclass(frozen=True)
class Intent(Located):
    """An intent; `use_entities` is True (all entities) or the explicit names to use.

    `ignore_entities` is None when not given: then the entities declared with
    `influence_conversation: false` are ignored, as in Rasa.
    """

    name: str
    use_entities: bool | tuple[str, ...] = True
    ignore_entities: tuple[str, ...] | None = None
    is_retrieval_intent: bool = False

    def as_dict(self) -> str | dict[str, Any]:
        """The plain name, or `{name: {properties}}` when a property is not Rasa's default."""
        props: dict[str, Any] = {}
        if self.use_entities is not True:
            props["use_entities"] = list(self.use_entities) if self.use_entities else []
        if self.ignore_entities is not None:
            props["ignore_entities"] = list(self.ignore_entities)
        if self.is_retrieval_intent:
            props["is_retrieval_intent"] = True
        return {self.name: props} if props else self.name


@dataclass(frozen=True)
class Entity(Located):
    """An entity type with its roles and groups."""

    name: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    influence_conversation: bool = True

    def as_dict(self) -> str | dict[str, Any]:
        props: dict[str, Any] = {}
        if self.roles:
            props["roles"] = list(self.roles)
        if self.groups:
            props["groups"] = list(self.groups)
        if not self.influence_conversation:
            props["influence_conversation"] = False
        return {self.name: props} if props else self.name


def used_entities(intent: Intent, entities: Iterable[Entity]) -> tuple[str, ...]:
    """The entity labels (`entity`, `entity#role`, `entity#group`) featurized for `intent`.

    Follows Rasa 3.6's `_transform_intent_properties_for_internal_use`, quirks included:
    with `use_entities: true` the role/group labels of every entity are used, even of an
    entity declared with `influence_conversation: false`.
    """
    entities = tuple(entities)
    sub_labels = {e.name: _sub_labels(e) for e in entities}
    default_ignored = [e.name for e in entities if not e.influence_conversation]
    ignored = default_ignored if intent.ignore_entities is None else intent.ignore_entities

    if intent.use_entities is True:
        included = {e.name for e in entities} - set(default_ignored)
        for labels in sub_labels.values():
            included.update(labels)
    else:
        chosen = intent.use_entities or ()
        included = set(chosen)
        for name in chosen:
            included.update(sub_labels.get(name, ()))
    excluded = set(ignored)
    for name in ignored:
        excluded.update(sub_labels.get(name, ()))
    return tuple(sorted(included - excluded))


def ambiguous_entities(intent: Intent) -> tuple[str, ...]:
    """Entities an intent both lists in `use_entities` and in `ignore_entities`."""
    if intent.use_entities is True or not intent.use_entities or not intent.ignore_entities:
        return ()
    return tuple(sorted(set(intent.use_entities) & set(intent.ignore_entities)))


def _sub_labels(entity: Entity) -> list[str]:
    return [
        f"{entity.name}{ENTITY_LABEL_SEPARATOR}{label}" for label in entity.roles + entity.groups
    ]


def _named_item(
    value: Any, index: int, what: str, field: str, log: ProblemLog
) -> tuple[str, dict[Any, Any] | None, int | None] | None:
    """Split a list item `- name` or `- name: {properties}` into (name, properties, line)."""
    line = item_line(value, index)
    item = value[index]
    if isinstance(item, str) and item.strip():
        return item, None, line
    if isinstance(item, str):
        log.error(f"{what} name is empty", line, field)
    elif not isinstance(item, dict):
        log.error(
            f"a {what} item must be a name or `name: {{properties}}`, not {kind_of(item)}",
            line,
            field,
        )
    elif len(item) != 1:
        keys = ", ".join(f"'{k}'" for k in item)
        log.error(
            f"a {what} item must be one name, optionally with its properties indented "
            f"under it; found the keys {keys}",
            line,
            field,
        )
    else:
        name, props = next(iter(item.items()))
        line = key_line(item, name)
        if not isinstance(name, str) or not name.strip():
            log.error(f"{what} name must be text, not {kind_of(name)}", line, field)
        elif props is None:
            log.error(
                f"{what} '{name}' is followed by ':' but has no properties; remove the ':' "
                "or indent its properties under it",
                line,
                join(field, name),
            )
        elif is_mapping(props, f"the properties of {what} '{name}'", line, join(field, name), log):
            return name, props, line
    return None


def read_intents(value: Any, line: int | None, log: ProblemLog) -> tuple[Intent, ...]:
    """The `intents:` list; a repeated intent is a warning and keeps its first definition."""
    if value is None or not is_list(value, "intents", line, "intents", log):
        return ()
    out: dict[str, Intent] = {}
    for i in range(len(value)):
        parsed = _named_item(value, i, "intent", f"intents[{i}]", log)
        if parsed is None:
            continue
        name, props, line = parsed
        intent = Intent(name, file=log.file, line=line)
        if props is not None:
            intent = _intent_with_properties(name, props, line, log)
        if name in out:
            log.warn(
                f"intent '{name}' is listed twice (first at {out[name].where}); "
                "the first one is kept",
                line,
                f"intents.{name}",
            )
            continue
        out[name] = intent
    return tuple(out.values())


def _intent_with_properties(
    name: str, props: dict[Any, Any], line: int | None, log: ProblemLog
) -> Intent:
    field = f"intents.{name}"
    check_keys(props, INTENT_KEYS, f"intent '{name}'", field, log, skip=LEGACY_INTENT_KEYS)
    for legacy in LEGACY_INTENT_KEYS:
        if legacy in props:
            log.warn(
                f"'{legacy}' (Rasa 2's MappingPolicy) is ignored; write a rule that runs the "
                "action after this intent instead",
                key_line(props, legacy),
                join(field, legacy),
            )
    use: bool | tuple[str, ...] = True
    if "use_entities" in props:
        raw = props["use_entities"]
        where = key_line(props, "use_entities")
        if raw is True:
            use = True
        elif raw is False or raw is None:
            use = ()
        elif isinstance(raw, list):
            use = names(raw, "use_entities", where, join(field, "use_entities"), log)
        else:
            log.error(
                f"use_entities must be true, false or a list of entity names, not {kind_of(raw)}",
                where,
                join(field, "use_entities"),
            )
    ignore: tuple[str, ...] | None = None
    if "ignore_entities" in props:
        where = key_line(props, "ignore_entities")
        ignore = names(
            props["ignore_entities"], "ignore_entities", where, join(field, "ignore_entities"), log
        )
    retrieval = False
    if "is_retrieval_intent" in props:
        where = key_line(props, "is_retrieval_intent")
        retrieval = bool(
            flag(
                props["is_retrieval_intent"],
                "is_retrieval_intent",
                where,
                join(field, "is_retrieval_intent"),
                log,
            )
        )
    return Intent(name, use, ignore, retrieval, file=log.file, line=line)


def read_entities(value: Any, line: int | None, log: ProblemLog) -> tuple[Entity, ...]:
    """The `entities:` list; a repeated entity is a warning and keeps its first definition."""
    if value is None or not is_list(value, "entities", line, "entities", log):
        return ()
    out: dict[str, Entity] = {}
    for i in range(len(value)):
        parsed = _named_item(value, i, "entity", f"entities[{i}]", log)
        if parsed is None:
            continue
        name, props, line = parsed
        entity = Entity(name, file=log.file, line=line)
        if props is not None:
            field = f"entities.{name}"
            check_keys(props, ENTITY_KEYS, f"entity '{name}'", field, log)
            roles = names(
                props.get("roles"), "roles", key_line(props, "roles"), join(field, "roles"), log
            )
            groups = names(
                props.get("groups"), "groups", key_line(props, "groups"), join(field, "groups"), log
            )
            influence = True
            if "influence_conversation" in props:
                where = key_line(props, "influence_conversation")
                influence = (
                    flag(
                        props["influence_conversation"],
                        "influence_conversation",
                        where,
                        join(field, "influence_conversation"),
                        log,
                    )
                    is not False
                )
            entity = Entity(name, roles, groups, influence, file=log.file, line=line)
        if name in out:
            log.warn(
                f"entity '{name}' is listed twice (first at {out[name].where}); "
                "the first one is kept",
                line,
                f"entities.{name}",
            )
            continue
        out[name] = entity
    return tuple(out.values())
