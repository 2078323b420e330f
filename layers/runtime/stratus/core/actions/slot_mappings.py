"""Slot mappings and `action_extract_slots`, which applies them after every user message.

For each slot, its mappings are tried in order; a mapping is skipped when its entity or
intent is unknown, the intent filters (`intent`, `not_intent`, plus the active form's
`ignored_intents`) do not fit, its `conditions` fail, or the unique from_entity rule
fails. The first mapping yielding a value wins. `custom` mappings run their action.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from stratus.core.actions.base import Action, ActionContext
from stratus.core.actions.remote import RemoteAction
from stratus.shared.domain import Domain, Slot, SlotMapping
from stratus.shared.domain.constants import (
    ACTION_EXTRACT_SLOTS,
    ACTION_VALIDATE_SLOT_MAPPINGS,
    KNOWLEDGE_BASE_SLOTS,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
)
from stratus.shared.domain.mappings import (
    CUSTOM,
    FROM_ENTITY,
    FROM_INTENT,
    FROM_TEXT,
    FROM_TRIGGER_INTENT,
)
from stratus.shared.domain.slots import LIST
from stratus.shared.events import BotUttered, Event, SlotSet
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.shared.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)

# Slots Rasa fills itself; mappings never touch them.
BUILTIN_SLOTS = frozenset({REQUESTED_SLOT, SESSION_STARTED_METADATA_SLOT, *KNOWLEDGE_BASE_SLOTS})


def mapping_is_valid(slot: Slot, mapping: SlotMapping, domain: Domain) -> bool:
    """False (with a warning) for a mapping naming an entity or intent the domain lacks."""
    if mapping.type == FROM_ENTITY and mapping.entity not in domain.entity_names:
        logger.warning(
            "Slot '%s' maps from entity '%s', which the domain does not define; skipped.",
            slot.name,
            mapping.entity,
        )
        return False
    if mapping.type == FROM_INTENT:
        unknown = [i for i in mapping.intent if i not in domain.intent_names]
        if unknown:
            logger.warning(
                "Slot '%s' maps from intent '%s', which the domain does not define; skipped.",
                slot.name,
                unknown[0],
            )
            return False
    return True


def intent_is_desired(mapping: SlotMapping, tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Whether the latest intent passes the mapping's `intent` / `not_intent` filters;
    an active form's `ignored_intents` count as `not_intent` unless the mapping's
    conditions name other loops only."""
    not_intents = set(mapping.not_intent)
    loop = tracker.active_loop_name
    if loop:
        loops_in_conditions = [c.active_loop for c in mapping.conditions]
        if not mapping.conditions or loop in loops_in_conditions:
            form = domain.form(loop)
            not_intents.update(form.ignored_intents if form else ())
    intent = tracker.latest_message.intent_name
    if mapping.intent:
        return intent in mapping.intent
    return intent not in not_intents


def conditions_match(mapping: SlotMapping, tracker: DialogueStateTracker, slot_name: str) -> bool:
    """Whether one of the mapping's conditions holds (no conditions: always).

    `from_trigger_intent` mappings are exempt: their conditions say which form they
    fill at activation. While the form that requested this slot is rejected (the user
    answered something else), conditioned mappings for it stay off until the form
    runs again.
    """
    if not mapping.conditions or mapping.type == FROM_TRIGGER_INTENT:
        return True
    requested = tracker.get_slot(REQUESTED_SLOT)
    if tracker.is_active_loop_rejected and requested == slot_name:
        return False
    loop = tracker.active_loop_name
    for condition in mapping.conditions:
        if (
            condition.active_loop
            and condition.active_loop == loop
            and (not condition.requested_slot or condition.requested_slot == requested)
        ):
            return True
        if condition.active_loop is None and loop is None:
            return True
    return False


def mapping_key(mapping: SlotMapping) -> str:
    """The mapping's identity for the unique from_entity rule (its JSON, sorted)."""
    return json.dumps(mapping.as_dict(), sort_keys=True)


@lru_cache(maxsize=128)
def unique_entity_mappings(domain: Domain, form_name: str) -> frozenset[str]:
    """from_entity mappings that occur exactly once among the form's required slots."""
    seen: dict[str, int] = {}
    for slot_name in domain.required_slots_for_form(form_name):
        slot = domain.slot(slot_name)
        for mapping in slot.mappings if slot else ():
            if mapping.type == FROM_ENTITY:
                key = mapping_key(mapping)
                seen[key] = seen.get(key, 0) + 1
    return frozenset(key for key, count in seen.items() if count == 1)


