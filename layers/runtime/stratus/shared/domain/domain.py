"""The Domain: intents, entities, slots, forms, responses and actions of an assistant."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from stratus.shared.domain.actions import VALIDATION_PREFIX, Action, ordered_action_names
from stratus.shared.domain.constants import (
    ACTION_QUERY_KNOWLEDGE_BASE,
    DEFAULT_CARRY_OVER_SLOTS,
    DEFAULT_INTENTS,
    DEFAULT_SESSION_EXPIRATION_MINUTES,
    KNOWLEDGE_BASE_SLOTS,
    LATEST_FORMAT_VERSION,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
    UTTER_PREFIX,
)
from stratus.shared.domain.forms import Form
from stratus.shared.domain.intents import Entity, Intent, used_entities
from stratus.shared.domain.responses import Response
from stratus.shared.domain.slots import Slot, implicit_slot
from stratus.shared.problems import Problem, warning


@dataclass(frozen=True)
class SessionConfig:
    """When a conversation session expires (minutes; 0 = never) and what it carries over."""

    session_expiration_time: float = DEFAULT_SESSION_EXPIRATION_MINUTES
    carry_over_slots_to_new_session: bool = DEFAULT_CARRY_OVER_SLOTS

    @property
    def are_sessions_enabled(self) -> bool:
        return self.session_expiration_time > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_expiration_time": self.session_expiration_time,
            "carry_over_slots_to_new_session": self.carry_over_slots_to_new_session,
        }


@dataclass(frozen=True)
class Domain:
    """A loaded, validated domain. Build it with `load_domain` or `domain_from_dict`.

    Construction completes it the way Rasa does: `intents` always holds Rasa's default
    intents and is sorted by name; `slots` ends with the slots Rasa adds by itself
    (`requested_slot` when there are forms, the knowledge-base slots when
    `action_query_knowledge_base` is declared, and always `session_started_metadata`).
    `actions` are only the declared ones; `action_names` is the full ordered list.
    `warnings` never take part in equality.
    """

    intents: tuple[Intent, ...] = ()
    entities: tuple[Entity, ...] = ()
    slots: tuple[Slot, ...] = ()
    forms: tuple[Form, ...] = ()
    responses: tuple[Response, ...] = ()
    actions: tuple[Action, ...] = ()
    action_texts: tuple[str, ...] = ()  # end-to-end bot utterances (`e2e_actions`)
    session_config: SessionConfig = SessionConfig()
    store_entities_as_slots: bool = True
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        declared = {i.name for i in self.intents}
        intents = (*self.intents, *(Intent(n) for n in DEFAULT_INTENTS if n not in declared))
        object.__setattr__(self, "intents", tuple(sorted(intents, key=lambda i: i.name)))
        object.__setattr__(self, "slots", self._completed_slots())

    def _completed_slots(self) -> tuple[Slot, ...]:
        # A declared slot identical to one Rasa adds is moved to the end with the others,
        # so that `as_dict` can leave it out and a round trip gives an equal domain.
        implicit = self.implicit_slot_names
        kept = [s for s in self.slots if not (s.name in implicit and s == implicit_slot(s.name))]
        own = {s.name for s in kept}
        existing = {s.name: s for s in self.slots}
        added = [existing.get(n, implicit_slot(n)) for n in implicit if n not in own]
        return (*kept, *added)

    @property
    def implicit_slot_names(self) -> tuple[str, ...]:
        """Slots Rasa adds to this domain by itself (unless declared otherwise)."""
        names: list[str] = []
        if self.forms:
            names.append(REQUESTED_SLOT)
        if any(a.name == ACTION_QUERY_KNOWLEDGE_BASE for a in self.actions):
            names.extend(KNOWLEDGE_BASE_SLOTS)
        names.append(SESSION_STARTED_METADATA_SLOT)
        return tuple(names)

    @classmethod
    def empty(cls) -> Domain:
        return cls()

    def is_empty(self) -> bool:
        return self == Domain()

    # -- lookups -------------------------------------------------------------------------

    @cached_property
    def intent_names(self) -> tuple[str, ...]:
        """All intent names, default intents included, sorted (Rasa's `Domain.intents`)."""
        return tuple(i.name for i in self.intents)

    @cached_property
    def _intents(self) -> Mapping[str, Intent]:
        return {i.name: i for i in self.intents}

    def intent(self, name: str) -> Intent | None:
        return self._intents.get(name)

    @cached_property
    def entity_names(self) -> tuple[str, ...]:
        """Entity names, sorted (Rasa's `Domain.entities`)."""
        return tuple(sorted(e.name for e in self.entities))

    @cached_property
    def _entities(self) -> Mapping[str, Entity]:
        return {e.name: e for e in self.entities}

    def entity(self, name: str) -> Entity | None:
        return self._entities.get(name)

    @cached_property
    def _used_entities(self) -> Mapping[str, tuple[str, ...]]:
        return {i.name: used_entities(i, self.entities) for i in self.intents}

    def used_entities(self, intent_name: str) -> tuple[str, ...] | None:
        """Entity labels featurized after `intent_name` (`entity`, `entity#role`, ...).

        None for an intent the domain does not know: then no entity is filtered out.
        """
        return self._used_entities.get(intent_name)

    @cached_property
    def slot_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.slots)

    @cached_property
    def _slots(self) -> Mapping[str, Slot]:
        return {s.name: s for s in self.slots}

    def slot(self, name: str) -> Slot | None:
        return self._slots.get(name)

    @cached_property
    def form_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.forms)

    def form(self, name: str) -> Form | None:
        return next((f for f in self.forms if f.name == name), None)

    def required_slots_for_form(self, name: str) -> tuple[str, ...]:
        form = self.form(name)
        return form.required_slots if form else ()

    @cached_property
    def response_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.responses)

    @cached_property
    def _responses(self) -> Mapping[str, Response]:
        return {r.name: r for r in self.responses}

    def response(self, name: str) -> Response | None:
        return self._responses.get(name)

    @cached_property
    def retrieval_intents(self) -> tuple[str, ...]:
        """Intents marked `is_retrieval_intent` (from NLU data) or with `utter_<intent>/<key>`
        responses, sorted."""
        from_responses = {r.retrieval_intent for r in self.responses}
        return tuple(
            i.name for i in self.intents if i.is_retrieval_intent or i.name in from_responses
        )

    def retrieval_responses(self, intent: str) -> tuple[Response, ...]:
        """The `utter_<intent>/<key>` responses of a retrieval intent."""
        return tuple(r for r in self.responses if r.retrieval_intent == intent)

    # -- actions -------------------------------------------------------------------------

    @cached_property
    def action_names(self) -> tuple[str, ...]:
        """Every action, in the deterministic order the dialogue policies index them by.

        Rasa 3.6's order: its 13 default actions (`action_listen` first), the declared
        actions as declared, `utter_<intent>` for each retrieval intent (sorted), every
        response not declared as an action (sorted by name), then the forms.
        """
        return ordered_action_names(
            (a.name for a in self.actions),
            (f"{UTTER_PREFIX}{i}" for i in self.retrieval_intents),
            self.response_names,
            self.form_names,
        )

    @cached_property
    def action_names_or_texts(self) -> tuple[str, ...]:
        """`action_names` followed by the end-to-end bot utterances (Rasa's featurized list)."""
        names = set(self.action_names)
        return (*self.action_names, *(t for t in self.action_texts if t not in names))

    def action_index(self, name_or_text: str) -> int:
        """Index of an action (or e2e bot text) in `action_names_or_texts`; KeyError if unknown."""
        try:
            return self._action_indices[name_or_text]
        except KeyError:
            raise KeyError(f"'{name_or_text}' is not an action of this domain") from None

    @cached_property
    def _action_indices(self) -> Mapping[str, int]:
        return {name: i for i, name in enumerate(self.action_names_or_texts)}

    def sends_domain(self, action_name: str) -> bool:
        """Whether the action server gets the domain for this action under selective domain."""
        if action_name.startswith(VALIDATION_PREFIX) and any(
            a.name == action_name for a in self.actions
        ):
            return True
        return any(a.name == action_name and a.send_domain for a in self.actions)

    # -- building new domains ------------------------------------------------------------

    def merge(self, other: Domain) -> Domain:
        """Both domains in one; on a clash this domain's definition wins (see merge.py)."""
        from stratus.shared.domain.merge import merge_domains

        return merge_domains(self, other)

    def with_responses(self, responses: Iterable[Response]) -> Domain:
        """This domain plus responses found in data files, which win over the domain's own
        responses of the same name (as in Rasa's ResponsesSyncImporter)."""
        mine = {r.name: r for r in self.responses}
        notes: list[Problem] = []
        for r in responses:
            old = mine.get(r.name)
            if old is not None and old != r:
                notes.append(
                    warning(
                        f"response '{r.name}' is also defined at {old.where}; the "
                        "one in this data file is used",
                        r.file,
                        r.line,
                        f"responses.{r.name}",
                    )
                )
            mine[r.name] = r
        return replace(self, responses=tuple(mine.values()), warnings=(*self.warnings, *notes))

    def with_retrieval_intents(self, names: Iterable[str]) -> Domain:
        """Mark intents as retrieval intents (those NLU data uses as `intent/key`); an intent
        missing from the domain is added, as Rasa does."""
        wanted = set(names)
        intents = [
            replace(i, is_retrieval_intent=True) if i.name in wanted else i for i in self.intents
        ]
        known = {i.name for i in self.intents}
        intents += [Intent(n, is_retrieval_intent=True) for n in sorted(wanted - known)]
        return replace(self, intents=tuple(intents))

    def with_action_texts(self, texts: Iterable[str]) -> Domain:
        """Add end-to-end bot utterances from stories (Rasa's E2EImporter)."""
        new = sorted(set(texts) - set(self.action_texts))
        return replace(self, action_texts=(*self.action_texts, *new))

    # -- serialization -------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The domain as Rasa's `GET /domain` JSON; `domain_from_dict` reads it back equal.

        Every key is present even when empty. Default intents and the slots Rasa adds by
        itself are left out unless their definition differs from Rasa's default.
        """
        implicit = self.implicit_slot_names
        return {
            "version": LATEST_FORMAT_VERSION,
            "intents": [
                i.as_dict()
                for i in self.intents
                if not (i.name in DEFAULT_INTENTS and i == Intent(i.name))
            ],
            "entities": [e.as_dict() for e in self.entities],
            "slots": {
                s.name: s.as_dict()
                for s in self.slots
                if not (s.name in implicit and s == implicit_slot(s.name))
            },
            "responses": {r.name: r.as_dict() for r in self.responses},
            "actions": [a.as_dict() for a in self.actions],
            "forms": {f.name: f.as_dict() for f in self.forms},
            "e2e_actions": list(self.action_texts),
            "session_config": self.session_config.as_dict(),
            "config": {"store_entities_as_slots": self.store_entities_as_slots},
        }

    def to_json(self) -> str:
        """A stable serialization (sorted keys), fit for fingerprints."""
        return json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, default=str)

    def fingerprint(self) -> str:
        """A hex digest that changes exactly when the domain's content changes."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def __hash__(self) -> int:
        # Consistent with equality (equal domains have equal names) without hashing the
        # dict-valued parts (response payloads, custom slot options).
        return hash((self.intent_names, self.slot_names, self.action_names_or_texts))

    def __repr__(self) -> str:
        return (
            f"Domain({len(self.intents)} intents, {len(self.entities)} entities, "
            f"{len(self.slots)} slots, {len(self.forms)} forms, {len(self.responses)} responses, "
            f"{len(self.action_names_or_texts)} actions)"
        )
