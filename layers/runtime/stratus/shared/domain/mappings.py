"""Slot mappings: how `action_extract_slots` fills a slot after each user message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    is_list,
    is_mapping,
    item_line,
    join,
    key_line,
    kind_of,
    names,
    plain,
    text,
)
from stratus.shared.problems import suggest

FROM_ENTITY = "from_entity"
FROM_INTENT = "from_intent"
FROM_TRIGGER_INTENT = "from_trigger_intent"
FROM_TEXT = "from_text"
CUSTOM = "custom"
MAPPING_TYPES = (FROM_ENTITY, FROM_INTENT, FROM_TRIGGER_INTENT, FROM_TEXT, CUSTOM)

MAPPING_KEYS = (
    "type",
    "entity",
    "role",
    "group",
    "intent",
    "not_intent",
    "value",
    "action",
    "conditions",
)
# Keys each type reads (intent filters apply to every type, custom included); any other
# known key is accepted, as Rasa accepts it, with a warning that it has no effect.
_USED_KEYS = {
    FROM_ENTITY: {"entity", "role", "group", "intent", "not_intent"},
    FROM_INTENT: {"value", "intent", "not_intent"},
    FROM_TRIGGER_INTENT: {"value", "intent", "not_intent"},
    FROM_TEXT: {"intent", "not_intent"},
    CUSTOM: {"action", "intent", "not_intent"},
}
CONDITION_KEYS = ("active_loop", "requested_slot")


@dataclass(frozen=True)
class MappingCondition(Located):
    """Apply the mapping only while `active_loop` runs (None: while no form runs) and,
    if given, only while `requested_slot` is the requested slot."""

    active_loop: str | None = None
    requested_slot: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"active_loop": self.active_loop}
        if self.requested_slot is not None:
            d["requested_slot"] = self.requested_slot
        return d


@dataclass(frozen=True)
class SlotMapping(Located):
    """One entry of a slot's `mappings:`; `intent`/`not_intent` are lists even if one was given."""

    type: str
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intent: tuple[str, ...] = ()
    not_intent: tuple[str, ...] = ()
    value: Any = None
    action: str | None = None
    conditions: tuple[MappingCondition, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        for key in ("entity", "role", "group", "action"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.intent:
            d["intent"] = list(self.intent)
        if self.not_intent:
            d["not_intent"] = list(self.not_intent)
        if self.value is not None:
            d["value"] = self.value
        if self.conditions:
            d["conditions"] = [c.as_dict() for c in self.conditions]
        return d


def read_mappings(
    value: Any, line: int | None, field: str, log: ProblemLog
) -> tuple[SlotMapping, ...]:
    if not is_list(value, "a slot's mappings", line, field, log):
        return ()
    out = []
    for i, item in enumerate(value):
        mapping = _read_mapping(item, item_line(value, i), f"{field}[{i}]", log)
        if mapping is not None:
            out.append(mapping)
    return tuple(out)


def _read_mapping(node: Any, line: int | None, field: str, log: ProblemLog) -> SlotMapping | None:
    if not is_mapping(node, "a slot mapping", line, field, log):
        return None
    check_keys(node, MAPPING_KEYS, "a slot mapping", field, log)
    errors_before = len(log.errors)
    kind = node.get("type")
    if kind not in MAPPING_TYPES:
        if kind is None:
            log.error(
                f"a slot mapping needs a type: one of {', '.join(MAPPING_TYPES)}",
                line,
                join(field, "type"),
            )
        else:
            log.error(
                f"unknown slot mapping type {_quoted(kind)}.{suggest(str(kind), MAPPING_TYPES)} "
                f"Known types: {', '.join(MAPPING_TYPES)}.",
                key_line(node, "type"),
                join(field, "type"),
            )
        return None
    if kind == FROM_ENTITY and node.get("entity") is None:
        log.error(
            "a from_entity mapping needs `entity: <entity name>`", line, join(field, "entity")
        )
    if kind in (FROM_INTENT, FROM_TRIGGER_INTENT) and node.get("value") is None:
        log.error(
            f"a {kind} mapping needs `value:` (the value to set; null is not allowed)",
            line,
            join(field, "value"),
        )
    for key in node:
        if (
            key in MAPPING_KEYS
            and key not in ("type", "conditions")
            and key not in _USED_KEYS[kind]
        ):
            log.warn(
                f"'{key}' has no effect in a {kind} mapping",
                key_line(node, key),
                join(field, key),
            )
    strings: dict[str, str | None] = {}
    for key in ("entity", "role", "group", "action"):
        if node.get(key) is not None:
            strings[key] = text(node[key], key, key_line(node, key), join(field, key), log)
    intents = {
        key: names(node.get(key), key, key_line(node, key), join(field, key), log, single_ok=True)
        for key in ("intent", "not_intent")
    }
    conditions: tuple[MappingCondition, ...] = ()
    if node.get("conditions") is not None:
        conditions = _read_conditions(
            node["conditions"], key_line(node, "conditions"), join(field, "conditions"), log
        )
    if len(log.errors) > errors_before:
        return None
    return SlotMapping(
        kind,
        entity=strings.get("entity"),
        role=strings.get("role"),
        group=strings.get("group"),
        intent=intents["intent"],
        not_intent=intents["not_intent"],
        value=plain(node.get("value")),
        action=strings.get("action"),
        conditions=conditions,
        file=log.file,
        line=line,
    )


def _read_conditions(
    value: Any, line: int | None, field: str, log: ProblemLog
) -> tuple[MappingCondition, ...]:
    if not is_list(value, "conditions", line, field, log):
        return ()
    out = []
    for i, node in enumerate(value):
        where, sub = item_line(value, i), f"{field}[{i}]"
        if not is_mapping(node, "a mapping condition", where, sub, log):
            continue
        check_keys(node, CONDITION_KEYS, "a mapping condition", sub, log)
        loop = node.get("active_loop")
        if loop is not None:
            loop = text(
                loop, "active_loop", key_line(node, "active_loop"), join(sub, "active_loop"), log
            )
        requested = node.get("requested_slot")
        if requested is not None:
            requested = text(
                requested,
                "requested_slot",
                key_line(node, "requested_slot"),
                join(sub, "requested_slot"),
                log,
            )
        out.append(MappingCondition(loop, requested, file=log.file, line=where))
    return tuple(out)


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else kind_of(value)
