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

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_arguments(parser)
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


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from stratus.model.plan import plan_training
    from stratus.nlu.inputs import unchanged_model

    started = time.perf_counter()
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
