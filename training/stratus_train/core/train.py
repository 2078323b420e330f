"""`train_core`: the dialogue policies of a model, written into its `core/` folder.

    core/policies.json            format version, the action list, the policies in order
    core/rule_policy.json         RulePolicy: config + rule lookups (plain JSON)
    core/memoization_policy.json  MemoizationPolicy (augmented_memoization_policy.json
                                  for AugmentedMemoizationPolicy): config + lookup
    core/ted/model.onnx           TEDPolicy network (+ ted/meta.json: config, vocabularies)
    core/unexpected_intent/       UnexpecTEDIntentPolicy: model.onnx + meta.json (config,
                                  vocabularies, per-intent thresholds)

`stratus.core.policies.PolicyEnsemble.load(model_dir / "core", domain)` reads it back.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.core.policies.ensemble import CORE_FORMAT_VERSION, ENSEMBLE_FILE
from stratus.core.policies.memoization import MEMOIZATION_FILE
from stratus.core.policies.rule import RULE_POLICY_FILE
from stratus.core.policies.ted import TED_DIR
from stratus.core.policies.unexpected_intent import UNEXPECTED_INTENT_DIR
from stratus.core.story_graph import generate_trackers
from stratus.model.plan import CORE_PART
from stratus.shared.config import ProjectConfig
from stratus.shared.domain import Domain
from stratus.shared.exceptions import ConfigError, ProjectError
from stratus.shared.problems import Problem, suggest
from stratus.shared.project import Project
from stratus.shared.training_data.stories import ActionStep, Rule, Story
from stratus_train.core.memoization import compile_memoization
from stratus_train.core.options import option_problems
from stratus_train.core.rules import compile_rule_policy

# `rasa train --augmentation` defaults to 50. Glued stories multiply TED's training time
# (moodbot: 3 s -> 9 s), but without them TED never sees a story start mid-conversation
# and answers off-story turns unlike Rasa (moodbot: action_listen where Rasa replies).
DEFAULT_AUGMENTATION_FACTOR = 50
Progress = Callable[[str], None]
SUPPORTED = (
    "RulePolicy",
    "MemoizationPolicy",
    "AugmentedMemoizationPolicy",
    "TEDPolicy",
    "UnexpecTEDIntentPolicy",
)
ML_POLICIES = ("TEDPolicy", "UnexpecTEDIntentPolicy")  # the ones augmentation feeds
AUGMENTED_MEMOIZATION_FILE = "augmented_memoization_policy.json"


@dataclass(frozen=True)
class CoreTrainResult:
    directory: Path
    policies: list[str]
    trackers: int
    seconds: float


def check_actions(domain: Domain, stories: Sequence[Story], rules: Sequence[Rule]) -> None:
    """Every action a story or rule names must exist in the domain."""
    known = set(domain.action_names_or_texts)
    problems: list[Problem] = []
    items: list[Story | Rule] = [*stories, *rules]
    for item in items:
        for step in item.steps:
            if isinstance(step, ActionStep) and step.name not in known:
                problems.append(
                    Problem(
                        f"{item.kind} '{item.name}' uses the action '{step.name}', which the "
                        f"domain does not define.{suggest(step.name, known)}",
                        step.file or item.file,
                        step.line,
                        item.name,
                    )
                )
    if problems:
        raise ProjectError(problems)


def _check_policies(config: ProjectConfig, progress: Progress) -> list[dict[str, Any]]:
    problems = []
    for problem in option_problems(config):
        if problem.is_error:
            problems.append(problem)
        else:
            progress(str(problem))
    chosen = []
    for index, entry in enumerate(config.policies):
        name = entry.get("name")
        if name in SUPPORTED:
            chosen.append(entry)
        else:
            line = config.policy_lines[index] if index < len(config.policy_lines) else None
            problems.append(
                Problem(
                    f"the policy '{name}' is not supported by Stratus; use {', '.join(SUPPORTED)}",
                    config.file,
                    line,
                    f"policies[{index}].name",
                )
            )
    if problems:
        raise ConfigError(problems)
    return chosen


def train_core(
    domain: Domain,
    stories: Sequence[Story],
    rules: Sequence[Rule],
    config: ProjectConfig,
    model_dir: Path,
    progress: Progress = print,
    augmentation_factor: int = DEFAULT_AUGMENTATION_FACTOR,
) -> CoreTrainResult:
    """Trains the configured policies into `model_dir/core` (replacing what was there).

    `domain` must be the training domain (`Project.training_domain()`): the action list
    the policies index is taken from it and must be the one served.
    `augmentation_factor` is `rasa train --augmentation` (TED and UnexpecTED only; 0 turns
    it off).
    """
    started = time.perf_counter()
    policies = _check_policies(config, progress)
    training = [s for s in stories if not s.is_test]
    rule_list = [r for r in rules if not r.is_test]
    check_actions(domain, training, rule_list)
    uses_ml = any(p["name"] in ML_POLICIES for p in policies)
    everything = generate_trackers(
        training, rule_list, domain, augmentation_factor if uses_ml else 0
    )
    trackers = [t for t in everything if not t.is_augmented]
    progress(
        f"core: {len(trackers)} training trackers, {len(everything) - len(trackers)} augmented"
    )
    core = model_dir / CORE_PART
    if core.exists():
        shutil.rmtree(core)
    core.mkdir(parents=True)
    entries: list[dict[str, Any]] = []
    for options in policies:
        name = options["name"]
        if name == "RulePolicy":
            data = compile_rule_policy(trackers, domain, options)
            _write(core / RULE_POLICY_FILE, data)
            entries.append({"type": name, "file": RULE_POLICY_FILE})
        elif name in ("MemoizationPolicy", "AugmentedMemoizationPolicy"):
            file = MEMOIZATION_FILE if name == "MemoizationPolicy" else AUGMENTED_MEMOIZATION_FILE
            _write(core / file, compile_memoization(trackers, domain, options, name))
            entries.append({"type": name, "file": file})
        elif name == "TEDPolicy":
            from stratus_train.core.ted import train_ted  # TensorFlow only when needed

            meta = train_ted(everything, domain, options, core / TED_DIR, progress)
            progress(
                f"TEDPolicy: ONNX agrees with TensorFlow within {meta['onnx_max_difference']:.1e}"
            )
            entries.append({"type": name, "dir": TED_DIR})
        elif name == "UnexpecTEDIntentPolicy":
            from stratus_train.core.unexpected_intent import train_unexpected_intent

            meta = train_unexpected_intent(
                everything, domain, options, core / UNEXPECTED_INTENT_DIR, progress
            )
            progress(
                f"{name}: ONNX agrees with TensorFlow within {meta['onnx_max_difference']:.1e}"
            )
            entries.append({"type": name, "dir": UNEXPECTED_INTENT_DIR})
        progress(f"core: trained {name}")
    seconds = time.perf_counter() - started
    _write(
        core / ENSEMBLE_FILE,
        {
            "format_version": CORE_FORMAT_VERSION,
            "action_names_or_texts": list(domain.action_names_or_texts),
            "policies": entries,
            "trackers": len(trackers),
            "seconds": round(seconds, 3),
        },
    )
    return CoreTrainResult(core, [e["type"] for e in entries], len(trackers), seconds)


def train_core_project(
    project: Project,
    model_dir: Path,
    progress: Progress = print,
    augmentation_factor: int = DEFAULT_AUGMENTATION_FACTOR,
) -> CoreTrainResult:
    """`train_core` on a loaded project (its training domain, stories, rules, config)."""
    return train_core(
        project.training_domain(),
        project.data.stories,
        project.data.rules,
        project.config,
        model_dir,
        progress,
        augmentation_factor,
    )


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), "utf-8")
