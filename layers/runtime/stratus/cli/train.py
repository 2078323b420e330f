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

from stratus.model.storage import DEFAULT_MODELS_DIR
from stratus.shared.exceptions import StratusError

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=".", help="project directory (default: .)")
    parser.add_argument("--config", help="config file (default: <project>/config.yml)")
    parser.add_argument("--domain", help="domain file or folder (default: <project>/domain.yml)")
    parser.add_argument("--data", nargs="+", help="data files or folders (default: <project>/data)")
    parser.add_argument(
        "--out", default=DEFAULT_MODELS_DIR, help="folder of models to write to (default: models)"
    )
    parser.add_argument("--nlu-only", action="store_true", help="train the NLU part only")
    parser.add_argument(
        "--force", action="store_true", help="retrain even if the data and config are unchanged"
    )


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from stratus.nlu.inputs import NLU_PART, load_nlu_inputs, unchanged_model

    started = time.perf_counter()
    inputs = load_nlu_inputs(args.project, config=args.config, data=args.data, domain=args.domain)
    if not args.nlu_only:
        logger.info("Stratus trains the NLU part of the model; dialogue policies come later.")
    if not args.force:
        existing = unchanged_model(Path(args.out), {NLU_PART: inputs.fingerprint()})
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
    result = training.train_inputs(inputs, args.out, force=True, progress=_progress)
    print(
        f"Your Stratus model is trained and saved at '{result.model_dir}' "
        f"({time.perf_counter() - started:.1f} s)."
    )
    return 0
