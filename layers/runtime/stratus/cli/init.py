"""`stratus init`: a new project to start from, as `rasa init` makes one.

The project is Rasa's initial one (the mood bot: domain, config with the defaults listed,
NLU data, stories, rules, test stories, endpoints, credentials), with an actions
package Stratus runs as a Lambda handler. Files that already exist are kept, never
overwritten. Then, as Rasa does, it offers to train a model and to talk to it;
`--no-prompt` takes the defaults (the current folder or `--init-dir`, train, no shell).
"""

from __future__ import annotations

import argparse
import importlib
import secrets
import sys
import time
from argparse import Namespace
from pathlib import Path
from typing import TextIO

from stratus.shared.config import PLACEHOLDER_ASSISTANT_ID
from stratus.shared.exceptions import StratusError

TEMPLATE = Path(__file__).resolve().parent / "initial_project"
TEMPLATE_SUFFIX = ".tmpl"  # Python files are stored so, out of the engine's own modules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init-dir",
        default=None,
        help="the folder for the project (default: asked; with --no-prompt, this folder)",
    )
    parser.add_argument(
        "--no-prompt",
        action="store_true",
        help="take the defaults: create the project, train a model, start no shell",
    )


def run(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin, out = stdin or sys.stdin, out or sys.stdout  # the streams of the moment
    print("Welcome to Stratus!\n", file=out)
    print("To get started quickly, an initial project will be created.\n", file=out)

    def confirm(question: str, default: bool) -> bool:
        if args.no_prompt:
            return default
        print(f"{question} [{'Y/n' if default else 'y/N'}] ", end="", file=out, flush=True)
        answer = stdin.readline().strip().lower()
        return default if not answer else answer in ("y", "yes")

    if args.init_dir is not None:
        path = Path(args.init_dir)
    elif args.no_prompt:
        path = Path(".")
    else:
        print(
            "Please enter a path where the project will be created [default: current folder] ",
            end="",
            file=out,
            flush=True,
        )
        path = Path(stdin.readline().strip() or ".")
    if path.exists() and not path.is_dir():
        raise StratusError(f"Project init path '{path}' is a file, not a folder.")
    if not path.is_dir():
        if args.no_prompt:
            raise StratusError(f"Project init path '{path}' not found.")
        if not confirm(f"Path '{path}' does not exist. Create it?", True):
            print("Ok. You can continue setting up by running 'stratus init'.", file=out)
            return 0
        path.mkdir(parents=True)
    elif any(path.iterdir()) and not confirm(
        f"Folder '{path.resolve()}' is not empty; existing files are kept. Continue?", True
    ):
        print("Ok. You can continue setting up by running 'stratus init'.", file=out)
        return 0

    written, kept = create_initial_project(path)
    print(f"Created project directory at '{path.resolve()}' ({len(written)} files).", file=out)
    if kept:
        print(f"Kept your existing {', '.join(kept)}: not overwritten.", file=out)
    if not confirm("Do you want to train an initial model?", True):
        print(
            "No problem. You can train a model later by running 'stratus train' in the "
            "project folder.",
            file=out,
        )
        return 0
    model_dir = _train(path, out)
    if model_dir is None:
        return 1
    if confirm("Do you want to speak to the trained assistant on the command line?", False):
        from stratus.cli import shell

        shell_args = Namespace(
            model=str(model_dir), project=str(path), endpoints=None, sender="shell", debug=False
        )
        return shell.run(shell_args, stdin=stdin, out=out)
    print(
        "If you want to speak to the assistant, run 'stratus shell' at any time inside "
        "the project folder.",
        file=out,
    )
    return 0


def create_initial_project(path: Path) -> tuple[list[str], list[str]]:
    """Copy the template into `path`: (files written, files kept because they exist).
    config.yml gets a new `assistant_id`."""
    written, kept = [], []
    for source in sorted(p for p in TEMPLATE.rglob("*") if p.is_file()):
        relative = source.relative_to(TEMPLATE)
        if relative.suffix == TEMPLATE_SUFFIX:
            relative = relative.with_suffix("")
        elif "__pycache__" in relative.parts:
            continue
        target = path / relative
        if target.exists():
            kept.append(relative.as_posix())
            continue
        text = source.read_text(encoding="utf-8")
        if relative.as_posix() == "config.yml":
            text = text.replace(PLACEHOLDER_ASSISTANT_ID, new_assistant_id(), 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(relative.as_posix())
    return written, kept


def new_assistant_id() -> str:
    """Unique enough for one deployment, and says when it was made (as Rasa's)."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def _train(path: Path, out: TextIO) -> Path | None:
    """Train the new project into `path/models`; None (with the reason) when the
    training extra is not installed."""
    try:
        # By name: the engine keeps no static dependency on training code (import-linter).
        training = importlib.import_module("stratus_train.train")
    except ImportError as e:
        print(
            "Training needs the training extra (TensorFlow): pip install 'stratus[train]' "
            f"({e}); then run 'stratus train' in the project folder.",
            file=out,
        )
        return None
    print("Training an initial model...", file=out, flush=True)
    result = training.train(
        path, out=path / "models", progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(f"Your Stratus model is trained and saved at '{result.model_dir}'.", file=out)
    return Path(result.model_dir)
