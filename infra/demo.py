"""`make demo`: train the example bot and hold a scripted conversation with it.

Everything runs locally with the embedded defaults: the model in
examples/restaurantbot/models, a temporary SQLite tracker store, and the bot's custom
actions (actions/handler.py) called in-process the way Lambda would call them.
"""

from __future__ import annotations

import io
import sys
import time
from argparse import Namespace
from pathlib import Path

from stratus.cli import shell
from stratus.cli.main import main

BOT = Path(__file__).resolve().parents[1] / "examples" / "restaurantbot"
SCRIPT = [
    "hi there",
    "what's the weather in Lisbon?",
    "I'd like to book a table",
    "italian please",
    "we are 4 people",
    "where are you located?",
    "at 7:30 pm",
    "actually, make it six",
    "where is my order 48213?",
    "thanks, bye",
]


def run() -> int:
    print(f"== stratus validate --project {BOT}")
    if main(["validate", "--project", str(BOT), "--quiet"]) != 0:
        return 1
    print(f"\n== stratus train --project {BOT}")
    started = time.perf_counter()
    if main(["train", "--project", str(BOT), "--out", str(BOT / "models")]) != 0:
        return 1
    print(f"(training took {time.perf_counter() - started:.1f} s)")
    print("\n== a scripted conversation (stratus shell, one line per user turn)")
    args = Namespace(
        model=str(BOT / "models"),
        project=str(BOT),
        endpoints=None,
        sender="demo",
        debug="--debug" in sys.argv,
    )
    return shell.run(args, stdin=io.StringIO("\n".join(SCRIPT) + "\n"), out=sys.stdout)


if __name__ == "__main__":
    sys.exit(run())
