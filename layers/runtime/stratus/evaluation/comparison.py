"""Comparing NLU configs, as `rasa test nlu --config a.yml b.yml` does (Rasa 3.6's
`compare_nlu_models`).

Intents with fewer than 5 examples are left out. Each run splits the data 80/20 as
`rasa data split nlu` does; for each exclusion percentage, each config trains on the
test side of a split of the run's training part at that percentage, and is tested on the
run's test part. The output folder
gets Rasa's files: `run_<n>/test.yml`, `run_<n>/<p>%_exclusion/train/train.yml` (and
`responses.yml`), each model's `<config>_report/` (the usual reports and error files),
`results.json` (`{config: [[intent weighted F1 per percentage] per run]}`) and
`nlu_model_comparison_graph.pdf`. A config that fails to train scores 0.0 with a
warning, as in Rasa, and the comparison goes on.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stratus.evaluation.folds import drop_rare_intents, train_test_split, with_examples
from stratus.evaluation.runner import ModelLoader, NluTrainer, evaluate_model
from stratus.evaluation.writer import write_results
from stratus.shared.config import ProjectConfig
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.message import NluData, NluExample
from stratus.shared.training_data.nlu_writer import nlu_yaml

logger = logging.getLogger(__name__)

# Rasa's file names (rasa/constants.py)
TEST_DATA_FILE = "test.yml"
TRAIN_DATA_FILE = "train.yml"
NLG_DATA_FILE = "responses.yml"
RESULTS_FILE = "results.json"
GRAPH_FILE = "nlu_model_comparison_graph.pdf"
MIN_EXAMPLES_PER_INTENT = 5  # Rasa's `drop_intents_below_freq(cutoff=5)`
TRAIN_FRACTION = 0.8

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Comparison:
    """Each config's intent weighted F1, per run and exclusion percentage."""

    f1: dict[str, list[list[float]]]  # config name -> run -> one value per percentage
    percentages: tuple[int, ...]
    training_examples: list[int]  # per percentage, in the first run (Rasa's x axis)
    dropped: int  # examples of intents with fewer than 5 examples

    def summary(self) -> dict[str, list[tuple[float, float]]]:
        """config -> (mean, population std) over the runs, per percentage."""
        return {name: runs_summary(runs) for name, runs in self.f1.items()}


def runs_summary(runs: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """(mean, population std) over the runs, per percentage: the line and band of the
    comparison graphs (NLU pipelines and dialogue policies alike)."""
    return [(statistics.fmean(v), statistics.pstdev(v)) for v in zip(*runs)]


def check_comparison(names: Sequence[str], runs: int, percentages: Sequence[int]) -> None:
    """What a comparison (of NLU pipelines or of dialogue policies) refuses: two configs
    of one file name (the models are named after their files), no run, and a
    percentage of the data to leave out outside 0-99."""
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if list(names).count(n) > 1})
        raise StratusError(
            f"Two configs are named {', '.join(repr(n) for n in twice)}: the comparison "
            "names each model after its config file, so rename one of them."
        )
    if runs < 1:
        raise StratusError("--runs must be at least 1.")
    bad = [p for p in percentages if not 0 <= p < 100]
    if bad:
        raise StratusError(f"--percentages must be from 0 to 99, not {bad}.")


def compare_configs(
    trainer: NluTrainer,
    load: ModelLoader,
    configs: Sequence[tuple[str, ProjectConfig]],
    data: NluData,
    out: Path,
    *,
    runs: int,
    percentages: Sequence[int],
    seed: int = 0,
    responses: Mapping[str, list[dict[str, Any]]] | None = None,
    plot: bool = True,
    progress: Progress | None = None,
) -> Comparison:
    """Train and test every (name, config) on every run and percentage; write Rasa's
    files to `out`. `responses` are the retrieval responses (`utter_faq/...`)."""
    names = [name for name, _ in configs]
    check_comparison(names, runs, percentages)
    kept = drop_rare_intents(data.examples, MIN_EXAMPLES_PER_INTENT)
    if len({e.intent for e in kept}) < 2:
        raise StratusError(
            f"Comparing configs needs at least two intents with {MIN_EXAMPLES_PER_INTENT} "
            "examples or more."
        )
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    f1: dict[str, list[list[float]]] = {name: [[] for _ in range(runs)] for name in names}
    training_examples: list[int] = []
    for run in range(runs):
        run_dir = out / f"run_{run + 1}"
        run_dir.mkdir(parents=True, exist_ok=True)
        train, test = train_test_split(kept, TRAIN_FRACTION, rng.randrange(2**32))
        (run_dir / TEST_DATA_FILE).write_text(nlu_yaml(with_examples(data, test)), "utf-8")
        for percentage in percentages:
            # Rasa's: the test side of a split at `percentage` (so at 0% one example of
            # each class is still left out).
            _, included = train_test_split(
                train, percentage / 100, rng.randrange(2**32), warn=False
            )
            if run == 0:
                training_examples.append(len(included))
            part_dir = run_dir / f"{percentage}%_exclusion"
            train_dir = part_dir / "train"
            train_dir.mkdir(parents=True, exist_ok=True)
            train_data = with_examples(data, included)
            (train_dir / TRAIN_DATA_FILE).write_text(nlu_yaml(train_data), "utf-8")
            needed = needed_responses(included, responses or {})
            (train_dir / NLG_DATA_FILE).write_text(responses_yaml(needed), "utf-8")
            for name, config in configs:
                if progress:
                    progress(
                        f"run {run + 1}/{runs}, {percentage}% excluded: training '{name}' "
                        f"on {len(included)} examples, testing on {len(test)}"
                    )
                try:
                    model_dir = trainer.train_nlu(config, train_data, part_dir / name, needed)
                except Exception as error:  # as Rasa: one config's failure ends no comparison
                    logger.warning(
                        "Training model '%s' failed. Error: %s: %s",
                        name,
                        type(error).__name__,
                        error,
                    )
                    f1[name][run].append(0.0)
                    continue
                evaluation = evaluate_model(load(model_dir), test)
                write_results(evaluation, part_dir / f"{name}_report", errors=True, plot=plot)
                f1[name][run].append(evaluation.intents.scores.f1 if evaluation.intents else 0.0)
    (out / RESULTS_FILE).write_text(json.dumps(f1, indent=2), "utf-8")
    comparison = Comparison(
        f1, tuple(percentages), training_examples, len(data.examples) - len(kept)
    )
    if plot:
        from stratus.evaluation.plots import plot_comparison, plotting_available

        if plotting_available():
            plot_comparison(comparison.summary(), training_examples, out / GRAPH_FILE)
        else:
            logger.warning("matplotlib is not installed: skipping %s", GRAPH_FILE)
    return comparison


def needed_responses(
    examples: Sequence[NluExample], responses: Mapping[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """The retrieval responses the examples' retrieval intents answer with (Rasa's
    `_needed_responses_for_examples`)."""
    keys = {f"utter_{e.full_intent}" for e in examples if e.response_key}
    return {name: variations for name, variations in responses.items() if name in keys}


def responses_yaml(responses: Mapping[str, list[dict[str, Any]]]) -> str:
    body: dict[str, Any] = {"version": "3.1"}
    if responses:
        body["responses"] = dict(responses)
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
