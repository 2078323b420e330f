"""`stratus` entry point: one subcommand per module, registered in one explicit table."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from stratus import RASA_COMPATIBLE_VERSION, __version__
from stratus.shared.exceptions import StratusError

# subcommand -> (module under stratus.cli, one-line help). Modules are imported lazily so
# `stratus validate` never pays for onnxruntime and `stratus parse` never for training code.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("stratus.cli.init", "create a new project to start from (and train it)"),
    "validate": ("stratus.cli.validate", "check a Rasa project for mistakes and summarise it"),
    "data": ("stratus.cli.data", "split the NLU data into training and test files; validate"),
    "test": ("stratus.cli.test", "evaluate a trained model on test data (nlu, core)"),
    "train": ("stratus.cli.train", "train a model from a Rasa project (needs the train extra)"),
    "parse": ("stratus.cli.parse", "print the NLU parse result of texts with a trained model"),
    "shell": ("stratus.cli.shell", "talk to a trained model in the terminal"),
    "run": ("stratus.cli.run", "serve a trained model over HTTP (REST channel, HTTP API)"),
    "export": ("stratus.cli.export", "publish the stored conversations to the event broker"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stratus",
        description="Rasa-compatible conversational AI that runs serverless on AWS.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"stratus {__version__} (Rasa {RASA_COMPATIBLE_VERSION} compatible)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except StratusError as e:
        print(str(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
