"""Train and run a Rasa 3.6 NLU model; runs inside the peer venv (Python 3.10, Rasa only).

Called by bench/nlu_accuracy.py. Writes one JSON file with the training time, the model
size, every parse result (in the order of the given texts) and per-message parse
latencies, so both systems are scored by the same Stratus evaluation code.

    python rasa_nlu_peer.py --config C --train T [--train T2 ...] --texts texts.json --out DIR
"""

import argparse
import asyncio
import json
import logging
import os
import resource
import sys
import time
import warnings

WARM_UP = 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--train", required=True, help="training data file or folder")
    parser.add_argument("--texts", required=True, help="JSON list of test texts")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)

    started = time.perf_counter()
    import rasa
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    import_seconds = time.perf_counter() - started

    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    model_path = train_nlu(args.config, args.train, args.out, fixed_model_name="rasa-nlu")
    train_seconds = time.perf_counter() - started
    if not model_path:
        print("rasa train nlu produced no model", file=sys.stderr)
        return 1

    with open(args.texts, encoding="utf-8") as f:
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
    out = {
        "system": "rasa",
        "version": rasa.__version__,
        "import_seconds": import_seconds,
        "train_seconds": train_seconds,
        "load_seconds": load_seconds,
        "model_bytes": os.path.getsize(model_path),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "latencies_ms": latencies,
        "parses": parses,
    }
    with open(os.path.join(args.out, "rasa_results.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
