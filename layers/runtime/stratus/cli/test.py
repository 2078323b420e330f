"""`stratus test [nlu|core]`: evaluate a trained model as `rasa test` does.

`stratus test nlu` writes Rasa's result files (intent_report.json, intent_errors.json,
<Extractor>_report.json, ... and the PNG plots) and prints a summary table. With
`--cross-validation` it trains one model per fold instead of loading one; with two or
more `--config` files it compares them (`--runs`, `--percentages`) as Rasa 3.6 does.
`stratus test core` replays test stories (story_report.json, failed_test_stories.yml,
stories_with_warnings.yml, successful_test_stories.yml with `--successes`,
story_confusion_matrix.png); plain `stratus test` runs both, as `rasa test` does: the
stories first and end to end (`--e2e`), then the NLU data. `--successes`, `--no-errors`,
`--no-warnings` and `--no-plot` apply to both parts, as in Rasa 3.6.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stratus.shared.exceptions import StratusError

if TYPE_CHECKING:
    from stratus.evaluation.runner import CrossValidation, ModelLoader, NluTrainer
    from stratus.shared.config import ProjectConfig
    from stratus.shared.training_data import TrainingData

logger = logging.getLogger(__name__)


class FailedTestStories(StratusError):
    """`--fail-on-prediction-errors` and a test story failed (every file is written)."""


DEFAULT_RESULTS = "results"
DEFAULT_FOLDS = 5
# Rasa's `rasa test nlu --runs --percentages` defaults (comparison mode)
DEFAULT_RUNS = 3
DEFAULT_PERCENTAGES = (0, 25, 50, 75)


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options of `stratus test`, repeated on its subcommands.

    Subcommands get SUPPRESS defaults so `stratus test --out x nlu` keeps `--out x`.
    """

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--project", default=default("."), help="project directory (default: current directory)"
    )
    parser.add_argument(
        "-m",
        "--model",
        default=default(None),
        help="a model directory, or a folder of models whose newest is used (default: models)",
    )
    parser.add_argument(
        "--out",
        default=default(DEFAULT_RESULTS),
        help="where to write the results (default: results)",
    )


def _nlu_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "-u", "--nlu", default=default(None), help="NLU test data: a file or folder (default: data)"
    )
    parser.add_argument(
        "-c",
        "--config",
        nargs="+",
        default=default(None),
        help="config.yml for cross-validation training; two or more (or a folder of them) "
        "are compared, as `rasa test nlu` compares them",
    )
    parser.add_argument(
        "--cross-validation",
        action="store_true",
        default=default(False),
        help="train and test on N folds of the data instead of testing a model",
    )
    parser.add_argument(
        "-f",
        "--folds",
        type=int,
        default=default(DEFAULT_FOLDS),
        help="number of cross-validation folds (default: 5)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=default(0),
        help="seed of the cross-validation or comparison splits",
    )
    parser.add_argument(
        "-r",
        "--runs",
        type=int,
        default=default(DEFAULT_RUNS),
        help=f"comparison runs, each on a new 80/20 split (default: {DEFAULT_RUNS})",
    )
    parser.add_argument(
        "-p",
        "--percentages",
        type=int,
        nargs="+",
        default=default(list(DEFAULT_PERCENTAGES)),
        help="percentages of the training data to leave out in a comparison (default: 0 25 50 75)",
    )


def _result_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Which result files to write: Rasa's names and defaults, shared by NLU and core."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--successes",
        action="store_true",
        default=default(False),
        help="also write correct predictions (core: successful_test_stories.yml)",
    )
    parser.add_argument(
        "--no-errors",
        action="store_true",
        default=default(False),
        help="do not write incorrect predictions (core: failed_test_stories.yml)",
    )
    parser.add_argument(
        "--no-warnings",
        action="store_true",
        default=default(False),
        help="do not write stories with prediction warnings (stories_with_warnings.yml)",
    )
    parser.add_argument(
        "--no-plot",
        dest="disable_plotting",
        action="store_true",
        default=default(False),
        help="do not draw the PNG plots",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser, suppress=False)
    _nlu_options(parser, suppress=False)
    _core_options(parser, suppress=False)
    _result_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="test_target", metavar="{nlu,core}")
    nlu = sub.add_parser("nlu", help="evaluate intents, entities and response selection")
    _common(nlu, suppress=True)
    _nlu_options(nlu, suppress=True)
    _result_options(nlu, suppress=True)
    core = sub.add_parser("core", help="evaluate dialogue on test stories")
    _common(core, suppress=True)
    _core_options(core, suppress=True)
    _result_options(core, suppress=True)


