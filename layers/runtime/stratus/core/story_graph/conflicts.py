"""Story structure conflicts, as `rasa data validate` reports them (Rasa 3.6's
`find_story_conflicts`): the same dialogue state, within `max_history` turns, followed by
different actions in different stories, which no policy that learns from stories can
tell apart.

Story trackers only (rules are checked for contradictions at training time), states as
the policies see them (`past_states`), and Rasa's wording:

    Story structure conflict after intent 'greet':
      utter_greet predicted in 'happy path'
      utter_goodbye predicted in 'sad path'

A conflict at the very beginning of stories is not reported, as in Rasa (nothing can
predict the first action).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from stratus.core.policies.states import (
    ACTION_NAME,
    ACTION_TEXT,
    INTENT,
    PREVIOUS_ACTION,
    TEXT_KEY,
    USER,
    State,
    active_state,
    slice_history,
)
from stratus.core.story_graph.blocks import Origin
from stratus.core.story_graph.generator import TrainingTracker, generate_trackers
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import ACTION_UNLIKELY_INTENT
from stratus.shared.events import ActionExecuted
from stratus.shared.events.actions import ACTION_LISTEN_NAME
from stratus.shared.training_data.stories import Story


@dataclass
class StoryConflict:
    """Different actions after one (sliced) state, with the stories of each."""

    sliced_states: list[State]
    # action -> the stories (tracker names) predicting it there, in order of appearance
    actions: dict[str, list[str]] = field(default_factory=dict)
    # where the first story of each action takes it (file and line of its step)
    origins: dict[str, Origin | None] = field(default_factory=dict)

    def add(self, action: str, story: str, origin: Origin | None) -> None:
        self.actions.setdefault(action, []).append(story)
        self.origins.setdefault(action, origin)

    @property
    def has_prior_events(self) -> bool:
        return previous_event(self.sliced_states[-1] if self.sliced_states else None)[0] is not None

    def __str__(self) -> str:
        kind, name = previous_event(self.sliced_states[-1] if self.sliced_states else None)
        if kind:
            text = f"Story structure conflict after {kind} '{name}':\n"
        else:
            text = "Story structure conflict at the beginning of stories:\n"
        for action, stories in self.actions.items():
            text += f"  {action} predicted in {_stories(stories)}\n"
        return text


def find_story_conflicts(
    stories: Sequence[Story], domain: Domain, max_history: int | None = None
) -> list[StoryConflict]:
    """The story structure conflicts, in order of first appearance."""
    conflicts: dict[str, StoryConflict] = {}
    for tracker in generate_trackers(stories, [], domain):
        for key, states, event in _sliced(tracker, domain, max_history):
            action = event.action_name or event.action_text or ""
            conflict = conflicts.setdefault(key, StoryConflict(states))
            conflict.add(action, tracker.name, tracker.origin(event))
    return [
        c
        for c in conflicts.values()
        if c.has_prior_events and (len(c.actions) > 1 or ACTION_UNLIKELY_INTENT in c.actions)
    ]


def _sliced(
    tracker: TrainingTracker, domain: Domain, max_history: int | None
) -> list[tuple[str, list[State], ActionExecuted]]:
    """(key, sliced states, action) for each action of the tracker.

    Each action's state is the conversation's state just before it, as Rasa's training
    trackers cache it while the story is generated (`get_active_state` as each action is
    added). Replaying the whole story instead would lose, inside a form's happy path, the
    user turns a later run of the form makes unapplied, and align later actions with the
    wrong states.
    """
    found = []
    states: list[State] = []
    so_far = new_tracker(domain, tracker.name)
    for event in tracker.events:
        if isinstance(event, ActionExecuted):
            states.append(active_state(so_far, domain))
            sliced = slice_history(list(states), max_history)
            found.append((json.dumps(sliced, sort_keys=True, default=str), sliced, event))
        so_far.update(event)
    return found


def previous_event(state: State | None) -> tuple[str | None, str | None]:
    """What came just before the state: ("action", name) unless it was action_listen,
    ("bot utterance", text), ("intent", name) or ("user utterance", text)."""
    if not state:
        return None, None
    previous = state.get(PREVIOUS_ACTION, {})
    if previous.get(ACTION_NAME) and previous[ACTION_NAME] != ACTION_LISTEN_NAME:
        return "action", str(previous[ACTION_NAME])
    if previous.get(ACTION_TEXT):
        return "bot utterance", str(previous[ACTION_TEXT])
    user = state.get(USER, {})
    if user.get(INTENT):
        return "intent", str(user[INTENT])
    if user.get(TEXT_KEY):
        return "user utterance", str(user[TEXT_KEY])
    return None, None


def _stories(names: list[str]) -> str:
    """Rasa's summary: up to three names, then "and N other trackers"."""
    quoted = [f"'{n}'" for n in names]
    if len(names) > 3:
        return f"{quoted[0]}, {quoted[1]}, and {len(names) - 2} other trackers"
    if len(names) == 3:
        return f"{quoted[0]}, {quoted[1]}, and {quoted[2]}"
    return " and ".join(quoted)
