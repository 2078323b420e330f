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

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.domain.slots import BOOL, CATEGORICAL, FLOAT, LIST, Slot
from stratus.shared.events import ACTION_LISTEN_NAME, ActionExecuted, Event, UserUttered
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
    slots_set = _slots_set(tracker) if omit_unset_slots else None
    return _slots_sub_state(tracker.current_slot_values(), slots_set, domain)


def _slots_set(tracker: DialogueStateTracker) -> frozenset[str]:
    return frozenset(name for name in tracker.slot_names if tracker.slot_has_been_set(name))


def _slots_sub_state(
    values: Mapping[str, Any], slots_set: frozenset[str] | None, domain: Domain
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slot in domain.slots:
        if not slot.influence_conversation or slot_dimension(slot) == 0:
            continue
        if slots_set is not None and slot.name not in slots_set:
            continue
        value = values.get(slot.name)
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
    return _user_sub_state(tracker.latest_message, domain)


def _user_sub_state(message: UserUttered, domain: Domain) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class _Moment:
    """What a state is made of: the tracker just before an applied action (or at the end)."""

    message: UserUttered
    action: Mapping[str, str]
    loop: str | None  # the active loop's name, `should_not_be_set` included
    slots: Mapping[str, Any]
    slots_set: frozenset[str] | None  # None: unset slots are featurized too
    followup: str | None
    hide_rule_turn: bool

    @classmethod
    def of(
        cls, tracker: DialogueStateTracker, omit_unset_slots: bool, hide_rule_turn: bool = False
    ) -> _Moment:
        loop = tracker.active_loop
        return cls(
            tracker.latest_message,
            tracker.latest_action,  # replaced, never changed in place, by the tracker
            loop.name if loop is not None and loop.name else None,
            tracker.current_slot_values(),
            _slots_set(tracker) if omit_unset_slots else None,
            tracker.followup_action,
            hide_rule_turn,
        )

    @property
    def action_name(self) -> str | None:
        return self.action.get(ACTION_NAME) or self.action.get(ACTION_TEXT)

    @property
    def active_loop_name(self) -> str | None:
        return None if self.loop == SHOULD_NOT_BE_SET else self.loop

    def state(self, domain: Domain) -> State:
        """Rasa's `Domain.get_active_state` for this moment."""
        state: State = {
            USER: _user_sub_state(self.message, domain),
            SLOTS: _slots_sub_state(self.slots, self.slots_set, domain),
            PREVIOUS_ACTION: dict(self.action),
            ACTIVE_LOOP: {LOOP_NAME: self.loop} if self.loop else {},
        }
        return _clean(state)


def active_state(
    tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False
) -> State:
    """The tracker's current state (Rasa's `Domain.get_active_state`)."""
    return _Moment.of(tracker, omit_unset_slots).state(domain)


def _clean(state: State) -> State:
    return {key: sub for key, sub in state.items() if sub}


@dataclass(frozen=True, slots=True)
class _Row:
    """One state of `past_states` before it is built: its moment, the action that stands
    in for its previous action (ML policies: the latest action of a visible turn), and the
    moment whose user message it shows (ML policies: a state after a hidden rule turn
    keeps the message of the latest state that followed `action_listen`)."""

    moment: int
    prev_action: Mapping[str, str] | None
    user_from: int | None  # None: the state's own message


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows of one kind of `past_states`; `kept`: those whose previous action is not
    `action_unlikely_intent`."""

    size: int
    kept: int
    listed: list[_Row] | None  # None: one plain row per moment

    def at(self, index: int) -> _Row:
        return self.listed[index] if self.listed is not None else _Row(index, None, None)


@dataclass(slots=True)
class _HiddenTurnScan:
    """The ML policies' rows (rule-only turns left out), built moment by moment."""

    rows: list[_Row]
    seen: int = 0  # moments scanned
    kept: int = 0
    last_ml_action: Mapping[str, str] | None = None
    turn_was_hidden: bool = False
    anchor: int | None = None  # the moment whose message states after hidden turns keep

    def copy(self) -> _HiddenTurnScan:
        return dataclasses.replace(self, rows=list(self.rows))

    def step(self, index: int, prior: _Moment) -> _Row | None:
        """The row of moment `index` (None: a hidden turn); `rows` is left to the caller."""
        self.seen = index + 1
        if not self.turn_was_hidden:
            self.last_ml_action = prior.action
        # followup actions and loop happy paths keep the hidden-ness of the turn
        if not prior.followup and prior.action_name != prior.active_loop_name:
            self.turn_was_hidden = prior.hide_rule_turn
        if self.turn_was_hidden:
            return None
        if not self.rows or prior.action.get(ACTION_NAME) == ACTION_LISTEN_NAME:
            self.anchor = index
        anchor = None if self.anchor == index else self.anchor
        return _Row(index, self.last_ml_action or None, anchor)


def _last_listen(applied: Sequence[Event], start: int) -> int:
    """The index of the latest `action_listen` among `applied[start:]`; -1 for none."""
    for index in range(len(applied) - 1, start - 1, -1):
        event = applied[index]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            return index
    return -1


@dataclass(slots=True)
class _Checkpoint:
    """The replay just before the latest `action_listen`. The applied events can lose
    their tail from there on: a loop's run drops the user message since its previous
    run (Rasa's `_undo_till_previous_loop_execution`), a rewind drops the latest user
    message and the `action_listen` before it. The next history then no longer extends
    the last one; it resumes here instead of from the start."""

    done: int  # applied events replayed
    replay: DialogueStateTracker  # never changed: copied to resume
    moments: int  # moments before `done`
    plain_kept: int
    # The ML rows of the moments before `moments`, if known; filled in by the first
    # history that scans past them, so later ones do not rescan from the start.
    scan: _HiddenTurnScan | None


class StateHistory:
    """A tracker's dialogue states, replayed once and shared by the policies: the cheap
    bookkeeping covers the whole history, but states are built only for the trailing
    turns a policy reads, so a prediction's cost does not grow with the conversation."""

    _replay: DialogueStateTracker  # the applied events replayed, to resume from
    _applied: list[Event]
    _moments: list[_Moment]
    _plain_kept: int
    _slot_definitions: tuple[Any, ...]
    _scan: _HiddenTurnScan | None  # the ML rows so far, if any policy asked
    _checkpoint: _Checkpoint | None

    def __init__(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool = False,
        previous: StateHistory | None = None,
    ) -> None:
        """`previous`: an earlier history (the prediction before, in this turn or, when
        the processor kept the tracker, the last turn); when the tracker's applied events
        still start with the very events it replayed, only the new ones are replayed.
        `previous` is not changed."""
        self.domain = domain
        self._omit_unset_slots = omit_unset_slots
        self._slot_definitions = tracker.slot_definitions()
        applied = tracker.applied_events()
        # Before each applied action, the tracker as it was (as in
        # `generate_all_prior_trackers`), then the final tracker.
        checkpoint = None
        if previous is not None and previous._continues(self, applied):
            replay = previous._replay.copy()
            moments = previous._moments[:-1]
            done = len(previous._applied)
            plain_kept = previous._plain_kept
            self._scan = None if previous._scan is None else previous._scan.copy()
            checkpoint = previous._checkpoint
        elif previous is not None and (checkpoint := previous._resumable(self, applied)):
            replay = checkpoint.replay.copy()
            moments = previous._moments[: checkpoint.moments]
            done, plain_kept = checkpoint.done, checkpoint.plain_kept
            self._scan = None if checkpoint.scan is None else checkpoint.scan.copy()
        else:
            replay, moments, done, plain_kept, self._scan = tracker.init_copy(), [], 0, 0, None
        last_listen = _last_listen(applied, done)
        for index in range(done, len(applied)):
            event = applied[index]
            if index == last_listen:
                scan = self._scan
                checkpoint = _Checkpoint(
                    index,
                    replay.copy(),
                    len(moments),
                    plain_kept,
                    scan.copy() if scan is not None and scan.seen <= len(moments) else None,
                )
            if isinstance(event, ActionExecuted):
                moment = _Moment.of(replay, omit_unset_slots, event.hide_rule_turn)
                moments.append(moment)
                plain_kept += moment.action.get(ACTION_NAME) != ACTION_UNLIKELY_INTENT
            replay.update(event)
        self._checkpoint = checkpoint
        final = _Moment.of(replay, omit_unset_slots)
        moments.append(final)
        self._replay, self._applied, self._moments = replay, applied, moments
        self._plain_kept = plain_kept  # of the moments before the final one
        self._rows: dict[bool, _Rows] = {}
        self._rows[False] = _Rows(
            len(moments),
            plain_kept + (final.action.get(ACTION_NAME) != ACTION_UNLIKELY_INTENT),
            None,
        )

    def _continues(self, later: StateHistory, applied: list[Event]) -> bool:
        """Whether `later` (being made from `applied`) can resume this replay: the events
        it replayed are still the first ones (the same objects, or equal ones)."""
        old = self._applied
        return (
            self._same_setup(later)
            and len(applied) >= len(old)
            # list equality tries identity first, in C: ~2 us for 1,000 events, where a
            # Python loop cost a turn ~0.3 ms at turn 200
            and applied[: len(old)] == old
        )

    def _resumable(self, later: StateHistory, applied: list[Event]) -> _Checkpoint | None:
        """This history's checkpoint if `later` (being made from `applied`) can resume
        from it: the events replayed up to it are still the first ones."""
        checkpoint = self._checkpoint
        if checkpoint is None or not self._same_setup(later):
            return None
        done = checkpoint.done
        return checkpoint if applied[:done] == self._applied[:done] else None

    def _same_setup(self, later: StateHistory) -> bool:
        return (
            later.domain is self.domain
            and later._omit_unset_slots == self._omit_unset_slots
            and later._slot_definitions == self._slot_definitions
        )

    def _rows_for(self, ignore_rule_only_turns: bool) -> _Rows:
        rows = self._rows.get(ignore_rule_only_turns)
        if rows is None:
            if self._scan is None:
                self._scan = _HiddenTurnScan([])
            scan = self._scan
            checkpoint = self._checkpoint
            for index in range(scan.seen, len(self._moments) - 1):
                if (
                    checkpoint is not None
                    and index == checkpoint.moments
                    and (checkpoint.scan is None or checkpoint.scan.seen < index)
                ):
                    checkpoint.scan = scan.copy()
                row = scan.step(index, self._moments[index])
                if row is not None:
                    scan.rows.append(row)
                    scan.kept += self._prev_name(row) != ACTION_UNLIKELY_INTENT
            # the final moment changes with the next event: not kept in the scan
            probe = dataclasses.replace(scan)
            final = probe.step(len(self._moments) - 1, self._moments[-1])
            listed = scan.rows if final is None else [*scan.rows, final]
            kept = scan.kept
            if final is not None:
                kept += self._prev_name(final) != ACTION_UNLIKELY_INTENT
            rows = self._rows[True] = _Rows(len(listed), kept, listed)
        return rows

    def __len__(self) -> int:
        return len(self._moments)

    def states(
        self,
        last: int | None = None,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Mapping[str, Any] | None = None,
        ignore_action_unlikely_intent: bool = False,
    ) -> list[State]:
        """`past_states` (minus the states after `action_unlikely_intent` with
        `ignore_action_unlikely_intent`), cut to the last `last` states; built anew on
        each call, so callers may change them."""
        rows = self._rows_for(ignore_rule_only_turns)
        start = 0
        if last is not None:
            start, kept = rows.size, 0
            while start > 0 and kept < last:
                start -= 1
                if not ignore_action_unlikely_intent or self._prev_name(rows.at(start)) != (
                    ACTION_UNLIKELY_INTENT
                ):
                    kept += 1
        states = self._build(rows, start, ignore_rule_only_turns, rule_only_data)
        if ignore_action_unlikely_intent:
            states = without_action_unlikely_intent(states)
        return states

    def count(
        self, ignore_rule_only_turns: bool = False, ignore_action_unlikely_intent: bool = False
    ) -> int:
        """How many states `states` gives without a cut (rule-only features removed or
        not, the count is the same)."""
        rows = self._rows_for(ignore_rule_only_turns)
        return rows.kept if ignore_action_unlikely_intent else rows.size

    def _prev_name(self, row: _Row) -> str | None:
        action = row.prev_action or self._moments[row.moment].action
        return action.get(ACTION_NAME)

    def _build(
        self,
        rows: _Rows,
        start: int,
        ignore_rule_only_turns: bool,
        rule_only_data: Mapping[str, Any] | None,
    ) -> list[State]:
        states: list[State] = []
        users: dict[int, dict[str, Any]] = {}  # one dict per message, shared as Rasa does
        for index in range(start, rows.size):
            row = rows.at(index)
            moment = self._moments[row.moment]
            state = moment.state(self.domain)
            if ignore_rule_only_turns:
                _remove_rule_only_features(state, rule_only_data)
                if row.user_from is None:
                    if USER in state:
                        users[row.moment] = state[USER]
                else:
                    if row.user_from not in users:
                        user = _user_sub_state(self._moments[row.user_from].message, self.domain)
                        if user:
                            users[row.user_from] = user
                    if row.user_from in users:
                        state[USER] = users[row.user_from]
                    else:
                        state.pop(USER, None)
                if row.prev_action:
                    state[PREVIOUS_ACTION] = dict(row.prev_action)
            states.append(_clean(state))
        return states


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
    history = StateHistory(tracker, domain, omit_unset_slots)
    return history.states(
        ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
    )


def _remove_rule_only_features(state: State, rule_only_data: Mapping[str, Any] | None) -> None:
    if not rule_only_data:
        return
    for slot in rule_only_data.get(RULE_ONLY_SLOTS, ()):
        state.get(SLOTS, {}).pop(slot, None)
    loops = rule_only_data.get(RULE_ONLY_LOOPS, ())
    if loops and state.get(ACTIVE_LOOP, {}).get(LOOP_NAME) in loops:
        del state[ACTIVE_LOOP]


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
    tracker: DialogueStateTracker | StateHistory,
    domain: Domain,
    max_history: int | None = None,
    use_text_for_last_user_input: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Mapping[str, Any] | None = None,
    ignore_action_unlikely_intent: bool = False,
) -> list[State]:
    """The states a policy predicts from (Rasa's `prediction_states`); pass the
    prediction's `StateHistory` to share its replay among the policies."""
    history = tracker if isinstance(tracker, StateHistory) else StateHistory(tracker, domain)
    states = history.states(
        max_history or None,
        ignore_rule_only_turns=ignore_rule_only_turns,
        rule_only_data=rule_only_data,
        ignore_action_unlikely_intent=ignore_action_unlikely_intent,
    )
    choose_last_user_input(states, use_text_for_last_user_input)
    return slice_history(states, max_history)


def states_key(states: Sequence[State]) -> str:
    """A canonical JSON text for a sequence of states (tuples become lists)."""
    return json.dumps(list(states), sort_keys=True, ensure_ascii=False)
