"""MemoizationPolicy training: the story lookup compiled to `<name>.json`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stratus.core.policies.memoization import MEMOIZATION_DEFAULTS, memo_key
from stratus.core.story_graph import TrainingTracker
from stratus.shared.domain import Domain
from stratus_train.core.examples import examples, lookup_from_pairs


def memoization_config(options: dict[str, Any]) -> dict[str, Any]:
    return {**MEMOIZATION_DEFAULTS, **{k: v for k, v in options.items() if k != "name"}}


def compile_memoization(
    trackers: Sequence[TrainingTracker], domain: Domain, options: dict[str, Any], name: str
) -> dict[str, Any]:
    """The lookup of the last `max_history` states of every story turn -> next action.
    Rules are left out, as in Rasa (MemoizationPolicy only learns from stories)."""
    config = memoization_config(options)
    max_history = int(config["max_history"]) if config.get("max_history") else None
    stories = [t for t in trackers if not t.is_rule]
    found = examples(stories, domain, max_history, ignore_action_unlikely_intent=True)
    lookup = lookup_from_pairs([(memo_key(e.states), e.action) for e in found])
    return {"name": name, "config": config, "lookup": lookup}