def _core_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "-s",
        "--stories",
        nargs="+",
        default=default(None),
        help="test story files or folders (default: PROJECT/tests)",
    )
    parser.add_argument(
        "--e2e",
        action="store_true",
        default=default(False),
        help="run NLU on the stories' user texts and score intents and entities too",
    )
    parser.add_argument(
        "--evaluate-model-directory",
        action="store_true",
        default=default(False),
        help="score the models `stratus train core -c a.yml b.yml` wrote to --model "
        "against each other (results.json, core_model_comparison_graph.pdf)",
    )
    parser.add_argument(
        "--fail-on-prediction-errors",
        action="store_true",
        default=default(False),
        help="exit 1, naming the failed stories, when a test story fails",
    )
    parser.add_argument(
        "--max-stories",
        type=int,
        default=default(None),
        help="test at most this many stories (the first ones)",
    )
    parser.add_argument(
        "--url",
        default=default(None),
        help="test the stories of the YAML file at this URL (a GET request) instead",
    )


def run(args: argparse.Namespace) -> int:
    target = getattr(args, "test_target", None)
    if target == "core":
        return run_core(args)
    if target is None and _story_paths(args):
        # `stratus test` means both, as `rasa test` does: the test stories first, end to
        # end (their user texts go through NLU and are scored too), then the NLU data.
        # Rasa stops at the first wrong prediction with --fail-on-prediction-errors; here
        # the NLU part still writes its files before the run fails.
        args.e2e = True
        try:
            code = run_core(args)
        except FailedTestStories:
            print()
            run_nlu(args)
            raise
        print()
        return max(code, run_nlu(args))
    return run_nlu(args)


def _story_paths(args: argparse.Namespace) -> list[Path]:
    if args.stories:
        return [Path(p) for p in args.stories]
    folder = Path(args.project) / "tests"
    has_yaml = folder.is_dir() and any(
        p.suffix in (".yml", ".yaml") for p in folder.rglob("*") if p.is_file()
    )
    return [folder] if has_yaml else []


def run_core(args: argparse.Namespace) -> int:
    """`stratus test core`: replay the test stories and write Rasa's result files."""
    from stratus.core.testing import format_summary, run_core_test
    from stratus.nlu.duckling import duckling_url_from

    if getattr(args, "url", None):
        with tempfile.TemporaryDirectory(prefix="stratus-stories-") as folder:
            args.stories = [str(_download_stories(args.url, Path(folder)))]
            args.url = None
            return run_core(args)
    stories = _story_paths(args)
    if not stories:
        raise StratusError(
            f"No test stories found in '{Path(args.project) / 'tests'}'; pass them with --stories."
        )
    if args.evaluate_model_directory:
        return _compare_core_models(args, stories)
    if args.max_stories is not None and args.max_stories < 1:
        raise StratusError("--max-stories must be at least 1.")
    result = run_core_test(
        _model_dir(args),
        stories,
        Path(args.out),
        Path(args.project),
        e2e=args.e2e,
        plot=not args.disable_plotting,
        errors=not args.no_errors,
        successes=args.successes,
        warnings=not args.no_warnings,
        duckling_url=duckling_url_from(os.environ),
        max_stories=args.max_stories,
    )
    print(format_summary(result))
    if args.fail_on_prediction_errors and result.failed:
        # Rasa stops at the first wrong prediction; here every story is still tested and
        # every result file written before the run fails.
        names = "\n".join(f"  {story.label}" for story in result.failed)
        raise FailedTestStories(
            f"{len(result.failed)} of {result.total} test stories failed "
            f"(--fail-on-prediction-errors):\n{names}"
        )
    return 0


