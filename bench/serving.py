"""Serving: `stratus run` and Rasa 3.6's `rasa run` on the same bot, side by side in one run.

    .venv/bin/python bench/serving.py [--bot DIR] [--peer rasa] [--json FILE]

The bot (default: ../shared/rasa-examples/moodbot) is copied to a temp dir once per
system, with the default config unless `--own-config` (training_time.prepare), and trained
by `stratus train` and, with `--peer rasa`, by `rasa train` in the venv of
bench/peer_rasa.sh (installed on first use). Then, one system at a time, the server runs
as a subprocess (`stratus run -m MODEL --enable-api`, `rasa run -m MODEL --enable-api`,
on loopback, telemetry off) and is measured:

- start: from process start until the first webhook message is answered (HTTP 200 with a
  JSON list; polled every 10 ms), which includes imports and the model load;
- RSS after that first answer (VmRSS) and peak RSS at the end of the run (VmHWM), summed
  over the server process and its children (/proc/PID/status);
- latency, sequential requests through one keep-alive connection (http.client):
  `/model/parse` p50/p95 over `--requests` after `--warmup`; `/webhooks/rest/webhook`
  p50/p95 with a new sender every 5 messages; and one sender for `--turns` turns, with the
  p50 of turns 1-20, 90-110 and 180-200 to show whether a turn's cost grows with the
  conversation.

`--model DIR` serves that trained Stratus model instead of training one (a bot's own
config trains unseeded, so two trainings can hold different conversations: to compare
two versions of the code, give both the same model).

Utterances are the bot's own NLU examples (plain text), cycled. The trackers are each
system's default: Stratus' SQLite file, Rasa's in-memory store. A bot with custom
actions answers in Stratus (in-process actions) but Rasa needs an action server, which
this benchmark does not start.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from peers import peer_venv
from training_time import EXAMPLES, prepare, rasa_cmd, stratus_cmd, timed

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 300.0  # Rasa needs 42-49 s here; a busy machine can double that
POLL_SECONDS = 0.01
WINDOWS = ((1, 20), (90, 110), (180, 200))  # turns of the long conversation, 1-based


@dataclass
class ServingResult:
    system: str
    train_s: float = float("nan")  # NaN: not trained here (`--model`)
    start_s: float = 0.0
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    parse_ms: list[float] = field(default_factory=list)
    webhook_ms: list[float] = field(default_factory=list)
    long_ms: list[float] = field(default_factory=list)  # one per turn, in order
    # Share of the measured webhook messages answered with at least one bot message: a
    # server that fails its turns can be fast, so the table shows this next to latency.
    answered_share: float = 0.0

    def summary(self) -> dict[str, float]:
        figures = {
            "train_s": self.train_s,
            "start_s": self.start_s,
            "rss_mb": self.rss_mb,
            "peak_rss_mb": self.peak_rss_mb,
            "parse_p50_ms": percentile(self.parse_ms, 50),
            "parse_p95_ms": percentile(self.parse_ms, 95),
            "webhook_p50_ms": percentile(self.webhook_ms, 50),
            "webhook_p95_ms": percentile(self.webhook_ms, 95),
            "long_p50_ms": percentile(self.long_ms, 50),
            "long_p95_ms": percentile(self.long_ms, 95),
            "answered_pct": 100 * self.answered_share,
        }
        for first, last in WINDOWS:
            turns = self.long_ms[first - 1 : last]
            if turns:
                figures[f"long_p50_ms_turns_{first}_{last}"] = percentile(turns, 50)
        return figures


def percentile(values: Sequence[float], q: float) -> float:
    """The median for q = 50, else the q-th percentile by nearest rank."""
    if not values:
        return float("nan")
    if q == 50:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def utterances(bot: Path) -> list[str]:
    """The bot's NLU examples as plain text, in file order."""
    from stratus.shared.training_data.files import load_training_data

    texts = [e.text for e in load_training_data([bot / "data"], bot).nlu.examples if e.text]
    if not texts:
        sys.exit(f"{bot} has no NLU examples to send")
    return texts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc/PID/task/*/children."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return tree


def memory_mb(pid: int, key: str) -> float:
    """A /proc/PID/status field (VmRSS, VmHWM) summed over the process tree, in MB."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(f"{key}:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


class Client:
    """One keep-alive HTTP/1.1 connection; `post` returns (answer, milliseconds)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, path: str, payload: dict[str, Any]) -> tuple[Any, float]:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        started = time.perf_counter()
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"POST {path} {payload}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data), elapsed

    def close(self) -> None:
        self.connection.close()


def wait_for_first_answer(process: subprocess.Popen[bytes], port: int, text: str) -> None:
    """Poll the webhook until it answers a message (HTTP 200 with a JSON list)."""
    deadline = time.monotonic() + START_TIMEOUT
    payload = json.dumps({"sender": "bench-start", "message": text}).encode()
    headers = {"Content-Type": "application/json"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT)
        try:
            connection.request("POST", "/webhooks/rest/webhook", body=payload, headers=headers)
            response = connection.getresponse()
            if response.status == 200 and isinstance(json.loads(response.read()), list):
                return
        except (OSError, http.client.HTTPException, ValueError):
            pass
        finally:
            connection.close()
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"no answer on port {port} within {START_TIMEOUT:.0f} s")


def measure(
    result: ServingResult,
    cmd: list[str],
    cwd: Path,
    texts: list[str],
    log: Path,
    args: argparse.Namespace,
) -> None:
    """Start the server, fill in `result`'s start, memory and latency figures, stop it."""
    port = free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [*cmd, "--port", str(port)]
    with log.open("a", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_first_answer(process, port, texts[0])
            result.start_s = time.perf_counter() - started
            result.rss_mb = memory_mb(process.pid, "VmRSS")
            print(f"[{result.system}] answered after {result.start_s:.2f} s", file=sys.stderr)
            client = Client(port)
            try:
                parses = timed_requests(client, parse_requests(texts), args.warmup, args.requests)
                webhooks = timed_requests(
                    client, webhook_requests(texts, "bench"), args.warmup, args.requests
                )
                turns = timed_requests(client, long_conversation(texts), 0, args.turns)
                result.parse_ms = [ms for ms, _ in parses]
                result.webhook_ms = [ms for ms, _ in webhooks]
                result.long_ms = [ms for ms, _ in turns]
                answers = [bool(body) for _, body in webhooks + turns]
                result.answered_share = sum(answers) / len(answers)
            finally:
                client.close()
            result.peak_rss_mb = memory_mb(process.pid, "VmHWM")
        except Exception:
            tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-20:])
            print(f"[{result.system}] server log:\n{tail}", file=sys.stderr)
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def long_conversation(texts: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """One sender saying the utterances in turn."""
    for text in itertools.cycle(texts):
        yield "/webhooks/rest/webhook", {"sender": "long", "message": text}


def parse_requests(texts: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for text in itertools.cycle(texts):
        yield "/model/parse", {"text": text}


def webhook_requests(texts: list[str], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Webhook messages with a new sender every 5 messages."""
    for index, text in enumerate(itertools.cycle(texts)):
        yield "/webhooks/rest/webhook", {"sender": f"{prefix}-{index // 5}", "message": text}


def timed_requests(
    client: Client, requests: Iterator[tuple[str, dict[str, Any]]], warmup: int, count: int
) -> list[tuple[float, Any]]:
    """(milliseconds, answer) of `count` requests, after `warmup` unmeasured ones."""
    for path, body in itertools.islice(requests, warmup):
        client.post(path, body)
    measured = []
    for path, body in itertools.islice(requests, count):
        answer, ms = client.post(path, body)
        measured.append((ms, answer))
    return measured


def run_system(
    system: str, source: Path, work: Path, args: argparse.Namespace, venv: Path | None
) -> ServingResult:
    """Train a copy of the bot with `system` and measure its server."""
    bot = prepare(source, work / system, args.own_config)
    texts = utterances(bot)
    log = work / f"{system}.log"
    result = ServingResult(system)
    if venv is None:
        model = args.model
        if model is None:
            print(f"[{system}] training {bot.name} ...", file=sys.stderr, flush=True)
            result.train_s = timed(stratus_cmd(bot), bot, log)[0]
            model = bot / "models"
        exe = Path(sys.executable).with_name("stratus")
        serve = [str(exe), "run", "-m", str(model)]
    else:
        print(f"[{system}] training {bot.name} ...", file=sys.stderr, flush=True)
        result.train_s = timed(rasa_cmd(venv), bot, log)[0]
        serve = [str(venv / "bin" / "rasa"), "run", "-m", "rasa-models"]
    serve += ["--enable-api", "--interface", "127.0.0.1"]
    measure(result, serve, bot, texts, log, args)
    return result


def rows(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(figure, budget, key) in table order."""
    table = [
        ("training, `stratus train` / `rasa train` wall (s)", "-", "train_s"),
        ("process start to first webhook answer (s)", "<= 1", "start_s"),
        ("RSS after the first answer (MB)", "<= 120", "rss_mb"),
        ("peak RSS, end of run (MB)", "<= 120", "peak_rss_mb"),
        ("`/model/parse` p50 (ms)", "<= 1.5", "parse_p50_ms"),
        ("`/model/parse` p95 (ms)", "-", "parse_p95_ms"),
        ("webhook p50, new sender every 5 messages (ms)", "<= 4", "webhook_p50_ms"),
        ("webhook p95, new sender every 5 messages (ms)", "-", "webhook_p95_ms"),
    ]
    for first, last in WINDOWS:
        if last <= args.turns:
            label = f"webhook p50, one sender, turns {first}-{last} (ms)"
            table.append((label, "<= 4, flat", f"long_p50_ms_turns_{first}_{last}"))
    table.append((f"webhook p95, one sender, turns 1-{args.turns} (ms)", "-", "long_p95_ms"))
    table.append(("webhook messages answered with a bot message (%)", "-", "answered_pct"))
    return table


def render(results: list[ServingResult], args: argparse.Namespace) -> str:
    summaries = [r.summary() for r in results]
    names = {"stratus": "Stratus", "rasa": "Rasa 3.6"}
    header = " | ".join(names[r.system] for r in results)
    lines = [f"| figure | {header} | budget (Stratus) |", "|---|" + "---|" * len(results) + "---|"]
    for label, budget, key in rows(args):
        cells = " | ".join(_number(s.get(key)) for s in summaries)
        lines.append(f"| {label} | {cells} | {budget} |")
    return "\n".join(lines)


def _number(value: float | None) -> str:
    if value is None or value != value:  # missing or NaN
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bot", type=Path, default=EXAMPLES / "moodbot", metavar="DIR")
    parser.add_argument("--peer", choices=["rasa"], default=None)
    parser.add_argument("--own-config", action="store_true", help="keep the bot's config.yml")
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per figure")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests first")
    parser.add_argument("--turns", type=int, default=200, help="turns of the long conversation")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        metavar="DIR",
        help="serve this trained Stratus model of the bot instead of training one",
    )
    args = parser.parse_args()
    if not (args.bot / "domain.yml").is_file():
        parser.error(f"{args.bot} is not a Rasa project (no domain.yml)")
    if args.model is not None:
        args.model = args.model.resolve()
        if not args.model.exists():
            parser.error(f"--model {args.model}: no such model or folder of models")
    venv: Path | None = None
    if args.peer == "rasa":
        venv = peer_venv(args.rasa_venv)
    results: list[ServingResult] = []
    with tempfile.TemporaryDirectory(prefix="stratus-serving-bench-") as tmp:
        results.append(run_system("stratus", args.bot.resolve(), Path(tmp), args, None))
        if venv is not None:
            results.append(run_system("rasa", args.bot.resolve(), Path(tmp), args, venv))
    print(f"bot: {args.bot.name}; {args.requests} requests after {args.warmup} warm-up")
    print(render(results, args))
    if args.json:
        report = [{**asdict(r), "summary": r.summary()} for r in results]
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
