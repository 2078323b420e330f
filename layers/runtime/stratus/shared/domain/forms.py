"""Forms (Rasa 3 syntax): `forms: {name: {required_slots: [..], ignored_intents: [..]}}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    is_mapping,
    item_line,
    join,
    key_line,
    kind_of,
    names,
)

FORM_KEYS = ("required_slots", "ignored_intents")


@dataclass(frozen=True)
class Form(Located):
    """A form: the slots it asks for, in order, and intents that never fill its slots."""

    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"required_slots": list(self.required_slots)}
        if self.ignored_intents:
            d["ignored_intents"] = list(self.ignored_intents)
        return d


def read_forms(value: Any, line: int | None, log: ProblemLog) -> tuple[Form, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        log.error(
            "forms must be a mapping of form names to their `required_slots` "
            "(Rasa 3 syntax), not a list",
            line,
            "forms",
        )
        return ()
    if not is_mapping(value, "forms", line, "forms", log):
        return ()
    out = []
    for name, node in value.items():
        form = _read_form(str(name), node, key_line(value, name), log)
        if form is not None:
            out.append(form)
    return tuple(out)


def _read_form(name: str, node: Any, line: int | None, log: ProblemLog) -> Form | None:
    field = f"forms.{name}"
    if node is None:
        return Form(name, file=log.file, line=line)
    if not is_mapping(node, f"form '{name}'", line, field, log):
        return None
    errors_before = len(log.errors)
    check_keys(node, FORM_KEYS, f"form '{name}'", field, log)
    required = node.get("required_slots")
    where = key_line(node, "required_slots")
    if isinstance(required, dict):
        log.error(
            "required_slots is a list of slot names in Rasa 3; move each slot's mappings "
            "to the slot's own `mappings:` under `slots:`",
            where,
            join(field, "required_slots"),
        )
        required = None
    elif required is not None and not isinstance(required, list):
        log.error(
            f"required_slots must be a list of slot names, not {kind_of(required)}",
            where,
            join(field, "required_slots"),
        )
        required = None
    slots = names(required, "required_slots", where, join(field, "required_slots"), log)
    _warn_repeats(slots, required, field, log)
    if "ignored_intents" in node and "required_slots" not in node:
        log.error(
            "a form with `ignored_intents` also needs `required_slots`",
            key_line(node, "ignored_intents"),
            join(field, "required_slots"),
        )
    ignored = names(
        node.get("ignored_intents"),
        "ignored_intents",
        key_line(node, "ignored_intents"),
        join(field, "ignored_intents"),
        log,
        single_ok=True,
    )
    if len(log.errors) > errors_before:
        return None
    return Form(name, slots, ignored, file=log.file, line=line)


def _warn_repeats(slots: tuple[str, ...], raw: Any, field: str, log: ProblemLog) -> None:
    seen: set[str] = set()
    for i, slot in enumerate(slots):
        if slot in seen:
            log.warn(
                f"slot '{slot}' is required twice; the form asks for it once",
                item_line(raw, i),
                join(field, "required_slots"),
            )
        seen.add(slot)
