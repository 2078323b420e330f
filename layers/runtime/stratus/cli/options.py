"""Project options shared by `validate`, `train` and `test` (Rasa's CLI overrides)."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from stratus.shared.exceptions import StratusError
from stratus.shared.project import ProjectPaths

if TYPE_CHECKING:
    from stratus.shared.training_data import TrainingData

logger = logging.getLogger(__name__)


def add_project_arguments(parser: argparse.ArgumentParser, several_configs: bool = False) -> None:
    """`several_configs`: `--config` takes one file or more (`stratus train` compares
    dialogue configs, as `rasa train core` does); `project_paths` reads the first."""
    parser.add_argument("--project", default=".", help="the Rasa project directory (default: .)")
    parser.add_argument("--domain", help="domain file or directory (default: PROJECT/domain.yml)")
    if several_configs:
        parser.add_argument(
            "-c",
            "--config",
            nargs="+",
            help="config file (default: PROJECT/config.yml); with --core-only, two or more "
            "train dialogue models to compare (see --runs, --percentages)",
        )
    else:
        parser.add_argument("--config", help="config file (default: PROJECT/config.yml)")
    parser.add_argument(
        "--data",
        nargs="+",
        metavar="PATH",
        help="data files or directories (default: PROJECT/data)",
    )


def project_paths(args: argparse.Namespace) -> ProjectPaths:
    """The project's paths with the command line's overrides applied."""
    config = args.config[0] if isinstance(args.config, list) else args.config
    return ProjectPaths.discover(
        args.project,
        domain=args.domain,
        config=config,
        data=args.data,
        tests=getattr(args, "stories", None),
        endpoints=getattr(args, "endpoints", None),
        credentials=getattr(args, "credentials", None),
    )


def load_nlu_data(project: str, nlu: str | None) -> TrainingData:
    """The project's data files, or `--nlu`'s file or folder, for the commands that read
    NLU examples (`test nlu`, `data split nlu`); a clear error when there are none."""
    from stratus.shared.training_data import load_training_data

    paths = ProjectPaths.discover(project, data=[nlu] if nlu else None)
    if not paths.data:
        raise StratusError(
            f"No NLU data found in '{paths.root / 'data'}'; pass the data with --nlu."
        )
    loaded = load_training_data(list(paths.data), project_dir=paths.root)
    for warning in loaded.nlu.warnings:
        logger.warning("%s", warning)
    if not loaded.nlu.examples:
        raise StratusError(f"No NLU examples in {', '.join(str(p) for p in paths.data)}.")
    return loaded
