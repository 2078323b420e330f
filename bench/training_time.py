"""Training time: `stratus train` and Rasa 3.6's `rasa train` on the same bot, one run.

    .venv/bin/python bench/training_time.py [--bots moodbot ...] [--peer rasa] [--repeat N]

Each system trains NLU and dialogue with the default config (a config.yml naming only the
language, so both fill in Rasa's default pipeline and policies; `--own-config` keeps the
bot's, e.g. moodbot's spaCy pipeline, which Stratus refuses) in its own copy of the bot,
from a cold process: both are
timed as the wall time of their CLI (`stratus train --force`, `rasa train --force`), so
start-up and imports count for both. Rasa runs from the venv of bench/peer_rasa.sh.
Printed: the median wall time and CPU time (user + system) of each system over
`--repeat` runs, and their ratios. CPU time is the fairer figure on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import peer_venv

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLES = REPO.parent / "shared" / "rasa-examples"
PROJECT_FILES = ("domain.yml", "config.yml")


DEFAULT_CONFIG = "recipe: default.v1\nlanguage: en\npipeline:\npolicies:\n"


def prepare(source: Path, work: Path, own_config: bool) -> Path:
    """A copy of the bot with its YAML training files under data/ (as both CLIs expect)."""
    bot = work / source.name
    shutil.copytree(source, bot)
    if not own_config:
        (bot / "config.yml").write_text(DEFAULT_CONFIG, encoding="utf-8")
    data = bot / "data"
    if not data.is_dir():
        data.mkdir()
        for file in bot.glob("*.yml"):
            if file.name not in PROJECT_FILES and file.name not in (
                "endpoints.yml",
                "credentials.yml",
            ):
                file.rename(data / file.name)
    return bot


def timed(cmd: list[str], cwd: Path, log: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the command and its children)."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with log.open("a", encoding="utf-8") as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-20:])
        sys.exit(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{tail}")
    return seconds, cpu


def stratus_cmd(bot: Path) -> list[str]:
    exe = Path(sys.executable).with_name("stratus")
    return [str(exe), "train", "--project", str(bot), "--out", str(bot / "models"), "--force"]


def rasa_cmd(venv: Path) -> list[str]:
    return [str(venv / "bin" / "rasa"), "train", "--force", "--out", "rasa-models"]


def median_pair(runs: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not runs:
        return None
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bots", nargs="+", default=["moodbot"], metavar="NAME_OR_DIR")
    parser.add_argument("--peer", choices=["rasa"], default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--own-config", action="store_true", help="keep the bot's config.yml")
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    args = parser.parse_args()
    if args.peer:
        args.rasa_venv = peer_venv(args.rasa_venv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="stratus-train-bench-") as tmp:
        for name in args.bots:
            source = Path(name) if Path(name).is_dir() else EXAMPLES / name
            bot = prepare(source, Path(tmp), args.own_config)
            log = Path(tmp) / f"{bot.name}.log"
            ours = [timed(stratus_cmd(bot), bot, log) for _ in range(args.repeat)]
            theirs = (
                [timed(rasa_cmd(args.rasa_venv), bot, log) for _ in range(args.repeat)]
                if args.peer
                else []
            )
            rows.append((bot.name, median_pair(ours), median_pair(theirs)))
    print("| bot | time | Stratus (s) | Rasa 3.6 (s) | Rasa / Stratus |")
    print("|---|---|---|---|---|")
    for bot_name, ours_t, theirs_t in rows:
        assert ours_t is not None  # every bot trains at least once
        for index, label in enumerate(("wall", "CPU")):
            mine, peer = ours_t[index], theirs_t[index] if theirs_t else None
            ratio = f"{peer / mine:.1f}x" if peer else "-"
            peer_text = f"{peer:.1f}" if peer else "-"
            print(f"| {bot_name} | {label} | {mine:.1f} | {peer_text} | {ratio} |")


if __name__ == "__main__":
    main()
