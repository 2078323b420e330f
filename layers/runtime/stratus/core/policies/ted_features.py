"""Turning dialogue states into TED's input vectors: one code path for training and serving.

Each turn is one vector, the concatenation of (as Rasa's SingleStateFeaturizer):
intent one-hot and user-text bag of words (only for a real user turn, i.e. right after
`action_listen`), entity labels multi-hot, previous action one-hot (names and end-to-end
bot texts), slot features, active loop one-hot. A batch is left-padded so the latest
turn is always the last position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from stratus.core.policies.states import (
    ACTION_NAME,
    ACTION_TEXT,
    ACTIVE_LOOP,
    ENTITIES,
    INTENT,
    LOOP_NAME,
    PREVIOUS_ACTION,
    SLOTS,
    TEXT_KEY,
    USER,
    State,
    is_prev_action_listen,
    slot_dimension,
)
from stratus.shared.domain import Domain

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class TedFeaturizer:
    """The vocabularies of one trained TED model (stored in its metadata)."""

    intents: tuple[str, ...]
    actions: tuple[str, ...]  # the label set: domain.action_names_or_texts at training
    entities: tuple[str, ...]
    slots: tuple[tuple[str, int], ...]  # (slot name, feature dimension)
    loops: tuple[str, ...]
    words: tuple[str, ...] = ()  # user texts of end-to-end stories

    @classmethod
    def for_domain(cls, domain: Domain, texts: Iterable[str] = ()) -> TedFeaturizer:
        labels: set[str] = set(domain.entity_names)
        for intent in domain.intent_names:
            labels.update(domain.used_entities(intent) or ())
        words = sorted({w for t in texts for w in tokens(t)})
        return cls(
            intents=domain.intent_names,
            actions=domain.action_names_or_texts,
            entities=tuple(sorted(labels)),
            slots=tuple((s.name, slot_dimension(s)) for s in domain.slots if slot_dimension(s) > 0),
            loops=domain.form_names,
            words=tuple(words),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TedFeaturizer:
        return cls(
            intents=tuple(data["intents"]),
            actions=tuple(data["actions"]),
            entities=tuple(data["entities"]),
            slots=tuple((str(n), int(d)) for n, d in data["slots"]),
            loops=tuple(data["loops"]),
            words=tuple(data.get("words", ())),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "intents": list(self.intents),
            "actions": list(self.actions),
            "entities": list(self.entities),
            "slots": [[n, d] for n, d in self.slots],
            "loops": list(self.loops),
            "words": list(self.words),
        }

    @property
    def dimension(self) -> int:
        return (
            len(self.intents)
            + len(self.words)
            + len(self.entities)
            + len(self.actions)
            + sum(d for _, d in self.slots)
            + len(self.loops)
        )

    def _offsets(self) -> dict[str, int]:
        offsets: dict[str, int] = {}
        at = 0
        for part, size in (
            ("intents", len(self.intents)),
            ("words", len(self.words)),
            ("entities", len(self.entities)),
            ("actions", len(self.actions)),
            ("slots", sum(d for _, d in self.slots)),
            ("loops", len(self.loops)),
        ):
            offsets[part] = at
            at += size
        return offsets

    def encode_state(self, state: State, out: np.ndarray) -> None:
        """Writes the state's features into `out` (a zeroed vector of `dimension`)."""
        at = self._offsets()
        user = state.get(USER, {})
        if user and is_prev_action_listen(state):
            intent = user.get(INTENT)
            if intent in self.intents:
                out[at["intents"] + self.intents.index(intent)] = 1.0
            text = user.get(TEXT_KEY)
            if text and self.words:
                for word in tokens(text):
                    if word in self._word_index:
                        out[at["words"] + self._word_index[word]] = 1.0
            for label in user.get(ENTITIES, ()):
                if label in self.entities:
                    out[at["entities"] + self.entities.index(label)] = 1.0
        action = state.get(PREVIOUS_ACTION, {})
        name = action.get(ACTION_NAME) or action.get(ACTION_TEXT)
        if name in self._action_index:
            out[at["actions"] + self._action_index[name]] = 1.0
        slots = state.get(SLOTS, {})
        offset = at["slots"]
        for slot, dimension in self.slots:
            value = slots.get(slot)
            if isinstance(value, list | tuple):
                out[offset : offset + dimension] = np.asarray(value[:dimension], np.float32)
            offset += dimension
        loop = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
        if loop in self.loops:
            out[at["loops"] + self.loops.index(loop)] = 1.0

    def encode(self, histories: Sequence[Sequence[State]]) -> tuple[np.ndarray, np.ndarray]:
        """Left-padded turn features [batch, turns, dim] and turn mask [batch, turns]."""
        length = max((len(h) for h in histories), default=1) or 1
        x = np.zeros((len(histories), length, self.dimension), np.float32)
        mask = np.zeros((len(histories), length), np.float32)
        for row, states in enumerate(histories):
            pad = length - len(states)
            for turn, state in enumerate(states):
                self.encode_state(state, x[row, pad + turn])
            mask[row, pad:] = 1.0
        return x, mask

    @property
    def _word_index(self) -> dict[str, int]:
        return _index(self.words)

    @property
    def _action_index(self) -> dict[str, int]:
        return _index(self.actions)


_INDEX_CACHE: dict[int, tuple[tuple[str, ...], dict[str, int]]] = {}


def _index(names: tuple[str, ...]) -> dict[str, int]:
    cached = _INDEX_CACHE.get(id(names))
    if cached is None or cached[0] is not names:
        cached = (names, {n: i for i, n in enumerate(names)})
        _INDEX_CACHE[id(names)] = cached
    return cached[1]
