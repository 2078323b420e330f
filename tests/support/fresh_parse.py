"""A model loaded and a text parsed in a fresh process, as a Lambda container does: what
the parse gave, and which of the named top-level modules the process imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# What the serving path must never import: training and its libraries.
TRAINING_MODULES = ("tensorflow", "keras", "tf2onnx", "onnx", "stratus_train")


def parse_in_fresh_process(
    model: Path, text: str, watched: Iterable[str] = TRAINING_MODULES
) -> tuple[dict[str, Any], list[str]]:
    """(the parse result, the imported modules whose top-level name is in `watched`)."""
    code = textwrap.dedent(f"""
        import json, sys
        from stratus.nlu.interpreter import Interpreter
        result = Interpreter.load({str(model)!r}).parse({text!r})
        watched = {sorted(set(watched))!r}
        imported = sorted(m for m in sys.modules if m.split(".")[0] in watched)
        print(json.dumps({{"parse": result, "imported": imported}}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return found["parse"], found["imported"]
