"""Conversation benchmark: the same test stories through Stratus (and Rasa 3.6).

    .venv/bin/python bench/conversations.py [--peer rasa] [--bots NAME...] [--json OUT]

For each bot, a copy in a temp dir is trained dialogue-only by Stratus
(`stratus_train.train.train(..., core_only=True)`) and its test stories replayed by
`stratus.core.testing.run_core_test`. With `--peer rasa`, the same copy is trained by
`rasa train core` and tested by `rasa test core --stories ... --out results`; Rasa's
predictions per story are read from `results/failed_test_stories.yml` (`# predicted:`
comments) and, with `--successes`, `successful_test_stories.yml` (the stories whose
predictions were the expected actions). Printed per bot: stories,
correct stories of each system, the share of stories where both predicted the same action
sequence, and each system's training time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from peers import peer_venv

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EXAMPLES = REPO.parent / "shared" / "rasa-examples"
FIXTURES = REPO.parent / "shared" / "rasa-fixtures"
DEFAULT_BOTS: dict[str, Path] = {
    "formbot": EXAMPLES / "formbot",
    "e2ebot": EXAMPLES / "e2ebot",
    "test_response_selector_bot": FIXTURES / "test_response_selector_bot",
    "test_action_extract_slots_11333": FIXTURES / "test_action_extract_slots_11333",
    "test_from_trigger_intent_with_mapping_conditions": FIXTURES
    / "test_from_trigger_intent_with_mapping_conditions",
    "test_from_trigger_intent_with_no_mapping_conditions": FIXTURES
    / "test_from_trigger_intent_with_no_mapping_conditions",
    "test_custom_action_triggers_action_extract_slots": FIXTURES
    / "test_custom_action_triggers_action_extract_slots",
    "restaurantbot": REPO / "examples" / "restaurantbot",
}
PROJECT_FILES = {"domain.yml", "config.yml", "endpoints.yml", "credentials.yml"}
LISTEN = "action_listen"
# `- action: name  # predicted: other` in Rasa's failed_test_stories.yml.
_ACTION_LINE = re.compile(r"^\s*- action: (?P<action>.+?)(?:\s+# predicted: (?P<predicted>.+))?$")
_STORY_LINE = re.compile(r"^\s*- story: (?P<name>.+)$")
_FILE_SUFFIX = re.compile(r" \([^()]*\.ya?ml\)$")

Sequences = dict[str, list[list[str]]]  # story name -> predicted sequences (names repeat)


@dataclass
class SystemRun:
    correct: int = 0
    train_seconds: float | None = None
    error: str | None = None


@dataclass
class BotResult:
    bot: str
    training: str  # Rasa's: "core", or "nlu+core" for end-to-end stories (Stratus: core)
    stories: int
    stratus: SystemRun
    rasa: SystemRun | None
    agreement: float | None  # share of stories with the same predicted sequence
    disagreeing: list[str]


def prepare(source: Path, work: Path, without_lm: bool = False) -> tuple[Path, Path]:
    """Copy the bot to `work/bot`; a bot without `data/` gets its YAML files moved there.
    Returns the copy and its test stories (`tests/`, else the training stories).
    `without_lm` drops LanguageModelFeaturizer from the pipeline (both systems then
    train the same config; Rasa's would download its weights from the Hugging Face hub)."""
    bot = work / "bot"
    shutil.copytree(source, bot, ignore=shutil.ignore_patterns("models", "results", ".rasa"))
    config = bot / "config.yml"
    if without_lm and config.is_file():
        content = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        content["pipeline"] = [
            c
            for c in content.get("pipeline") or []
            if not (isinstance(c, dict) and c.get("name") == "LanguageModelFeaturizer")
        ]
        config.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    data = bot / "data"
    if not data.exists():
        data.mkdir()
        for path in bot.glob("*.yml"):
            if path.name not in PROJECT_FILES:
                path.rename(data / path.name)
    tests = bot / "tests"
    return bot, tests if tests.exists() else data


def has_e2e_stories(bot: Path) -> bool:
    """Whether the training stories have user text: Rasa then refuses `rasa train core`
    and trains NLU and dialogue (Stratus still trains dialogue only)."""
    for path in (bot / "data").rglob("*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in content.get("stories") or []:
            if any(isinstance(step, dict) and "user" in step for step in story.get("steps", [])):
                return True
    return False


def predicted_sequence(actions: list[tuple[str, str]]) -> list[str]:
    """(expected, predicted) pairs as Rasa's failed stories show them: a correctly
    predicted `action_listen` is left out, every other step is the prediction."""
    return [p for a, p in actions if not (a == LISTEN and p == LISTEN)]


def story_name(name: str) -> str:
    return _FILE_SUFFIX.sub("", name.strip().strip("\"'"))


def run_stratus(bot: Path, tests: Path, work: Path) -> tuple[SystemRun, Sequences]:
    """Train and test with Stratus: the run and its predicted sequences."""
    from stratus.core.testing.runner import run_core_test
    from stratus_train.train import train

    started = time.perf_counter()
    trained = train(bot, out=work / "stratus-models", core_only=True, progress=lambda _: None)
    seconds = time.perf_counter() - started
    result = run_core_test(trained.model_dir, [tests], work / "stratus-results", bot)
    predicted: Sequences = defaultdict(list)
    for story in result.stories:
        pairs = [(a.action, a.predicted) for a in story.actions]
        predicted[story_name(story.name)].append(predicted_sequence(pairs))
    return SystemRun(result.correct, seconds), predicted


def rasa_stories(path: Path, into: Sequences) -> None:
    """Add Rasa's predicted sequence of every story in a written stories file to `into`."""
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        story = _STORY_LINE.match(line)
        if story:
            current = []
            into[story_name(story["name"])].append(current)
            continue
        action = _ACTION_LINE.match(line)
        if action and current is not None:
            current.append((action["predicted"] or action["action"]).strip().strip("\"'"))


def run_rasa(venv: Path, bot: Path, tests: Path, log: Path) -> tuple[SystemRun, Sequences, int]:
    """`rasa train core` and `rasa test core` in the bot copy: the run, the predicted
    sequences of every story and the number of stories Rasa counted."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    rasa = str(venv / "bin" / "rasa")
    if has_e2e_stories(bot):
        train_cmd = [rasa, "train", "--data", "data"]
    else:
        train_cmd = [rasa, "train", "core", "--stories", "data"]
    train_cmd += ["--out", "models", "--domain", "domain.yml", "--config", "config.yml"]
    test_cmd = [rasa, "test", "core", "--stories", str(tests.relative_to(bot))]
    test_cmd += ["--out", "results", "--model", "models", "--no-plot", "--successes"]
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        subprocess.run(
            train_cmd, cwd=bot, env=env, stdout=out, stderr=subprocess.STDOUT, check=True
        )
        seconds = time.perf_counter() - started
        subprocess.run(test_cmd, cwd=bot, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    report = json.loads((bot / "results" / "story_report.json").read_text(encoding="utf-8"))
    accuracy = report.get("conversation_accuracy", {})
    predicted: Sequences = defaultdict(list)
    for written in ("failed_test_stories.yml", "successful_test_stories.yml"):
        if (bot / "results" / written).exists():
            rasa_stories(bot / "results" / written, predicted)
    total = int(accuracy.get("total", 0))
    return SystemRun(int(accuracy.get("correct", 0)), seconds), predicted, total


def agreement(ours: Sequences, rasa: Sequences) -> tuple[int, list[str]]:
    """Stories where both systems predicted the same sequence, and the names of the others.
    Stories sharing a name are matched as a multiset."""
    same = 0
    differing: list[str] = []
    for name, sequences in ours.items():
        pool = list(rasa.get(name, []))
        for sequence in sequences:
            if sequence in pool:
                pool.remove(sequence)
                same += 1
            else:
                differing.append(name)
    return same, differing


def run_bot(name: str, source: Path, venv: Path | None, without_lm: bool = False) -> BotResult:
    with tempfile.TemporaryDirectory(prefix=f"conv-{name}-") as tmp:
        work = Path(tmp)
        bot, tests = prepare(source, work, without_lm)
        stratus, predicted = run_stratus(bot, tests, work)
        stories = sum(len(v) for v in predicted.values())
        training = "nlu+core" if has_e2e_stories(bot) else "core"
        if venv is None:
            return BotResult(name, training, stories, stratus, None, None, [])
        rasa_bot, rasa_tests = prepare(source, work / "rasa", without_lm)
        log = work / "rasa.log"
        try:
            rasa, rasa_predicted, rasa_total = run_rasa(venv, rasa_bot, rasa_tests, log)
        except (subprocess.CalledProcessError, FileNotFoundError, ValueError) as error:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            print(f"[{name}] rasa failed: {error}\n{tail}", file=sys.stderr)
            return BotResult(
                name, training, stories, stratus, SystemRun(error=str(error)), None, []
            )
        if rasa_total != stories:
            print(f"[{name}] Rasa counted {rasa_total} stories, Stratus {stories}", file=sys.stderr)
        same, differing = agreement(predicted, rasa_predicted)
        share = same / stories if stories else None
        return BotResult(name, training, stories, stratus, rasa, share, differing)


def table(results: list[BotResult]) -> str:
    lines = [
        "| bot | training | stories | Stratus correct | Rasa correct | agreement (%) "
        "| Stratus training (s) | Rasa training (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rasa = r.rasa
        rasa_correct = "-" if rasa is None else (rasa.error and "error") or str(rasa.correct)
        agree = "-" if r.agreement is None else f"{100 * r.agreement:.1f}"
        stratus_correct = (r.stratus.error and "error") or str(r.stratus.correct)
        lines.append(
            f"| {r.bot} | {r.training} | {r.stories} | {stratus_correct} | {rasa_correct} | {agree} "
            f"| {_seconds(r.stratus.train_seconds)} "
            f"| {_seconds(None if rasa is None else rasa.train_seconds)} |"
        )
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", choices=["rasa"], default=None)
    parser.add_argument("--bots", nargs="+", default=list(DEFAULT_BOTS), metavar="NAME")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    parser.add_argument(
        "--without-lm",
        action="store_true",
        help="drop LanguageModelFeaturizer from every config (Rasa's downloads weights)",
    )
    args = parser.parse_args()
    unknown = [b for b in args.bots if b not in DEFAULT_BOTS and not Path(b).is_dir()]
    if unknown:
        parser.error(f"unknown bots: {', '.join(unknown)} (known: {', '.join(DEFAULT_BOTS)})")
    venv: Path | None = args.rasa_venv
    if args.peer == "rasa":
        venv = peer_venv(venv)
    results: list[BotResult] = []
    for bot in args.bots:
        source = DEFAULT_BOTS.get(bot) or Path(bot).resolve()
        name = bot if bot in DEFAULT_BOTS else source.name
        print(f"[{name}] training and testing ...", file=sys.stderr, flush=True)
        try:
            results.append(run_bot(name, source, venv if args.peer else None, args.without_lm))
        except Exception as error:  # one broken bot must not hide the others' figures
            print(f"[{name}] Stratus failed: {error!r}", file=sys.stderr)
            results.append(BotResult(name, "-", 0, SystemRun(error=repr(error)), None, None, []))
        if results[-1].disagreeing:
            print(f"[{name}] disagreeing: {results[-1].disagreeing}", file=sys.stderr)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
