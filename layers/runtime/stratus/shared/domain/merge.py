"""Merging domains from several files, as Rasa merges a domain directory.

Everything is united by name. When two files define the same intent, entity, slot, form,
response or action, the first definition wins and a warning names both places (Rasa keeps
one and warns "duplicated ... across multiple domain files"). The session config and
`store_entities_as_slots` come from the first domain that sets a non-default value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from stratus.shared.domain.constants import DEFAULT_INTENTS
from stratus.shared.domain.domain import Domain, SessionConfig
from stratus.shared.domain.intents import Intent
from stratus.shared.domain.parsing import Located
from stratus.shared.domain.slots import Slot, implicit_slot
from stratus.shared.problems import Problem, warning

T = TypeVar("T", bound=Located)


def merge_domains(first: Domain, second: Domain) -> Domain:
    """`first` and `second` united; `first` wins every clash."""
    notes: list[Problem] = []
    intents = _union(
        [i for i in first.intents if not _is_default_intent(i)],
        [i for i in second.intents if not _is_default_intent(i)],
        "intent",
        "intents",
        notes,
    )
    default = SessionConfig()
    return Domain(
        intents=tuple(intents),
        entities=tuple(_union(first.entities, second.entities, "entity", "entities", notes)),
        slots=tuple(_union(_own_slots(first), _own_slots(second), "slot", "slots", notes)),
        forms=tuple(_union(first.forms, second.forms, "form", "forms", notes)),
        responses=tuple(_union(first.responses, second.responses, "response", "responses", notes)),
        actions=tuple(_union(first.actions, second.actions, "action", "actions", notes)),
        action_texts=(
            *first.action_texts,
            *(t for t in second.action_texts if t not in first.action_texts),
        ),
        session_config=(
            first.session_config if first.session_config != default else second.session_config
        ),
        store_entities_as_slots=first.store_entities_as_slots and second.store_entities_as_slots,
        warnings=(*first.warnings, *second.warnings, *notes),
    )


def _union(
    first: Iterable[T], second: Iterable[T], what: str, section: str, notes: list[Problem]
) -> list[T]:
    out = {_name(x): x for x in first}
    for item in second:
        name = _name(item)
        kept = out.get(name)
        if kept is None:
            out[name] = item
            continue
        same = "an identical" if kept == item else "a different"
        notes.append(
            warning(
                f"{what} '{name}' is defined in more than one domain file; {same} definition "
                f"at {kept.where} is kept",
                item.file,
                item.line,
                f"{section}.{name}",
            )
        )
    return list(out.values())


def _name(item: Located) -> str:
    return str(getattr(item, "name"))  # noqa: B009 - every merged item type has a name


def _is_default_intent(intent: Intent) -> bool:
    return intent.name in DEFAULT_INTENTS and intent == Intent(intent.name)


def _own_slots(domain: Domain) -> list[Slot]:
    """The slots a domain declares, without the ones Rasa adds by itself."""
    implicit = domain.implicit_slot_names
    return [s for s in domain.slots if not (s.name in implicit and s == implicit_slot(s.name))]
