"""`stratus parse`: print Rasa's parse result for texts, from a trained model.

stratus parse --model models "hello there"      one JSON document per text
echo "hi" | stratus parse --model models        one JSON line per input line
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from stratus.model.storage import DEFAULT_MODELS_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        "-m",
        default=DEFAULT_MODELS_DIR,
        help="a model directory, or a folder of models (the newest is used); default: models",
    )
    parser.add_argument(
        "texts", nargs="*", metavar="TEXT", help="texts to parse (default: lines from stdin)"
    )
    parser.add_argument(
        "--verify", action="store_true", help="check the model's files against its manifest"
    )


def run(args: argparse.Namespace) -> int:
    from stratus.nlu.duckling import duckling_url_from
    from stratus.nlu.interpreter import Interpreter  # onnxruntime: only when parsing

    interpreter = Interpreter.load(
        args.model, verify=args.verify, duckling_url=duckling_url_from(os.environ)
    )
    if args.texts:
        for result in interpreter.parse_batch(args.texts):
            print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    for line in sys.stdin:
        result = interpreter.parse(line.rstrip("\n"))
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0