def _download_stories(url: str, folder: Path) -> Path:
    """The story file at `url` (Rasa's `rasa test core --url`), saved into `folder`."""
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise StratusError(f"--url must be an http(s) URL, not '{url}'.")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
    except (urllib.error.URLError, OSError) as e:
        raise StratusError(f"Could not download the test stories from {url}: {e}") from None
    path = folder / "test_stories.yml"
    path.write_bytes(body)
    return path


def _compare_core_models(args: argparse.Namespace, stories: list[Path]) -> int:
    """`rasa test core --evaluate-model-directory`: the correct test stories of every
    model the comparison trained, per config, run and share of stories left out."""
    from stratus.core.testing.comparison import compare_models_in_dir
    from stratus.evaluation.writer import format_table
    from stratus.nlu.duckling import duckling_url_from

    folder = Path(args.model or Path(args.project) / "models")
    correct = compare_models_in_dir(
        folder,
        stories,
        Path(args.out),
        Path(args.project),
        plot=not args.disable_plotting,
        duckling_url=duckling_url_from(os.environ),
        progress=lambda line: print(line, flush=True),
    )
    rows = [
        [name, f"run {i}", " ".join(str(n) for n in counts)]
        for name, runs in correct.items()
        for i, counts in enumerate(runs, start=1)
    ]
    print("\nCorrect test stories, per share of the training stories left out:")
    print(format_table(["config", "run", "correct stories"], rows))
    print(f"\nResults written to {args.out}")
    return 0


def run_nlu(args: argparse.Namespace) -> int:
    """`stratus test nlu`: print the summary table and write the result files."""
    from stratus.cli.options import load_nlu_data
    from stratus.evaluation import summary_table, write_results

    loaded = load_nlu_data(args.project, args.nlu)
    data = loaded.nlu
    started = time.perf_counter()
    compared = _comparison_configs(args)
    if compared is not None:
        return _compare(args, loaded, compared, started)
    if args.cross_validation:
        result = _cross_validate(args, loaded)
        evaluation = result.evaluation
        print(_cross_validation_table(result))
        print()
        print(f"All {result.folds} test folds together ({result.examples} examples):")
    else:
        from stratus.evaluation.runner import evaluate_model

        parser = _loader()(_model_dir(args))
        evaluation = evaluate_model(parser, data.examples)
    written = write_results(
        evaluation,
        args.out,
        errors=not args.no_errors,
        successes=args.successes,
        plot=not args.disable_plotting,
    )
    print(summary_table(evaluation))
    took = time.perf_counter() - started
    print(f"\nWrote {len(written)} files to {args.out}/ in {took:.1f} s.")
    return 0


def _model_dir(args: argparse.Namespace) -> Path:
    from stratus.model import resolve_model_dir

    return resolve_model_dir(args.model or Path(args.project) / "models")


def _loader() -> ModelLoader:
    """The NLU interpreter's loader (onnxruntime; imported only when a model is tested)."""
    from stratus.nlu.duckling import duckling_url_from
    from stratus.nlu.interpreter import Interpreter

    return functools.partial(Interpreter.load, duckling_url=duckling_url_from(os.environ))


def _trainer() -> NluTrainer:
    """Training lives in `stratus_train` (the `train` extra); the engine never imports it."""
    try:
        module = importlib.import_module("stratus_train.nlu")
    except ImportError as e:
        raise StratusError(
            "Cross-validation trains models and needs the training extra: "
            f"pip install 'stratus[train]' ({e})."
        ) from e
    trainer: NluTrainer = module.NluTrainer()
    return trainer


def _cross_validate(args: argparse.Namespace, loaded: TrainingData) -> CrossValidation:
    from stratus.evaluation.runner import cross_validate
    from stratus.shared.config import load_config
    from stratus.shared.project import ProjectPaths

    if args.folds < 2:
        raise StratusError("--folds must be at least 2.")
    paths = ProjectPaths.discover(args.project, config=args.config[0] if args.config else None)
    config = load_config(paths.config)
    responses = _retrieval_responses(paths.domain, loaded)
    trainer, load = _trainer(), _loader()
    with tempfile.TemporaryDirectory(prefix="stratus-cv-") as workdir:
        try:
            return cross_validate(
                trainer,
                load,
                config,
                loaded.nlu,
                args.folds,
                Path(workdir),
                seed=args.seed,
                progress=lambda line: print(line, flush=True),
                responses=responses,
            )
        except ValueError as e:
            raise StratusError(str(e)) from e


