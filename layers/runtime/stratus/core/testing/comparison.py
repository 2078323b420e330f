"""Scoring a folder of dialogue models trained to compare policy configs, as `rasa test
core --evaluate-model-directory` does (Rasa 3.6's `compare_models_in_dir`).

The folder is what `stratus train core -c a.yml b.yml --runs --percentages` writes:
`run_<n>/<config>__percentage__<p>/` (each holding a model) and `num_stories.json`.
Every model replays the test stories; `results.json` gets, per config, the number of
correct stories for each percentage of each run, and `core_model_comparison_graph.pdf`
plots them against the stories each model trained on. Runs and percentages are taken in
numeric order (Rasa sorts the file names as text, so `10` comes before `5`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from stratus.agent import Agent
from stratus.core.testing.replay import StoryReplayer
from stratus.core.testing.runner import story_file, story_trackers
from stratus.model.storage import resolve_model_dir
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data import Story, load_training_data

PERCENTAGE_KEY = "__percentage__"  # Rasa's, between the config name and the percentage
NUMBER_OF_TRAINING_STORIES_FILE = "num_stories.json"
RESULTS_FILE = "results.json"
GRAPH_FILE = "core_model_comparison_graph.pdf"
_RUN = re.compile(r"run_(\d+)$")

Progress = Callable[[str], None]


def compare_models_in_dir(
    model_dir: Path,
    stories: Sequence[Path],
    out: Path,
    project: Path | None = None,
    *,
    plot: bool = True,
    duckling_url: str | None = None,
    progress: Progress | None = None,
) -> dict[str, list[list[int]]]:
    """Correct test stories per config, run and percentage; writes results.json (and
    the graph) to `out`."""
    if not model_dir.is_dir():
        raise StratusError(f"No folder of models to compare at '{model_dir}'; pass it with -m.")
    runs = sorted(
        (int(m.group(1)), d)
        for d in model_dir.iterdir()
        if d.is_dir() and (m := _RUN.match(d.name))
    )
    if not runs:
        raise StratusError(
            f"No run_<n> folders in '{model_dir}': --evaluate-model-directory reads the "
            "models `stratus train core` writes for several configs (-c a.yml b.yml)."
        )
    test_stories = load_training_data(list(stories), project).stories  # read once
    correct: dict[str, list[list[int]]] = {}
    for index, (_, run_dir) in enumerate(runs):
        for name, percentage, folder in models_in_run(run_dir):
            if progress:
                progress(f"{run_dir.name}: {name} with {percentage}% of the stories left out")
            runs_of = correct.setdefault(name, [[] for _ in runs])
            runs_of[index].append(
                correct_stories(resolve_model_dir(folder), test_stories, duckling_url)
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS_FILE).write_text(json.dumps(correct, indent=2), "utf-8")
    counts_file = model_dir / NUMBER_OF_TRAINING_STORIES_FILE
    if plot and counts_file.is_file():
        from stratus.evaluation.comparison import runs_summary
        from stratus.evaluation.plots import plot_comparison, plotting_available

        if plotting_available():
            kept = json.loads(counts_file.read_text("utf-8"))
            summary = {
                name: runs_summary([r for r in run_values if r])
                for name, run_values in correct.items()
            }
            plot_comparison(
                summary,
                kept,
                out / GRAPH_FILE,
                x_label="Number of stories present during training",
                y_label="Number of correct test stories",
            )
    return correct


def models_in_run(run_dir: Path) -> list[tuple[str, int, Path]]:
    """(config, percentage, folder) of a run's models, by config then percentage."""
    found = []
    for folder in run_dir.iterdir():
        name, _, percentage = folder.name.rpartition(PERCENTAGE_KEY)
        if folder.is_dir() and name and percentage.isdigit():
            found.append((name, int(percentage), folder))
    return sorted(found)


def correct_stories(model: Path, stories: Sequence[Story], duckling_url: str | None) -> int:
    """How many of the stories the model predicts without a mistake (entities aside,
    as Rasa counts them for the comparison)."""
    agent = Agent.load(model, duckling_url=duckling_url)
    replayer = StoryReplayer(agent.domain, agent.policies, agent.interpreter, e2e=False)
    outcomes = [replayer.replay(t, story_file(t)) for t in story_trackers(stories, agent.domain)]
    return sum(not outcome.failed for outcome in outcomes)
