"""`stratus shell`: talk to a trained model in the terminal (Rasa's `rasa shell`), or
with `stratus shell nlu` (and for a model without a dialogue part) see the parse result
of each message typed (Rasa's `rasa shell nlu`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from stratus.model.storage import DEFAULT_MODELS_DIR

QUIT = {"/stop", "/quit", "/exit"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        choices=["nlu"],
        help="nlu: print the parse result of each message typed (rasa shell nlu); "
        "also what a model trained with --nlu-only gets",
    )
    parser.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODELS_DIR,
        help="a model, or a folder whose newest model is used (default: models)",
    )
    parser.add_argument(
        "--project", default=".", help="project whose actions/handler.py runs the custom actions"
    )
    parser.add_argument("--endpoints", help="endpoints.yml (default: PROJECT/endpoints.yml)")
    parser.add_argument("--sender", default="shell", help="conversation id (default: shell)")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show intent ranking, entities, slots and the policy of each action",
    )


def render(message: dict[str, Any], out: TextIO) -> list[str]:
    """Print one bot message; returns the payloads of its buttons, numbered from 1."""
    if message.get("text"):
        print(f"Bot: {message['text']}", file=out)
    if message.get("image"):
        print(f"Bot: [image] {message['image']}", file=out)
    if message.get("custom") is not None:
        print(f"Bot: [custom] {json.dumps(message['custom'])}", file=out)
    if message.get("attachment"):
        print(f"Bot: [attachment] {json.dumps(message['attachment'])}", file=out)
    payloads = []
    for button in message.get("buttons") or []:
        payloads.append(str(button.get("payload", "")))
        print(
            f"  {len(payloads)}: {button.get('title', '')} ({button.get('payload', '')})", file=out
        )
    return payloads


def debug_turn(result: Any, out: TextIO) -> None:
    from stratus.shared.events import ActionExecuted, UserUttered

    for event in result.events:
        if isinstance(event, UserUttered):
            parse = event.parse_data or {}
            ranking = ", ".join(
                f"{r['name']} {r['confidence']:.2f}" for r in parse.get("intent_ranking", [])[:3]
            )
            print(f"  [nlu] {ranking or parse.get('intent')}", file=out)
            for ent in parse.get("entities", []):
                print(f"  [entity] {ent.get('entity')}={ent.get('value')!r}", file=out)
        elif isinstance(event, ActionExecuted):
            confidence = f" {event.confidence:.2f}" if event.confidence is not None else ""
            print(f"  [action] {event.action_name} ({event.policy}{confidence})", file=out)
    slots = {k: v for k, v in result.tracker.current_slot_values().items() if v is not None}
    print(f"  [slots] {json.dumps(slots, default=str)}", file=out)


def run(args: argparse.Namespace, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    from stratus.model.plan import CORE_PART
    from stratus.model.storage import load_manifest_of

    model_dir, manifest = load_manifest_of(args.model)
    if getattr(args, "target", None) == "nlu":
        return nlu_shell(model_dir, stdin, out)
    if CORE_PART not in manifest.parts:
        # As `rasa shell` with an NLU-only model.
        print(f"{model_dir} has no dialogue part (trained with --nlu-only).", file=out)
        return nlu_shell(model_dir, stdin, out)
    return chat(args, model_dir, stdin, out)


def nlu_shell(model_dir: Path, stdin: TextIO, out: TextIO) -> int:
    """Rasa's `rasa shell nlu`: every line typed is parsed, its parse result printed as
    indented JSON, until end of input."""
    from stratus.nlu.duckling import duckling_url_from
    from stratus.nlu.interpreter import Interpreter

    interpreter = Interpreter.load(model_dir, duckling_url=duckling_url_from(os.environ))
    print("NLU model loaded. Type a message and press enter to parse it.", file=out)
    interactive = stdin.isatty()
    while True:
        if interactive:
            print("Next message:", file=out, flush=True)
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            line = ""
        if not line:
            break
        result = interpreter.parse(line.strip())
        print(json.dumps(result, indent=2, ensure_ascii=False), file=out, flush=True)
    return 0


def chat(args: argparse.Namespace, model_dir: Path, stdin: TextIO, out: TextIO) -> int:
    from stratus.agent import Agent
    from stratus.core.actions.clients import action_client_for
    from stratus.core.processor import UserMessage
    from stratus.nlu.duckling import duckling_url_from
    from stratus.shared.endpoints import load_endpoints
    from stratus.stores import SQLiteTrackerStore

    project = Path(args.project)
    agent = Agent.load(model_dir, duckling_url=duckling_url_from(os.environ))
    endpoints = load_endpoints(args.endpoints or project / "endpoints.yml")
    with tempfile.TemporaryDirectory(prefix="stratus-shell-") as tmp:
        store = SQLiteTrackerStore(Path(tmp) / "trackers.db")
        client = action_client_for(
            endpoints.action,
            actions_dir=project / "actions",
            file=endpoints.file or "endpoints.yml",
        )
        processor = agent.processor(store, endpoints, action_client=client)
        interactive = stdin.isatty()
        print(f"Chatting with {agent.model_dir}. Type /stop to end.", file=out)
        buttons: list[str] = []
        while True:
            if interactive:
                print("Your input -> ", end="", file=out, flush=True)
            line = stdin.readline()
            if not line:
                break
            text = line.rstrip("\n")
            if text.strip() in QUIT:
                break
            if text.strip().isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]  # a numbered choice sends its button payload
            if not interactive:
                print(f"You: {text}", file=out)
            result = processor.handle_message(
                UserMessage(text, sender_id=args.sender, input_channel="cmdline")
            )
            buttons = []
            for message in result.messages:
                buttons.extend(render(message, out))
            if args.debug:
                debug_turn(result, out)
            out.flush()
    return 0