def _comparison_configs(args: argparse.Namespace) -> list[tuple[str, ProjectConfig]] | None:
    """The configs to compare, each named after its file (Rasa's model names): two or
    more `--config` files, or the files of one `--config` folder. None when there is
    nothing to compare. A file that is not a valid config is left out with a warning,
    as Rasa leaves it out."""
    from stratus.shared.config import load_config

    given = [Path(c) for c in args.config or ()]
    if len(given) == 1 and given[0].is_dir():
        paths = sorted(p for p in given[0].rglob("*") if p.is_file())
    elif len(given) > 1:
        paths = given
    else:
        return None
    configs = []
    for path in paths:
        try:
            configs.append((path.stem, load_config(path)))
        except StratusError as e:
            logger.warning("Ignoring file '%s' as it is not a valid config file: %s", path, e)
    if not configs:
        raise StratusError(
            f"None of {', '.join(str(p) for p in paths) or given[0]} is a valid config file."
        )
    return configs


def _compare(
    args: argparse.Namespace,
    loaded: TrainingData,
    configs: list[tuple[str, ProjectConfig]],
    started: float,
) -> int:
    """`rasa test nlu --config a.yml b.yml`: train each config on shrinking shares of the
    training data over several runs; print each config's intent F1 and write Rasa's files."""
    from stratus.evaluation.comparison import MIN_EXAMPLES_PER_INTENT, compare_configs
    from stratus.evaluation.writer import format_table
    from stratus.shared.project import ProjectPaths

    paths = ProjectPaths.discover(args.project)
    comparison = compare_configs(
        _trainer(),
        _loader(),
        configs,
        loaded.nlu,
        Path(args.out),
        runs=args.runs,
        percentages=args.percentages,
        seed=args.seed,
        responses=_retrieval_responses(paths.domain, loaded),
        plot=not args.disable_plotting,
        progress=lambda line: print(line, flush=True),
    )
    header = ["training examples", *(name for name, _ in configs)]
    summary = comparison.summary()
    rows = [
        [
            f"{examples} ({percentage}% left out)",
            *(f"{summary[name][i][0]:.4f} +- {summary[name][i][1]:.4f}" for name, _ in configs),
        ]
        for i, (percentage, examples) in enumerate(
            zip(comparison.percentages, comparison.training_examples)
        )
    ]
    print(f"\nIntent F1 (weighted), mean and std over {args.runs} runs:")
    print(format_table(header, rows))
    if comparison.dropped:
        print(
            f"{comparison.dropped} examples left out: their intents have fewer than "
            f"{MIN_EXAMPLES_PER_INTENT}."
        )
    took = time.perf_counter() - started
    print(f"\nWrote the comparison to {args.out}/ in {took:.1f} s.")
    return 0


def _retrieval_responses(
    domain_file: Path | None, loaded: TrainingData
) -> dict[str, list[dict[str, Any]]]:
    """The retrieval responses (`utter_faq/ask_name`) of the domain and the data files, a
    data file's winning as in `stratus train`: what each fold's ResponseSelector answers
    with (Rasa's cross-validation reads them too)."""
    from stratus.nlu.inputs import retrieval_responses
    from stratus.shared.domain import load_domain
    from stratus.shared.project import data_responses

    found = list(load_domain(domain_file).responses) if domain_file else []
    return retrieval_responses([*found, *data_responses(loaded)[0]])


def _cross_validation_table(result: CrossValidation) -> str:
    from stratus.evaluation.writer import format_table

    rows = [
        [part, metric, f"{mean:.4f}", f"{std:.4f}"]
        for part, metrics in result.summary().items()
        for metric, (mean, std) in metrics.items()
    ]
    header = f"Cross-validation, {result.folds} folds, test folds (mean and std over folds):"
    if result.dropped:
        header += (
            f"\n{result.dropped} examples left out: their intents have fewer than "
            f"{result.folds} examples."
        )
    return header + "\n" + format_table(["", "metric", "mean", "std"], rows)
