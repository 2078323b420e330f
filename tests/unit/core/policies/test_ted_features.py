"""TED's turn features: what the network sees of each dialogue state."""

from __future__ import annotations

import numpy as np

from stratus.core.policies.states import State
from stratus.core.policies.ted_features import TedFeaturizer

FEATURIZER = TedFeaturizer(
    intents=("affirm", "greet"),
    actions=("action_listen", "utter_greet", "Hello!"),
    entities=("name",),
    slots=(("cuisine", 1), ("vegetarian", 2)),
    loops=("booking_form",),
    words=("hello", "there"),
)
# Offsets: intents 0-1, words 2-3, entities 4, actions 5-7, slots 8-10, loops 11.


def features(state: State) -> list[int]:
    """The positions set to 1 (every feature here is 0 or 1)."""
    out = np.zeros(FEATURIZER.dimension, np.float32)
    FEATURIZER.encode_state(state, out)
    assert set(out.tolist()) <= {0.0, 1.0}
    return np.flatnonzero(out).tolist()


def test_a_user_turn_sees_intent_entities_and_text() -> None:
    state: State = {
        "user": {"intent": "greet", "entities": ("name",), "text": "Hello there"},
        "prev_action": {"action_name": "action_listen"},
    }
    assert features(state) == [1, 2, 3, 4, 5]


def test_the_message_is_not_seen_again_after_a_bot_action() -> None:
    state: State = {
        "user": {"intent": "greet"},
        "prev_action": {"action_text": "Hello!"},
        "slots": {"vegetarian": (1.0, 0.0), "cuisine": "should_not_be_set"},
        "active_loop": {"name": "booking_form"},
    }
    assert features(state) == [7, 9, 11]


def test_batches_are_left_padded_with_a_turn_mask() -> None:
    turn: State = {"prev_action": {"action_name": "utter_greet"}}
    x, mask = FEATURIZER.encode([[turn], [turn, turn, turn]])
    assert x.shape == (2, 3, FEATURIZER.dimension)
    assert mask.tolist() == [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    assert x[0, 2, 6] == 1.0 and not x[0, :2].any()


def test_round_trip_through_metadata() -> None:
    assert TedFeaturizer.from_dict(FEATURIZER.as_dict()) == FEATURIZER
