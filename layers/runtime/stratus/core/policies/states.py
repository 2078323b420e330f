"""Dialogue states: what a tracker looks like to the policies, exactly as Rasa 3.6 sees it.

A state is a dict of up to four sub-states (Rasa's `State`):

    {"user": {"intent": "greet", "entities": ("name",)} or {"text": "hi"},
     "prev_action": {"action_name": "utter_greet"} or {"action_text": "Hello!"},
     "active_loop": {"name": "restaurant_form"},
     "slots": {"cuisine": (1.0,), "vegetarian": (1.0, 0.0)}}

Empty sub-states are left out. `past_states` gives one state before every applied action
plus the current state. Training (story trackers, rule trackers) and serving use this
one module, so the keys they produce cannot drift apart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.domain.slots import BOOL, CATEGORICAL, FLOAT, LIST, Slot
from stratus.shared.events import ACTION_LISTEN_NAME
from stratus.shared.tracker import SHOULD_NOT_BE_SET, DialogueStateTracker

State = dict[str, dict[str, Any]]

USER = "user"
SLOTS = "slots"
PREVIOUS_ACTION = "prev_action"
ACTIVE_LOOP = "active_loop"
INTENT = "intent"
TEXT_KEY = "text"
ENTITIES = "entities"
ACTION_NAME = "action_name"
ACTION_TEXT = "action_text"
LOOP_NAME = "name"
# Keys of RulePolicy's `rule_only_data` (slots and loops that only rules mention).
RULE_ONLY_SLOTS = "rule_only_slots"
RULE_ONLY_LOOPS = "rule_only_loops"


# -- slots --------------------------------------------------------------------------------


def _bool_from_any(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1.0
    if isinstance(value, str):
        if value.isnumeric():
            return float(value) == 1.0
        if value.strip().lower() == "true":
            return True
        if value.strip().lower() == "false":
            return False
        raise ValueError(value)
    raise TypeError(value)


def slot_dimension(slot: Slot) -> int:
    """Length of the slot's feature vector; 0 for a slot that does not influence."""
    if not slot.influence_conversation:
        return 0
    if slot.type in (BOOL, FLOAT):
        return 2
    if slot.type == CATEGORICAL:
        return len(slot.values)
    return 1  # text, list and custom slots: set or not


def slot_features(slot: Slot, value: Any) -> list[float]:
    """Rasa's `Slot.as_feature()`: [] when the slot does not influence the conversation."""
    if not slot.influence_conversation:
        return []
    try:
        if slot.type == BOOL:
            return [1.0, float(_bool_from_any(value))] if value is not None else [0.0, 0.0]
        if slot.type == FLOAT:
            capped = max(slot.min_value, min(slot.max_value, float(value)))
            covered = abs(slot.max_value - slot.min_value) or 1.0
            return [1.0, (capped - slot.min_value) / covered]
        if slot.type == CATEGORICAL:
            features = [0.0] * len(slot.values)
            if value is None:
                return features
            wanted = str(value).lower()
            index = slot.values.index(wanted) if wanted in slot.values else len(slot.values) - 1
            features[index] = 1.0  # `__other__` is always last
            return features
        if slot.type == LIST:
            return [1.0 if value is not None and len(value) > 0 else 0.0]
    except (TypeError, ValueError):
        return [0.0] * slot_dimension(slot)
    # text and custom slot types: set or not
    return [1.0 if value is not None else 0.0]


def _is_should_not_be_set(value: Any) -> bool:
    return value == SHOULD_NOT_BE_SET or value == [SHOULD_NOT_BE_SET]


def slots_sub_state(
    tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False
) -> dict[str, Any]:
    """Featurized slots: set, influencing slots with a non-zero feature vector."""
    out: dict[str, Any] = {}
    for slot in domain.slots:
        if not slot.influence_conversation or slot_dimension(slot) == 0:
            continue
        if omit_unset_slots and not tracker.slot_has_been_set(slot.name):
            continue
        value = tracker.get_slot(slot.name)
        if _is_should_not_be_set(value):
            out[slot.name] = SHOULD_NOT_BE_SET
            continue
        features = slot_features(slot, value)
        if any(features):
            out[slot.name] = tuple(features)
    return out


# -- one state ----------------------------------------------------------------------------


