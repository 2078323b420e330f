"""Training dialogue models to compare policy configs, as `rasa train core -c a.yml b.yml
--runs N --percentages ...` does; `stratus test core --evaluate-model-directory` scores them.

Each run, for each percentage, leaves that share of the stories and rules out (chosen at
random, as Rasa does) and trains each config's dialogue model on the rest, into
`<out>/run_<n>/<config>__percentage__<p>/`. Unlike Rasa, where every config draws its
own random subset, the configs of one run and percentage train on the same subset, so
their scores differ by the config alone. `<out>/num_stories.json` lists how many stories
and rules each percentage keeps.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from stratus.core.testing.comparison import NUMBER_OF_TRAINING_STORIES_FILE, PERCENTAGE_KEY
from stratus.evaluation.comparison import check_comparison
from stratus.model.fingerprint import core_fingerprint
from stratus.model.plan import TrainingPlan, plan_training
from stratus.shared.project import ProjectPaths
from stratus_train.train import train_plan

Progress = Callable[[str], None]


def kept_counts(total: int, percentages: Sequence[int]) -> list[int]:
    """How many of `total` stories and rules each exclusion percentage keeps (Rasa's
    `round`)."""
    return [total - round(p / 100 * total) for p in percentages]


def train_comparison_models(
    paths: Sequence[ProjectPaths],
    out: Path,
    *,
    runs: int,
    percentages: Sequence[int],
    seed: int | None = None,
    progress: Progress = print,
) -> list[Path]:
    """Train every config's dialogue model (one ProjectPaths per config, the same data)
    for every run and percentage; returns the model folders."""
    names = [Path(p.config).stem if p.config else "config" for p in paths]
    check_comparison(names, runs, percentages)
    plans = [plan_training(p, core_only=True) for p in paths]
    data = plans[0].project.data
    total = len(data.stories) + len(data.rules)  # the same files for every config
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / NUMBER_OF_TRAINING_STORIES_FILE).write_text(
        json.dumps(kept_counts(total, percentages)), "utf-8"
    )
    trained = []
    for run in range(1, runs + 1):
        for percentage in percentages:
            order = list(range(total))
            rng.shuffle(order)
            kept = set(order[: kept_counts(total, [percentage])[0]])
            for name, plan in zip(names, plans):
                progress(
                    f"run {run}/{runs}, {percentage}% of the stories left out: training "
                    f"'{name}' on {len(kept)} stories and rules"
                )
                folder = out / f"run_{run}" / f"{name}{PERCENTAGE_KEY}{percentage}"
                trained.append(
                    train_plan(
                        _with_steps(plan, kept), folder, force=True, progress=progress
                    ).model_dir
                )
    return trained


def _with_steps(plan: TrainingPlan, kept: set[int]) -> TrainingPlan:
    """The plan with only the stories and rules at these positions (stories first, then
    rules, in file order), fingerprinted as what it trains on; the domain stays the
    whole project's."""
    data = plan.project.data
    stories = tuple(s for i, s in enumerate(data.stories) if i in kept)
    first_rule = len(data.stories)
    rules = tuple(r for i, r in enumerate(data.rules, start=first_rule) if i in kept)
    project = replace(plan.project, data=replace(data, stories=stories, rules=rules))
    fingerprint = core_fingerprint(plan.domain, stories, rules, project.config.policies)
    return TrainingPlan(project, plan.domain, None, fingerprint)
