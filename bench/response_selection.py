"""Response selection accuracy: Stratus' ResponseSelector beside Rasa 3.6's, same data and config.

A public intent dataset (../shared/datasets) becomes one retrieval intent: every label
`x` turns into `<intent>/x`, answered by the response `utter_<intent>/x`. Both systems
train the same ResponseSelector config (Rasa's defaults: two hidden layers, no
transformer) on the training split and select a response for every test message; the
figure is the share of test messages whose selected `intent_response_key` is the gold
one, as in Rasa's `response_selection_report.json`. Each system parses in a fresh
process, as its server would (bench/nlu_systems.py).

    python bench/response_selection.py --dataset banking77 --epochs 20 --seed 1,2 \
        --peer rasa [--work DIR] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nlu_systems import SystemRun, run_rasa, run_stratus  # noqa: E402
from peers import peer_venv  # noqa: E402

DATASETS_DIR = HERE.parent.parent / "shared" / "datasets"
RETRIEVAL_INTENT = "ask"
DEFAULT_EPOCHS = 100  # as examples/restaurantbot (Rasa's default, 300, takes hours here)


def selector_config(epochs: int, seed: int | None, layers: int = 0) -> dict[str, Any]:
    """Rasa's sparse featurizers and a ResponseSelector with its defaults but the epochs
    (and `number_of_transformer_layers`, for the text and the label transformers)."""
    selector: dict[str, Any] = {"name": "ResponseSelector", "epochs": epochs}
    if seed is not None:
        selector["random_seed"] = seed
    if layers:
        selector["number_of_transformer_layers"] = layers
    return {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "stratus-response-selection-benchmark",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 4,
            },
            selector,
        ],
    }


def retrieval_yaml(source: Path, out: Path) -> Path:
    """`source`'s examples under one retrieval intent, entities dropped, with a response
    per label (Rasa's selector needs one to answer)."""
    from stratus.shared.training_data import load_training_data

    by_key: dict[str, list[str]] = {}
    for example in load_training_data([source]).nlu.examples:
        by_key.setdefault(str(example.intent), []).append(example.text)
    items = [
        {"intent": f"{RETRIEVAL_INTENT}/{key}", "examples": "".join(f"- {t}\n" for t in texts)}
        for key, texts in by_key.items()
    ]
    responses = {f"utter_{RETRIEVAL_INTENT}/{key}": [{"text": key}] for key in by_key}
    document = {"version": "3.1", "nlu": items, "responses": responses}
    out.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return out


def selected_key(parse: dict[str, Any]) -> str | None:
    selector = parse.get("response_selector") or {}
    chosen = selector.get("default") or selector.get(RETRIEVAL_INTENT) or {}
    key = (chosen.get("response") or {}).get("intent_response_key")
    return str(key) if key else None


def accuracy(run: SystemRun, gold: list[str]) -> float:
    hits = sum(selected_key(p) == g for p, g in zip(run.parses, gold, strict=True))
    return hits / len(gold)


def figures(run: SystemRun, gold: list[str]) -> dict[str, float]:
    return {
        "accuracy": accuracy(run, gold),
        "train_seconds": run.train_seconds,
        "parse_median_ms": statistics.median(run.latencies_ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="banking77", help="a folder of ../shared/datasets")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seed", default="1", help="the selector's random_seed; 1,2 runs each")
    parser.add_argument(
        "--transformer-layers",
        type=int,
        default=0,
        help="the selector's number_of_transformer_layers (Rasa's default: 0)",
    )
    parser.add_argument("--peer", choices=["rasa"], default=None, help="also run Rasa 3.6")
    parser.add_argument(
        "--peer-only", action="store_true", help="run the peer alone (Stratus from another run)"
    )
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    parser.add_argument("--datasets-dir", type=Path, default=DATASETS_DIR)
    parser.add_argument("--work", type=Path, default=None, help="keep models here (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="save all figures here")
    args = parser.parse_args(argv)
    from stratus.nlu.inputs import retrieval_responses
    from stratus.shared.project import data_responses
    from stratus.shared.training_data import load_training_data

    seeds = [int(s) for s in args.seed.split(",") if s.strip()]
    source = args.datasets_dir / args.dataset
    if not (source / "train.yml").exists() or not (source / "test.yml").exists():
        parser.error(f"{source} needs a train.yml and a test.yml")
    if args.peer_only and not args.peer:
        parser.error("--peer-only needs --peer rasa")
    if args.peer == "rasa":
        args.rasa_venv = peer_venv(args.rasa_venv)

    started = time.time()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="stratus-rs-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        train_file = retrieval_yaml(source / "train.yml", work / "train.yml")
        test_file = retrieval_yaml(source / "test.yml", work / "test.yml")
        train = load_training_data([train_file])
        tests = list(load_training_data([test_file]).nlu.examples)
        gold = [str(e.full_intent) for e in tests]
        # the responses the training file holds, read as `stratus train` reads them
        responses = retrieval_responses(data_responses(train)[0])
        print(
            f"[{args.dataset}] {len(train.nlu.examples)} training examples, {len(tests)} test, "
            f"{len(responses)} responses; {args.epochs} epochs",
            flush=True,
        )
        for seed in seeds:
            config_path = work / f"config-seed-{seed}.yml"
            config_path.write_text(
                yaml.safe_dump(
                    selector_config(args.epochs, seed, args.transformer_layers), sort_keys=False
                )
            )
            row: dict[str, Any] = {"seed": seed}
            if not args.peer_only:
                stratus = run_stratus(
                    config_path, train.nlu, tests, work / f"seed-{seed}" / "stratus", responses
                )
                row["stratus"] = figures(stratus, gold)
                print(f"  seed {seed} stratus: {row['stratus']}", flush=True)
            if args.peer == "rasa":
                rasa = run_rasa(
                    args.rasa_venv, config_path, train_file, tests, work / f"seed-{seed}" / "rasa"
                )
                row["rasa"] = figures(rasa, gold)
                print(f"  seed {seed} rasa:    {row['rasa']}", flush=True)
            rows.append(row)

    systems = ([] if args.peer_only else ["stratus"]) + (["rasa"] if args.peer else [])
    print()
    print(
        f"Response selection on {args.dataset} ({args.epochs} epochs, "
        f"{args.transformer_layers} transformer layers, seeds "
        f"{','.join(map(str, seeds))}); {os.cpu_count()} CPUs; {time.time() - started:.0f} s"
    )
    columns = ("accuracy (%)", "training (s)", "parse median (ms)")
    print("| seed | " + " | ".join(f"{s} {c}" for s in systems for c in columns) + " |")
    print("|---" * (1 + len(columns) * len(systems)) + "|")
    for row in [*rows, _mean_row(rows, systems)] if len(rows) > 1 else rows:
        cells = [
            f"{100 * row[s]['accuracy']:.2f} | {row[s]['train_seconds']:.1f} | "
            f"{row[s]['parse_median_ms']:.2f}"
            for s in systems
        ]
        print(f"| {row['seed']} | " + " | ".join(cells) + " |")
    if args.json:
        meta = {
            "dataset": args.dataset,
            "epochs": args.epochs,
            "config": selector_config(args.epochs, None, args.transformer_layers),
        }
        args.json.write_text(json.dumps({"meta": meta, "runs": rows}, indent=2))
    return 0


def _mean_row(rows: list[dict[str, Any]], systems: list[str]) -> dict[str, Any]:
    mean: dict[str, Any] = {"seed": "mean"}
    for s in systems:
        mean[s] = {k: statistics.fmean(r[s][k] for r in rows) for k in rows[0][s]}
    return mean


if __name__ == "__main__":
    sys.exit(main())