def user_sub_state(tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """The latest message: intent (+ used entities) or text, as Rasa featurizes it."""
    message = tracker.latest_message
    if message.is_empty():
        return {}
    sub_state: dict[str, Any] = dict(message.as_sub_state())
    labels = set(sub_state.get(ENTITIES, ()))
    wanted = domain.used_entities(message.intent_name) if message.intent_name else None
    if wanted is not None:
        labels &= set(wanted)
    if labels:
        sub_state[ENTITIES] = tuple(sorted(labels))
    else:
        sub_state.pop(ENTITIES, None)
    return sub_state


def active_state(
    tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False
) -> State:
    """The tracker's current state (Rasa's `Domain.get_active_state`)."""
    loop = tracker.active_loop
    state: State = {
        USER: user_sub_state(tracker, domain),
        SLOTS: slots_sub_state(tracker, domain, omit_unset_slots),
        PREVIOUS_ACTION: dict(tracker.latest_action),
        ACTIVE_LOOP: {LOOP_NAME: loop.name} if loop is not None and loop.name else {},
    }
    return _clean(state)


def _clean(state: State) -> State:
    return {key: sub for key, sub in state.items() if sub}


def past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Mapping[str, Any] | None = None,
) -> list[State]:
    """One state before each applied action, then the current state
    (Rasa's `Domain.states_for_tracker_history`).

    With `ignore_rule_only_turns` (what ML policies see at prediction time), turns of
    rules that no story contains (actions with `hide_rule_turn`) are left out, and so are
    slots and loops only rules mention.
    """
    states: list[State] = []
    last_ml_action: dict[str, Any] | None = None
    turn_was_hidden = False
    for prior, hide_rule_turn in tracker.generate_all_prior_trackers():
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action = dict(prior.latest_action)
            # followup actions and loop happy paths keep the hidden-ness of the turn
            if not prior.followup_action and prior.latest_action_name != prior.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                continue
        state = active_state(prior, domain, omit_unset_slots)
        if ignore_rule_only_turns:
            _remove_rule_only_features(state, rule_only_data)
            if states:
                _substitute_rule_only_user_input(state, states[-1])
            if last_ml_action:
                state[PREVIOUS_ACTION] = copy.deepcopy(last_ml_action)
        states.append(_clean(state))
    return states


def _remove_rule_only_features(state: State, rule_only_data: Mapping[str, Any] | None) -> None:
    if not rule_only_data:
        return
    for slot in rule_only_data.get(RULE_ONLY_SLOTS, ()):
        state.get(SLOTS, {}).pop(slot, None)
    loops = rule_only_data.get(RULE_ONLY_LOOPS, ())
    if loops and state.get(ACTIVE_LOOP, {}).get(LOOP_NAME) in loops:
        del state[ACTIVE_LOOP]


def _substitute_rule_only_user_input(state: State, last_ml_state: State) -> None:
    if is_prev_action_listen(state):
        return
    if not last_ml_state.get(USER) and state.get(USER):
        del state[USER]
    elif last_ml_state.get(USER):
        state[USER] = last_ml_state[USER]


# -- helpers on states --------------------------------------------------------------------


def is_prev_action_listen(state: State) -> bool:
    return state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME) == ACTION_LISTEN_NAME


def previous_action(state: State) -> str | None:
    return state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)


def without_action_unlikely_intent(states: Sequence[State]) -> list[State]:
    """The states minus those right after `action_unlikely_intent`: the ML policies
    (Memoization, TED, UnexpecTED) see a conversation as if it had not run (Rasa's
    `ignore_action_unlikely_intent`); RulePolicy does not."""
    return [s for s in states if previous_action(s) != ACTION_UNLIKELY_INTENT]


def active_loop_name(state: State) -> str | None:
    """The state's active loop; None also for `should_not_be_set`."""
    name = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
    return None if name == SHOULD_NOT_BE_SET else name


def remove_user_text_if_intent(states: Sequence[State]) -> None:
    """Every turn is either intent- or text-based: drop text where an intent is present."""
    for state in states:
        user = state.get(USER)
        if user and user.get(INTENT) and user.get(TEXT_KEY):
            del user[TEXT_KEY]


def choose_last_user_input(states: list[State], use_text: bool) -> None:
    """Featurize the latest real user turn by its text or by its intent (Rasa's
    `_choose_last_user_input`)."""
    if states and is_prev_action_listen(states[-1]):
        user = states[-1].get(USER, {})
        if use_text:
            user.pop(INTENT, None)
            user.pop(ENTITIES, None)
        else:
            user.pop(TEXT_KEY, None)
    remove_user_text_if_intent(states)


def slice_history(states: list[State], max_history: int | None) -> list[State]:
    if not max_history:
        return states
    return states[-max_history:]


def prediction_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    max_history: int | None = None,
    use_text_for_last_user_input: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Mapping[str, Any] | None = None,
    ignore_action_unlikely_intent: bool = False,
) -> list[State]:
    """The states a policy predicts from (Rasa's `prediction_states`)."""
    states = past_states(
        tracker,
        domain,
        ignore_rule_only_turns=ignore_rule_only_turns,
        rule_only_data=rule_only_data,
    )
    if ignore_action_unlikely_intent:
        states = without_action_unlikely_intent(states)
    choose_last_user_input(states, use_text_for_last_user_input)
    return slice_history(states, max_history)


def states_key(states: Sequence[State]) -> str:
    """A canonical JSON text for a sequence of states (tuples become lists)."""
    return json.dumps(list(states), sort_keys=True, ensure_ascii=False)
