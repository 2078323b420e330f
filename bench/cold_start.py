"""Cold start of a Lambda door: a fresh process imports functions/rest/handler.py (init:
settings, model load, app), then answers one API Gateway HTTP API event.

    .venv/bin/python bench/cold_start.py [--model DIR] [--runs 5]

The model is a local folder (STRATUS_MODEL_DIR; the S3 download is not timed) and the
tracker store SQLite in a temp dir, so the figure is the door's own init and first
turn. Printed: median init time, first-answer time (process start to answer) and peak
RSS over `--runs` fresh processes. Rasa 3.6's figure is `rasa run` until it answers
(42-49 s, ../shared/peers/rasa/README.md).

`--deployed` runs the door as deployed instead: template.yaml's resources on a moto
server on loopback, the model uploaded to its bucket with its version in the SSM
parameter (downloaded at init, as in Lambda), DynamoDB trackers, Kinesis + EventBridge
with the SQS dead-letter queue, the example bot's actions through the local Lambda
invoker, and X-Ray tracing on (Powertools traces when LAMBDA_TASK_ROOT is set; with no
X-Ray daemon the segments go to an unused UDP port). `--no-tracing` turns tracing off.
`--tracemalloc` prints where the live Python memory is, by package.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = r"""
import base64, json, os, sys, time
if os.environ.get("BENCH_TRACEMALLOC"):  # --tracemalloc
    import tracemalloc; tracemalloc.start()
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[3])  # the example bot, for its actions package
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
if os.environ.get("BENCH_TRACEMALLOC"):  # live Python allocations by package, to stderr
    import collections
    sizes = collections.Counter()
    for stat in tracemalloc.take_snapshot().statistics("filename"):
        path = stat.traceback[0].filename
        sizes[path.split("site-packages/")[-1].split("/")[0]] += stat.size
    for name, size in sizes.most_common(15):
        print(f"tracemalloc {size / 2**20:6.1f} MB {name}", file=sys.stderr)
print(json.dumps({"init": init, "first": first, "rss_mb": rss}))
"""


@contextlib.contextmanager
def deployed_stack(model: Path) -> Iterator[dict[str, str]]:
    """template.yaml's resources on a moto server on loopback, `model` uploaded with its
    version in the SSM parameter; yields the functions' environment for that stack."""
    import boto3
    from moto.server import ThreadedMotoServer

    from stratus.local.stack import create_local_stack
    from stratus.model.s3 import upload_model

    credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    os.environ.update(credentials)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        stack = create_local_stack(endpoint, REPO / "template.yaml", stage="bench")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=stack.region)
        version = upload_model(model, f"s3://{stack.model_bucket}/{stack.model_prefix}", client=s3)
        ssm = boto3.client("ssm", endpoint_url=endpoint, region_name=stack.region)
        ssm.put_parameter(
            Name=stack.model_version_parameter, Value=version, Type="String", Overwrite=True
        )
        yield {
            **credentials,
            **stack.environment(),
            "AWS_DEFAULT_REGION": stack.region,  # Lambda sets both
            "STRATUS_MODEL_VERSION": "",  # the SSM parameter decides, as deployed
            "STRATUS_ACTION_FUNCTION": "stratus-bench-actions",
            "STRATUS_ACTION_HANDLER": "actions.handler:handler",
        }
    finally:
        server.stop()


def newest_model(folder: Path) -> Path:
    models = sorted(p for p in folder.iterdir() if (p / "manifest.json").is_file())
    if not models:
        sys.exit(f"no trained model in {folder}: run `make demo` (or stratus train) first")
    return models[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "examples/restaurantbot/models")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deployed", action="store_true", help="as deployed: see above")
    parser.add_argument(
        "--no-tracing", action="store_true", help="with --deployed: X-Ray tracing off"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also print each run's live Python allocations by package (slower; RSS grows)",
    )
    args = parser.parse_args()
    model = args.model if (args.model / "manifest.json").is_file() else newest_model(args.model)
    results = []
    with contextlib.ExitStack() as stack:
        deployed = stack.enter_context(deployed_stack(model)) if args.deployed else None
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    **os.environ,
                    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
                    "POWERTOOLS_SERVICE_NAME": "bench",
                    "POWERTOOLS_LOG_LEVEL": "ERROR",
                    "AWS_REGION": "us-east-1",
                }
                if args.tracemalloc:
                    env["BENCH_TRACEMALLOC"] = "1"
                if deployed is None:
                    env["STRATUS_MODEL_DIR"] = str(model)
                    env["STRATUS_SQLITE_PATH"] = str(Path(tmp) / "trackers.db")
                    env["POWERTOOLS_TRACE_DISABLED"] = "true"
                else:
                    env.update(deployed)
                    env["STRATUS_MODEL_CACHE"] = str(Path(tmp) / "models")
                    if args.no_tracing:
                        env["POWERTOOLS_TRACE_DISABLED"] = "true"
                    else:
                        env.pop("POWERTOOLS_TRACE_DISABLED", None)
                        env["LAMBDA_TASK_ROOT"] = str(REPO / "functions")
                        env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:2000"
                        env["AWS_XRAY_CONTEXT_MISSING"] = "IGNORE_ERROR"
                done = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        PROBE,
                        str(REPO / "functions"),
                        str(REPO / "infra/events/http-api-v2.json"),
                        str(REPO / "examples/restaurantbot"),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    sys.exit(f"the door failed:\n{done.stderr[-3000:]}")
                results.append(json.loads(done.stdout.strip().splitlines()[-1]))
                if args.tracemalloc:
                    lines = done.stderr.splitlines()
                    print("\n".join(x for x in lines if x.startswith("tracemalloc")))
    how = "as deployed on moto" if args.deployed else "local model, SQLite"
    if args.deployed:
        how += ", X-Ray off" if args.no_tracing else ", X-Ray on"
    print(f"model: {model.name}; {how}; {args.runs} fresh processes")
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
