"""Cold start of a Lambda door: a fresh process imports functions/rest/handler.py (init:
settings, model load, app), then answers one API Gateway HTTP API event.

    .venv/bin/python bench/cold_start.py [--model DIR] [--runs 5]

The model is a local folder (STRATUS_MODEL_DIR; the S3 download is not timed) and the
tracker store SQLite in a temp dir, so the figure is the door's own init and first
turn. Printed: median init time, first-answer time (process start to answer) and peak
RSS over `--runs` fresh processes. Rasa 3.6's figure is `rasa run` until it answers
(42-49 s, ../shared/peers/rasa/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = r"""
import base64, json, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import importlib.util
spec = importlib.util.spec_from_file_location("rest_door", sys.argv[1] + "/rest/handler.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
init = time.perf_counter() - started
event = json.load(open(sys.argv[2]))
body = json.dumps({"sender": "bench", "message": "hello"}).encode()
event.update(rawPath="/webhooks/rest/webhook", rawQueryString="", queryStringParameters=None,
             headers={"content-type": "application/json"}, cookies=[],
             body=base64.b64encode(body).decode(), isBase64Encoded=True)
event["requestContext"]["http"].update(method="POST", path="/webhooks/rest/webhook")
class Context:
    function_name = "bench"; function_version = "1"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:1:function:bench"; aws_request_id = "1"
    def get_remaining_time_in_millis(self): return 28000
answer = module.lambda_handler(event, Context())
first = time.perf_counter() - started
assert answer["statusCode"] == 200, answer
# VmHWM, not ru_maxrss: a spawned process's ru_maxrss starts at its parent's (bench/peak_memory.py).
rss = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"init": init, "first": first, "rss_mb": rss}))
"""


def newest_model(folder: Path) -> Path:
    models = sorted(p for p in folder.iterdir() if (p / "manifest.json").is_file())
    if not models:
        sys.exit(f"no trained model in {folder}: run `make demo` (or stratus train) first")
    return models[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "examples/restaurantbot/models")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    model = args.model if (args.model / "manifest.json").is_file() else newest_model(args.model)
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "STRATUS_MODEL_DIR": str(model),
                "STRATUS_SQLITE_PATH": str(Path(tmp) / "trackers.db"),
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "Bench",
                "POWERTOOLS_SERVICE_NAME": "bench",
                "POWERTOOLS_LOG_LEVEL": "ERROR",
                "AWS_REGION": "us-east-1",
            }
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    PROBE,
                    str(REPO / "functions"),
                    str(REPO / "infra/events/http-api-v2.json"),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"model: {model.name}; {args.runs} fresh processes")
    print("| figure | Stratus REST door (median) | Rasa 3.6 |")
    print("|---|---|---|")
    print(
        f"| init: imports + model load + app (s) | {statistics.median(r['init'] for r in results):.2f} | - |"
    )
    print(
        f"| process start to first answer (s) | {statistics.median(r['first'] for r in results):.2f} | 42-49 |"
    )
    print(f"| peak RSS (MB) | {statistics.median(r['rss_mb'] for r in results):.0f} | 1,150 |")


if __name__ == "__main__":
    main()
