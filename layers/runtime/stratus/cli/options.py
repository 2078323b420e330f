"""Project options shared by `validate`, `train` and `test` (Rasa's CLI overrides)."""

from __future__ import annotations

import argparse

from stratus.shared.project import ProjectPaths


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=".", help="the Rasa project directory (default: .)")
    parser.add_argument("--domain", help="domain file or directory (default: PROJECT/domain.yml)")
    parser.add_argument("--config", help="config file (default: PROJECT/config.yml)")
    parser.add_argument(
        "--data",
        nargs="+",
        metavar="PATH",
        help="data files or directories (default: PROJECT/data)",
    )


def project_paths(args: argparse.Namespace) -> ProjectPaths:
    """The project's paths with the command line's overrides applied."""
    return ProjectPaths.discover(
        args.project,
        domain=args.domain,
        config=args.config,
        data=args.data,
        tests=getattr(args, "stories", None),
        endpoints=getattr(args, "endpoints", None),
        credentials=getattr(args, "credentials", None),
    )
