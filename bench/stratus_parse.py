"""Parse a test set with a trained Stratus model in a fresh process, as serving does.

Called by bench/nlu_accuracy.py (`nlu_systems.run_stratus`) after training. The training
process has TensorFlow loaded, with its threads and a heap of gigabytes behind it, which
slows a parse there by 15-20%; `stratus run` and the Lambda functions never import
TensorFlow, so the parse latency users get is measured here: the model loaded cold,
WARM_UP parses, then every text once. Writes the parse results (in the order of the
texts), the per-message latencies and the load time as one JSON file.

    python stratus_parse.py --model DIR --texts texts.json --out results.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

WARM_UP = 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--texts", required=True, type=Path, help="JSON list of test texts")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    started = time.perf_counter()
    from stratus.nlu.interpreter import Interpreter

    interpreter = Interpreter.load(args.model)
    load_seconds = time.perf_counter() - started
    for text in texts[:WARM_UP]:
        interpreter.parse(text)
    parses, latencies = [], []
    for text in texts:
        t0 = time.perf_counter()
        parses.append(interpreter.parse(text))
        latencies.append((time.perf_counter() - t0) * 1000.0)
    if "tensorflow" in sys.modules:  # the serving path must not have imported it
        print("tensorflow was imported while parsing", file=sys.stderr)
        return 1
    out = {"load_seconds": load_seconds, "latencies_ms": latencies, "parses": parses}
    args.out.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