def fails_unique_entity_rule(
    slot_name: str, mapping: SlotMapping, tracker: DialogueStateTracker, domain: Domain
) -> bool:
    """With a form active, a required slot that is not the requested one is filled from
    an entity only if no other required slot has the very same entity mapping."""
    form = tracker.active_loop_name
    if mapping.type != FROM_ENTITY or not form:
        return False
    if tracker.get_slot(REQUESTED_SLOT) == slot_name:
        return False
    if slot_name not in domain.required_slots_for_form(form):
        return False
    return mapping_key(mapping) not in unique_entity_mappings(domain, form)


def entity_fits(mapping: SlotMapping, tracker: DialogueStateTracker) -> bool:
    """Whether the latest message has an entity of the mapping's type, role and group
    (None must equal None: a mapping without a role ignores entities with one)."""
    return any(
        entity.get("entity") == mapping.entity
        and entity.get("role") == mapping.role
        and entity.get("group") == mapping.group
        for entity in tracker.latest_message.entities or []
    )


def predefined_values(mapping: SlotMapping, tracker: DialogueStateTracker) -> list[object]:
    """The candidate values a non-custom mapping gives for the latest message."""
    if mapping.type == FROM_ENTITY:
        if not entity_fits(mapping, tracker):
            return []
        assert mapping.entity is not None
        return list(tracker.get_latest_entity_values(mapping.entity, mapping.role, mapping.group))
    if mapping.type == FROM_INTENT:
        return [mapping.value]
    if mapping.type == FROM_TRIGGER_INTENT:
        # Fills only while a form runs (at its activation the form is already active),
        # and only the forms its conditions name, if any.
        loop = tracker.active_loop_name
        loops = [c.active_loop for c in mapping.conditions]
        if loop is None or (loops and loop not in loops):
            return []
        return [mapping.value]
    if mapping.type == FROM_TEXT:
        return [tracker.latest_message.text]
    return []


class ActionExtractSlots(Action):
    """Fills every slot whose mapping applies to the latest user message, requested or
    not; then `action_validate_slot_mappings` may correct the values, if defined."""

    @property
    def name(self) -> str:
        return ACTION_EXTRACT_SLOTS

    def run(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        domain = context.domain
        events: list[Event] = []
        custom_done: set[str] = set()
        for slot in domain.slots:
            if slot.name in BUILTIN_SLOTS:
                continue
            for mapping in slot.mappings:
                if not (
                    mapping_is_valid(slot, mapping, domain)
                    and intent_is_desired(mapping, tracker, domain)
                    and conditions_match(mapping, tracker, slot.name)
                    and not fails_unique_entity_rule(slot.name, mapping, tracker, domain)
                ):
                    continue
                if mapping.type == CUSTOM:
                    if mapping.action and mapping.action not in custom_done:
                        custom_done.add(mapping.action)
                        events += _custom_slot_events(mapping.action, tracker, context)
                    continue
                values = predefined_values(mapping, tracker)
                if not values:
                    continue
                value = values if slot.type == LIST else values[-1]
                if value is not None or tracker.get_slot(slot.name) is not None:
                    events.append(SlotSet(slot.name, value))
                    break
        return self._validated(events, tracker, context)

    def _validated(
        self, events: list[Event], tracker: DialogueStateTracker, context: ActionContext
    ) -> list[Event]:
        slot_events = [e for e in events if isinstance(e, SlotSet)]
        if not any(a.name == ACTION_VALIDATE_SLOT_MAPPINGS for a in context.domain.actions):
            return list(slot_events)
        candidate = tracker.copy()
        for event in slot_events:
            candidate.update(event)
        validated = _custom_slot_events(ACTION_VALIDATE_SLOT_MAPPINGS, candidate, context)
        # A candidate the validator does not mention is taken as valid.
        named = {e.key for e in validated if isinstance(e, SlotSet)}
        return [*validated, *(e for e in slot_events if e.key not in named)]


def _custom_slot_events(
    action_name: str, tracker: DialogueStateTracker, context: ActionContext
) -> list[Event]:
    """Runs a slot-filling custom action; keeps only its `slot` and `bot` events."""
    try:
        events = RemoteAction(action_name).run(tracker, context)
    except (ActionFailure, ActionRejection) as error:
        logger.warning(
            "Conversation '%s': custom slot action '%s' failed (%s); its slots stay unfilled.",
            tracker.sender_id,
            action_name,
            error,
        )
        return []
    kept: list[Event] = [e for e in events if isinstance(e, SlotSet | BotUttered)]
    for dropped in {e.type_name for e in events if not isinstance(e, SlotSet | BotUttered)}:
        logger.info(
            "Custom slot action '%s' returned a '%s' event, which slot extraction ignores.",
            action_name,
            dropped,
        )
    return kept
