"""`stratus train`: train a model directory from a Rasa project (TensorFlow, offline).

The engine only decides whether anything changed (no TensorFlow needed for that); the
training itself lives in `stratus_train`, installed with the `train` extra.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

from stratus.cli.options import add_project_arguments, project_paths
from stratus.model.storage import DEFAULT_MODELS_DIR
from stratus.shared.exceptions import StratusError
from stratus.shared.project import ProjectPaths

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "part",
        nargs="?",
        choices=["core", "nlu"],
        help="train only this part (rasa train core / rasa train nlu), as --core-only or "
        "--nlu-only",
    )
    add_project_arguments(parser, several_configs=True)
    parser.add_argument(
        "--out",
        default=DEFAULT_MODELS_DIR,
        help="folder of models to write to (default: models), or s3://bucket/prefix to "
        "train in a temporary folder and upload the model as a new version",
    )
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--nlu-only", action="store_true", help="train the NLU part only")
    parts.add_argument("--core-only", action="store_true", help="train the dialogue part only")
    parser.add_argument(
        "--force", action="store_true", help="retrain even if the data and config are unchanged"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="comparing dialogue configs: how many times (default: 3)",
    )
    parser.add_argument(
        "--percentages",
        type=int,
        nargs="+",
        default=[0, 25, 50, 75],
        help="comparing dialogue configs: the shares of the stories to leave out "
        "(default: 0 25 50 75)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="comparing dialogue configs: seed of the choice"
    )


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from stratus.model.plan import plan_training
    from stratus.nlu.inputs import unchanged_model

    started = time.perf_counter()
    if args.part == "core":
        args.core_only = True
    elif args.part == "nlu":
        args.nlu_only = True
    if args.nlu_only and args.core_only:
        raise StratusError("`stratus train core` trains the dialogue part: leave out --nlu-only.")
    if args.config and len(args.config) > 1:
        return _compare(args, started)
    plan = plan_training(project_paths(args), nlu_only=args.nlu_only, core_only=args.core_only)
    to_s3 = str(args.out).startswith("s3://")
    # S3 holds no fingerprints to compare with cheaply: an S3 target always trains.
    if not args.force and not to_s3:
        existing = unchanged_model(Path(args.out), plan.fingerprints)
        if existing is not None:
            print(f"Nothing changed. You can use the old model stored at '{existing}'.")
            return 0
    try:
        # By name, so the engine keeps no static dependency on training code (import-linter).
        training = importlib.import_module("stratus_train.train")
    except ImportError as e:
        raise StratusError(
            "Training needs the training extra (TensorFlow, tf2onnx): "
            f"pip install 'stratus[train]' ({e})."
        ) from e
    if to_s3:
        return _train_to_s3(training, plan, args, started)
    result = training.train_plan(plan, args.out, force=args.force, progress=_progress)
    print(
        f"Your Stratus model is trained and saved at '{result.model_dir}' "
        f"({time.perf_counter() - started:.1f} s)."
    )
    return 0


def _train_to_s3(training: Any, plan: Any, args: argparse.Namespace, started: float) -> int:
    """Trains into a temporary folder and uploads the model as a new version."""
    import tempfile

    from stratus.model.s3 import upload_model

    with tempfile.TemporaryDirectory(prefix="stratus-train-") as tmp:
        result = training.train_plan(plan, tmp, force=True, progress=_progress)
        version = upload_model(result.model_dir, args.out)
    print(
        f"Your Stratus model is trained and uploaded to '{args.out.rstrip('/')}/{version}' "
        f"as version {version} ({time.perf_counter() - started:.1f} s)."
    )
    return 0


def _compare(args: argparse.Namespace, started: float) -> int:
    """`rasa train core -c a.yml b.yml`: dialogue models to compare, for
    `stratus test core --evaluate-model-directory`."""
    if not args.core_only:
        raise StratusError(
            "Several configs train dialogue models to compare, as `rasa train core` does: "
            "run `stratus train core -c ...` (or add --core-only)."
        )
    if str(args.out).startswith("s3://"):
        raise StratusError("Models to compare are written to a local folder, not to S3.")
    try:
        compare = importlib.import_module("stratus_train.compare")
    except ImportError as e:
        raise StratusError(
            f"Training needs the training extra (TensorFlow): pip install 'stratus[train]' ({e})."
        ) from e
    paths = [
        ProjectPaths.discover(args.project, domain=args.domain, config=config, data=args.data)
        for config in args.config
    ]
    models = compare.train_comparison_models(
        paths,
        Path(args.out),
        runs=args.runs,
        percentages=args.percentages,
        seed=args.seed,
        progress=_progress,
    )
    print(
        f"Trained {len(models)} dialogue models to compare in '{args.out}' "
        f"({time.perf_counter() - started:.1f} s). Score them with `stratus test core -m "
        f"{args.out} --evaluate-model-directory`."
    )
    return 0
