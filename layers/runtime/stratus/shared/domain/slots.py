"""Slots: the typed memory of a conversation, as declared under `slots:`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.domain.constants import (
    DEFAULT_CATEGORICAL_VALUE,
    KNOWLEDGE_BASE_SLOTS,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
)
from stratus.shared.domain.mappings import SlotMapping, read_mappings
from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    flag,
    is_mapping,
    join,
    key_line,
    kind_of,
    number,
    plain,
)
from stratus.shared.problems import suggest

TEXT, BOOL, CATEGORICAL, FLOAT, LIST, ANY = "text", "bool", "categorical", "float", "list", "any"
BUILTIN_TYPES = (TEXT, BOOL, CATEGORICAL, FLOAT, LIST, ANY)
# Rasa's own class paths (what its persisted domains say) name the built-in types.
_RASA_SLOT_CLASSES = {
    "rasa.shared.core.slots.TextSlot": TEXT,
    "rasa.shared.core.slots.BooleanSlot": BOOL,
    "rasa.shared.core.slots.CategoricalSlot": CATEGORICAL,
    "rasa.shared.core.slots.FloatSlot": FLOAT,
    "rasa.shared.core.slots.ListSlot": LIST,
    "rasa.shared.core.slots.AnySlot": ANY,
}
COMMON_KEYS = (
    "type",
    "mappings",
    "initial_value",
    "influence_conversation",
    "shared_for_coexistence",
)
_TYPE_KEYS = {CATEGORICAL: ("values",), FLOAT: ("min_value", "max_value")}
# Accepted by Rasa's Slot constructor but never implemented there.
_INERT_KEYS = ("value_reset_delay",)
DEFAULT_MIN_VALUE = 0.0
DEFAULT_MAX_VALUE = 1.0


@dataclass(frozen=True)
class Slot(Located):
    """A slot. `type` is a built-in type name or, for a custom slot, its `module.ClassName`.

    A categorical slot's `values` are lowercased strings and always end with `__other__`
    (Rasa featurizes any unlisted value as that). `options` holds the extra keys of a
    custom slot type, passed to its class as keyword arguments.
    """

    name: str
    type: str
    mappings: tuple[SlotMapping, ...] = ()
    initial_value: Any = None
    influence_conversation: bool = True
    values: tuple[str, ...] = ()
    min_value: float = DEFAULT_MIN_VALUE
    max_value: float = DEFAULT_MAX_VALUE
    shared_for_coexistence: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type == CATEGORICAL and DEFAULT_CATEGORICAL_VALUE not in self.values:
            object.__setattr__(self, "values", (*self.values, DEFAULT_CATEGORICAL_VALUE))

    @property
    def is_custom(self) -> bool:
        return self.type not in BUILTIN_TYPES

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "initial_value": self.initial_value,
            "influence_conversation": self.influence_conversation,
            "mappings": [m.as_dict() for m in self.mappings],
        }
        if self.type == CATEGORICAL:
            d["values"] = [v for v in self.values if v != DEFAULT_CATEGORICAL_VALUE]
        if self.type == FLOAT:
            d["min_value"] = self.min_value
            d["max_value"] = self.max_value
        if self.shared_for_coexistence:
            d["shared_for_coexistence"] = True
        d.update(self.options)
        return d


def implicit_slot(name: str) -> Slot:
    """A slot Rasa adds by itself: requested_slot, knowledge-base slots, session metadata."""
    if name == SESSION_STARTED_METADATA_SLOT:
        return Slot(name, ANY, influence_conversation=False)
    if name == REQUESTED_SLOT or name in KNOWLEDGE_BASE_SLOTS:
        return Slot(name, TEXT, influence_conversation=False)
    raise KeyError(name)


def read_slots(value: Any, line: int | None, log: ProblemLog) -> tuple[Slot, ...]:
    """The `slots:` mapping, in declaration order (Rasa does not sort slots)."""
    if value is None or not is_mapping(value, "slots", line, "slots", log):
        return ()
    out = []
    for name, node in value.items():
        slot = _read_slot(str(name), node, key_line(value, name), log)
        if slot is not None:
            out.append(slot)
    return tuple(out)


def _read_slot(name: str, node: Any, line: int | None, log: ProblemLog) -> Slot | None:
    field = f"slots.{name}"
    if node is None:
        log.error("a slot needs at least `type:` and `mappings:`", line, field)
        return None
    if not is_mapping(node, f"slot '{name}'", line, field, log):
        return None
    errors_before = len(log.errors)
    kind = _slot_type(node, line, field, log)
    if kind is None:
        return None
    custom = kind not in BUILTIN_TYPES
    if not custom:
        allowed = COMMON_KEYS + _TYPE_KEYS.get(kind, ())
        for key in node:
            if key in _INERT_KEYS:
                log.warn(
                    f"'{key}' has no effect (Rasa never implemented it)",
                    key_line(node, key),
                    join(field, key),
                )
            elif key not in allowed and any(key in keys for keys in _TYPE_KEYS.values()):
                log.error(
                    f"'{key}' only applies to "
                    f"{' or '.join(t for t, k in _TYPE_KEYS.items() if key in k)} slots, "
                    f"not to {kind} slots",
                    key_line(node, key),
                    join(field, key),
                )
        check_keys(
            node,
            allowed,
            f"a {kind} slot",
            field,
            log,
            skip=_INERT_KEYS + tuple(k for ks in _TYPE_KEYS.values() for k in ks),
        )

    mappings: tuple[SlotMapping, ...] = ()
    if "mappings" not in node:
        log.error(
            "a slot needs `mappings:` in Rasa 3 (slots are no longer filled automatically); "
            "write `mappings: [{type: custom}]` if only custom actions set it",
            line,
            join(field, "mappings"),
        )
    else:
        mappings = read_mappings(
            node["mappings"], key_line(node, "mappings"), join(field, "mappings"), log
        )

    influence = kind != ANY
    if "influence_conversation" in node:
        got = flag(
            node["influence_conversation"],
            "influence_conversation",
            key_line(node, "influence_conversation"),
            join(field, "influence_conversation"),
            log,
        )
        influence = bool(got) if got is not None else influence
        if kind == ANY and got:
            log.error(
                "an `any` slot cannot influence the conversation; use another slot type "
                "(or a custom one) to featurize it",
                key_line(node, "influence_conversation"),
                join(field, "influence_conversation"),
            )
    shared = False
    if "shared_for_coexistence" in node:
        shared = bool(
            flag(
                node["shared_for_coexistence"],
                "shared_for_coexistence",
                key_line(node, "shared_for_coexistence"),
                join(field, "shared_for_coexistence"),
                log,
            )
        )

    initial = plain(node.get("initial_value"))
    values: tuple[str, ...] = ()
    low, high = DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE
    if kind == CATEGORICAL:
        values = _categorical_values(node, field, log)
    elif kind == FLOAT:
        low, high = _float_range(node, initial, line, field, log)
    options = {k: plain(v) for k, v in node.items() if k not in COMMON_KEYS} if custom else {}
    if len(log.errors) > errors_before:
        return None
    return Slot(
        name,
        kind,
        mappings,
        initial,
        influence,
        values,
        low,
        high,
        shared,
        options,
        file=log.file,
        line=line,
    )


def _slot_type(node: Any, line: int | None, field: str, log: ProblemLog) -> str | None:
    if "type" not in node or node["type"] is None:
        log.error(
            f"a slot needs a type: one of {', '.join(BUILTIN_TYPES)}, or the "
            "module path of a custom slot class",
            line,
            join(field, "type"),
        )
        return None
    kind = node["type"]
    where = key_line(node, "type")
    if not isinstance(kind, str):
        log.error(f"a slot type must be text, not {kind_of(kind)}", where, join(field, "type"))
        return None
    if kind in BUILTIN_TYPES:
        return kind
    if kind in _RASA_SLOT_CLASSES:
        return _RASA_SLOT_CLASSES[kind]
    if kind == "unfeaturized":
        log.error(
            "slot type 'unfeaturized' was removed in Rasa 3; use `type: any` (or another "
            "type with `influence_conversation: false`)",
            where,
            join(field, "type"),
        )
        return None
    if "." in kind.strip(".") and " " not in kind:
        return kind  # a custom slot class, `module.ClassName`
    log.error(
        f"unknown slot type '{kind}'.{suggest(kind, BUILTIN_TYPES)} Known types: "
        f"{', '.join(BUILTIN_TYPES)}, or a custom slot class as `module.ClassName`.",
        where,
        join(field, "type"),
    )
    return None


def _categorical_values(node: Any, field: str, log: ProblemLog) -> tuple[str, ...]:
    raw = node.get("values")
    where = key_line(node, "values")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        log.error(f"values must be a list, not {kind_of(raw)}", where, join(field, "values"))
        return ()
    if any(v is None for v in raw):
        log.warn(
            "null is not a possible value (it means 'not set') and is ignored; "
            'write "null" in quotes if you mean the text',
            where,
            join(field, "values"),
        )
    bad = [v for v in raw if isinstance(v, dict | list)]
    if bad:
        log.error(
            f"values must be plain values, not {kind_of(bad[0])}", where, join(field, "values")
        )
    # Rasa compares categorical values case-insensitively, as lowercased strings.
    return tuple(str(v).lower() for v in raw if v is not None and not isinstance(v, dict | list))


def _float_range(
    node: Any, initial: Any, line: int | None, field: str, log: ProblemLog
) -> tuple[float, float]:
    bounds = []
    for key, default in (("min_value", DEFAULT_MIN_VALUE), ("max_value", DEFAULT_MAX_VALUE)):
        got = None
        if node.get(key) is not None:
            got = number(node[key], key, key_line(node, key), join(field, key), log)
        bounds.append(default if got is None else got)
    low, high = bounds
    if low >= high:
        log.error(
            f"min_value ({low}) must be smaller than max_value ({high})",
            key_line(node, "min_value") or line,
            join(field, "min_value"),
        )
    if initial is not None:
        where = key_line(node, "initial_value")
        if not isinstance(initial, int | float) or isinstance(initial, bool):
            log.error(
                f"the initial_value of a float slot must be a number, not {kind_of(initial)}",
                where,
                join(field, "initial_value"),
            )
        elif not low <= initial <= high:
            log.warn(
                f"initial_value {initial} is outside min_value {low} .. max_value {high}",
                where,
                join(field, "initial_value"),
            )
    return low, high
