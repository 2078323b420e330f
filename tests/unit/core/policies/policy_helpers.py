"""Helpers for the policy tests: Rasa's example bots compiled into policies (rules and
memoization: no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stratus.core.policies.memoization import AugmentedMemoizationPolicy, MemoizationPolicy
from stratus.core.policies.rule import RulePolicy
from stratus.core.story_graph import TrainingTracker, generate_trackers
from stratus.core.trackers import new_tracker
from stratus.shared.domain import Domain
from stratus.shared.events import ActionExecuted, Event, UserUttered
from stratus.shared.project import Project, ProjectPaths, load_project
from stratus.shared.tracker import DialogueStateTracker
from stratus_train.core.memoization import compile_memoization
from stratus_train.core.rules import compile_rule_policy

EXAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "rasa-examples"


@dataclass
class Bot:
    project: Project
    domain: Domain
    trackers: list[TrainingTracker]

    def rule_policy(self, **options: Any) -> RulePolicy:
        data = compile_rule_policy(self.trackers, self.domain, options)
        return RulePolicy(lookup=data["lookup"], config=data["config"])

    def memoization(self, augmented: bool = False, **options: Any) -> MemoizationPolicy:
        kind = AugmentedMemoizationPolicy if augmented else MemoizationPolicy
        data = compile_memoization(self.trackers, self.domain, options, kind.__name__)
        return kind(lookup=data["lookup"], config=data["config"])

    def tracker(self, *events: Event) -> DialogueStateTracker:
        return new_tracker(self.domain, "test", events)


def load_bot(name: str) -> Bot:
    if not EXAMPLES.is_dir():
        pytest.fail(f"{EXAMPLES} is missing: clone the repository next to shared/")
    project = load_project(ProjectPaths.discover(EXAMPLES / name))
    domain = project.training_domain()
    return Bot(project, domain, generate_trackers(project.data.stories, project.data.rules, domain))


def user(intent: str, text: str | None = None, **parse: Any) -> UserUttered:
    return UserUttered(
        text=text or intent, parse_data={"intent": {"name": intent, "confidence": 0.9}, **parse}
    )


def action(name: str, **kwargs: Any) -> ActionExecuted:
    return ActionExecuted(action_name=name, **kwargs)


LISTEN = "action_listen"
