"""Train and run a Rasa 3.6 NLU model; runs inside the peer venv (Python 3.10, Rasa only).

Called by bench/nlu_accuracy.py. Writes one JSON file with the training time, the model
size, every parse result (in the order of the given texts) and per-message parse
latencies, so both systems are scored by the same Stratus evaluation code. The texts are
parsed by a fresh process (this script with --parse), the way `rasa run` would load the
model, as Stratus' are (bench/stratus_parse.py).

    python rasa_nlu_peer.py --config C --train T --texts texts.json --out DIR
"""

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import warnings

import peak_memory  # bench/, beside this script

WARM_UP = 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--train", help="training data file or folder")
    parser.add_argument("--parse", metavar="MODEL", help="only parse the texts with MODEL")
    parser.add_argument("--texts", required=True, help="JSON list of test texts")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    if args.parse:
        return parse(args.parse, args.texts, args.out)
    if not (args.config and args.train):
        parser.error("--config and --train are needed to train")

    started = time.perf_counter()
    import rasa
    from rasa.model_training import train_nlu

    import_seconds = time.perf_counter() - started

    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    model_path = train_nlu(args.config, args.train, args.out, fixed_model_name="rasa-nlu")
    train_seconds = time.perf_counter() - started
    if not model_path:
        print("rasa train nlu produced no model", file=sys.stderr)
        return 1
    peak_rss_mb = peak_memory.peak_rss_mb()

    parsed_file = os.path.join(args.out, "rasa_parses.json")
    command = [sys.executable, os.path.abspath(__file__), "--parse", model_path]
    command += ["--texts", args.texts, "--out", parsed_file]
    done = subprocess.run(command)
    if done.returncode != 0:
        print(f"parsing with {model_path} failed (exit {done.returncode})", file=sys.stderr)
        return 1
    with open(parsed_file, encoding="utf-8") as f:
        parsed = json.load(f)
    out = {
        "system": "rasa",
        "version": rasa.__version__,
        "import_seconds": import_seconds,
        "train_seconds": train_seconds,
        "model_bytes": os.path.getsize(model_path),
        "peak_rss_mb": peak_rss_mb,
        **parsed,
    }
    with open(os.path.join(args.out, "rasa_results.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, default=float)
    return 0


def parse(model_path: str, texts_file: str, out_file: str) -> int:
    """Loads the model cold, warms up, then times every text once."""
    from rasa.core.agent import Agent

    with open(texts_file, encoding="utf-8") as f:
        texts = json.load(f)
    loop = asyncio.new_event_loop()
    started = time.perf_counter()
    agent = Agent.load(model_path)
    load_seconds = time.perf_counter() - started
    for text in texts[:WARM_UP]:
        loop.run_until_complete(agent.parse_message(text))
    parses, latencies = [], []
    for text in texts:
        t0 = time.perf_counter()
        result = loop.run_until_complete(agent.parse_message(text))
        latencies.append((time.perf_counter() - t0) * 1000.0)
        parses.append(
            {
                "text": result.get("text"),
                "intent": result.get("intent"),
                "intent_ranking": result.get("intent_ranking"),
                "entities": result.get("entities") or [],
                "response_selector": result.get("response_selector"),
                "text_tokens": result.get("text_tokens"),
            }
        )
    out = {"load_seconds": load_seconds, "latencies_ms": latencies, "parses": parses}
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(out, f, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
