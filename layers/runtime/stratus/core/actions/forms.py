"""The form loop: activate, validate what the user gave through `validate_<form>`,
reject when the requested slot got nothing, ask for the next empty required slot,
finish when none is left.

Slot values come from `action_extract_slots` (run before the form, and again at its
activation with the form already active, which is when `from_trigger_intent` applies).
The form itself adds only what `validate_<form>` returns, never a second `slot` event
for a value that is already set.
"""

from __future__ import annotations

import logging

from stratus.core.actions.base import ActionContext
from stratus.core.actions.loops import LoopAction
from stratus.core.actions.remote import RemoteAction
from stratus.core.actions.slot_mappings import ActionExtractSlots
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_LISTEN, REQUESTED_SLOT, UTTER_PREFIX
from stratus.shared.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from stratus.shared.exceptions import ActionRejection
from stratus.shared.tracker import DialogueStateTracker

logger = logging.getLogger(__name__)


class FormAction(LoopAction):
    """A form from the domain's `forms:`."""

    def __init__(self, form_name: str) -> None:
        self._name = form_name

    @property
    def name(self) -> str:
        return self._name

    def required_slots(self, domain: Domain) -> tuple[str, ...]:
        return domain.required_slots_for_form(self.name)

    def slot_to_fill(self, tracker: DialogueStateTracker) -> str | None:
        """The slot this form asked for; None if another form (or none) is active."""
        if tracker.active_loop_name != self.name:
            return None
        value = tracker.get_slot(REQUESTED_SLOT)
        return value if isinstance(value, str) else None

    # -- the loop steps ------------------------------------------------------------------

    def activate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Fills slots that only apply once the form runs (`from_trigger_intent`), then
        validates every required slot that already has a value."""
        active = tracker.copy()
        active.update(ActiveLoop(self.name))
        extracted = [e for e in ActionExtractSlots().run(active, context) if isinstance(e, SlotSet)]
        for event in extracted:
            active.update(event)
        if not self._has_validator(context.domain):
            return list(extracted)
        prefilled = {
            name: active.get_slot(name)
            for name in self.required_slots(context.domain)
            if active.get_slot(name) is not None
        }
        validated = self.validate_slots(prefilled, active, context)
        named = {e.key for e in validated if isinstance(e, SlotSet)}
        return [*validated, *(e for e in extracted if e.key not in named)]

    def do(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]:
        events: list[Event] = []
        # Slots found at activation were validated there already.
        if not any(not isinstance(e, ActiveLoop) for e in events_so_far):
            events = self._validate_if_required(tracker, context)
        if not _rejected_manually(events):
            events += self.request_next_slot(tracker, context, [*events_so_far, *events])
        return events

    def is_done(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> bool:
        # `validate_<form>` may end the form early by setting `requested_slot` to null or
        # deactivating it; only the latest such event counts.
        if _rejected_manually(events_so_far):
            return False
        last_request = next(
            (
                e
                for e in reversed(events_so_far)
                if isinstance(e, SlotSet) and e.key == REQUESTED_SLOT
            ),
            None,
        )
        last_loop = next((e for e in reversed(events_so_far) if isinstance(e, ActiveLoop)), None)
        return (last_request is not None and last_request.value is None) or (
            last_loop is not None and last_loop.name is None
        )

    # -- validation ----------------------------------------------------------------------

    def _validate_if_required(
        self, tracker: DialogueStateTracker, context: ActionContext
    ) -> list[Event]:
        # After an interruption the user's message was about something else: nothing to
        # validate, but `validate_<form>` still runs so dynamic forms can pick the next slot.
        loop = tracker.active_loop
        needs_validation = loop is None or (
            tracker.latest_action_name == ACTION_LISTEN and not loop.is_interrupted
        )
        if needs_validation:
            return self.validate(tracker, context)
        return self.validate_slots({}, tracker, context)

    def validate(self, tracker: DialogueStateTracker, context: ActionContext) -> list[Event]:
        """Validates the required slots set since the user's message; rejects the run (so
        the policies handle the turn) if a slot was requested and nothing was found."""
        candidates = self._slot_candidates(tracker, context.domain)
        events = self.validate_slots(candidates, tracker, context)
        validated = any(isinstance(e, SlotSet) and e.key != REQUESTED_SLOT for e in events)
        requested = self.slot_to_fill(tracker)
        if requested and not candidates and not validated and not _rejected_manually(events):
            raise ActionRejection(
                self.name, f"Failed to extract slot {requested} with action {self.name}"
            )
        return events

    def _slot_candidates(self, tracker: DialogueStateTracker, domain: Domain) -> dict[str, object]:
        required = set(self.required_slots(domain))
        requested = self.slot_to_fill(tracker)
        if requested:
            required.add(requested)  # a dynamic form's extra slot
        return {
            event.key: event.value
            for event in _events_since_latest_user_message(tracker)
            if isinstance(event, SlotSet) and event.key in required
        }

    def _has_validator(self, domain: Domain) -> bool:
        return f"validate_{self.name}" in domain.action_names_or_texts

    def validate_slots(
        self, candidates: dict[str, object], tracker: DialogueStateTracker, context: ActionContext
    ) -> list[Event]:
        """What `validate_<form>` makes of the candidates (its events only: the candidates
        are already set); nothing without a validation action."""
        if not self._has_validator(context.domain):
            return []
        events: list[Event] = [SlotSet(name, value) for name, value in candidates.items()]
        return RemoteAction(f"validate_{self.name}").run(
            self._temporary_tracker(tracker, events), context
        )

    def _temporary_tracker(
        self, tracker: DialogueStateTracker, additional: list[Event]
    ) -> DialogueStateTracker:
        # What `validate_<form>` and ask actions see: the form running, with this run's
        # events so far (and `requested_slot` belonging to this form).
        temporary = tracker.copy()
        temporary.update(SlotSet(REQUESTED_SLOT, self.slot_to_fill(tracker)))
        temporary.update(ActionExecuted(self.name))
        for event in additional:
            temporary.update(event)
        return temporary

    # -- asking ----------------------------------------------------------------------------

    def request_next_slot(
        self, tracker: DialogueStateTracker, context: ActionContext, events_so_far: list[Event]
    ) -> list[Event]:
        if self.is_done(tracker, context, events_so_far):
            return [SlotSet(REQUESTED_SLOT, None)]
        # A dynamic form's validator names the next slot by setting `requested_slot`.
        chosen = next(
            (e.value for e in events_so_far if isinstance(e, SlotSet) and e.key == REQUESTED_SLOT),
            None,
        )
        temporary = self._temporary_tracker(tracker, events_so_far)
        events: list[Event] = []
        if not chosen:
            chosen = next(
                (s for s in self.required_slots(context.domain) if temporary.get_slot(s) is None),
                None,
            )
            events.append(SlotSet(REQUESTED_SLOT, chosen))
        if not chosen:
            return [SlotSet(REQUESTED_SLOT, None)]
        return [*events, *self._ask_for(str(chosen), temporary, context)]

    def ask_action_name(self, slot_name: str, domain: Domain) -> str | None:
        """The first existing of `action_ask_<form>_<slot>`, `utter_ask_<form>_<slot>`,
        `action_ask_<slot>`, `utter_ask_<slot>`."""
        candidates = (
            f"action_ask_{self.name}_{slot_name}",
            f"{UTTER_PREFIX}ask_{self.name}_{slot_name}",
            f"action_ask_{slot_name}",
            f"{UTTER_PREFIX}ask_{slot_name}",
        )
        known = set(domain.action_names_or_texts)
        return next((name for name in candidates if name in known), None)

    def _ask_for(
        self, slot_name: str, tracker: DialogueStateTracker, context: ActionContext
    ) -> list[Event]:
        action_name = self.ask_action_name(slot_name, context.domain)
        if action_name is None:
            # A custom action may be asking instead; nothing to do here.
            logger.debug("No action asks for slot '%s' of form '%s'.", slot_name, self.name)
            return []
        return context.action(action_name).run(tracker, context)


def _rejected_manually(events: list[Event]) -> bool:
    return any(isinstance(e, ActionExecutionRejected) for e in events)


def _events_since_latest_user_message(tracker: DialogueStateTracker) -> list[Event]:
    for index in range(len(tracker.events) - 1, -1, -1):
        if isinstance(tracker.events[index], UserUttered):
            return tracker.events[index:]
    return list(tracker.events)
