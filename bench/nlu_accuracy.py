"""NLU accuracy benchmark: Stratus (and, with --peer rasa, Rasa 3.6) on public datasets.

    .venv/bin/python bench/nlu_accuracy.py [--datasets snips,hwu64,banking77,clinc150]
        [--folds 1|all] [--epochs N] [--seed N[,N...]] [--peer rasa [--peer-only]]
        [--json out.json] [--config-variant shared|lm|both|lr|crf] [--quantize | --int8-copy]

Both systems train the same shared config (Rasa's default pipeline without
FallbackClassifier) on the same deduplicated split with the same epochs, in one run, and
are scored by the same evaluation code (stratus.evaluation): intent accuracy, entity F1
(exact-span micro F1 for SNIPS, the HERMIT token-overlap F1 for HWU64), CLINC150 in-scope
accuracy and out-of-scope recall, training time, model size and median parse latency
(one message at a time, in process). With 100 epochs the figures are the full
comparison; with --epochs N they are an equal-epochs comparison, and the table says so.
`--seed 1,2,3` trains both systems once per seed and prints the mean and standard
deviation over the seeds (and folds): one seed's gap is often within seed noise.
`--config-variant lm` adds LanguageModelFeaturizer (all-MiniLM-L6-v2) to the shared
config, `both` runs the config with and without it (Stratus only: Rasa's would download
the weights from the Hugging Face hub); `lr` puts LogisticRegressionClassifier in DIET's
place (intents only), `crf` adds CRFEntityExtractor after it. With --peer rasa the table
also says how often Stratus' parse has the same top intent and entities as Rasa's.
`--quantize` sets Stratus' `quantize: int8` on
DIETClassifier and LanguageModelFeaturizer (Rasa 3.6 ignores options it does not know,
so its side trains as without it). `--int8-copy` keeps the float32 model and also scores
a copy of it quantized after training (DIET and ResponseSelector networks, as the option
quantizes them), in a column of its own: float32 and int8 from one training.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATASETS_DIR = REPO.parent / "shared" / "datasets"
FULL_EPOCHS = 100
LM_WEIGHTS = "sentence-transformers/all-MiniLM-L6-v2"
VARIANTS = {
    "shared": ("shared",),
    "lm": ("lm",),
    "both": ("shared", "lm"),
    "lr": ("lr",),
    "crf": ("crf",),
}
# What the table calls each variant's rows.
VARIANT_LABELS = {"shared": "", "lm": " +LMF", "lr": " LogReg", "crf": " LogReg+CRF"}
# Variants without a network: nothing to quantize, and --epochs is unused.
NON_NEURAL = ("lr", "crf")

sys.path.insert(0, str(HERE))
from nlu_scores import METRICS, Scores, agreement, mean_scores  # noqa: E402
from nlu_systems import SystemRun, int8_copy, run_rasa, run_stratus  # noqa: E402
from peers import peer_venv  # noqa: E402


@dataclass(frozen=True)
class Dataset:
    name: str
    entity_metric: str | None = None  # "exact" (conlleval span F1) or "overlap" (HERMIT)
    oos_label: str | None = None  # CLINC150's out-of-scope intent
    folds: int = 1  # cross-validation folds shipped in folds/test_fold_<k>.yml


DATASETS = {
    "snips": Dataset("snips", entity_metric="exact"),
    "hwu64": Dataset("hwu64", entity_metric="overlap", folds=10),
    "banking77": Dataset("banking77"),
    "clinc150": Dataset("clinc150", oos_label="oos"),
}


@dataclass(frozen=True)
class Split:
    dataset: Dataset
    name: str  # "test" or "fold 3"
    train: tuple[Path, ...]
    test: Path


def shared_config(
    epochs: int, variant: str = "shared", seed: int | None = None, quantize: bool = False
) -> dict[str, Any]:
    """Rasa's default NLU pipeline (rasa init), no FallbackClassifier, so figures compare
    with the papers'; variant "lm" adds pre-trained dense features after the tokenizer,
    variant "lr" classifies intents with LogisticRegressionClassifier in DIET's place (no
    entities), variant "crf" adds CRFEntityExtractor after it for the entities; `seed`
    sets the classifier's seed (DIET's `random_seed`, the regression's `random_state`;
    both systems) for reproducible figures; `quantize` gives Stratus' networks int8
    weights."""
    config: dict[str, Any] = {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "stratus-nlu-benchmark",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {
                "name": "CountVectorsFeaturizer",
                "analyzer": "char_wb",
                "min_ngram": 1,
                "max_ngram": 4,
            },
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True},
            {"name": "EntitySynonymMapper"},
        ],
    }
    if variant in NON_NEURAL:
        config["pipeline"][-2] = {"name": "LogisticRegressionClassifier"}
    if seed is not None:
        seed_key = "random_state" if variant in NON_NEURAL else "random_seed"
        config["pipeline"][-2][seed_key] = seed
    if variant == "crf":
        config["pipeline"].insert(-1, {"name": "CRFEntityExtractor"})
    if variant == "lm":
        config["pipeline"].insert(
            1,
            {"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": LM_WEIGHTS},
        )
    if quantize:
        for component in config["pipeline"]:
            if component["name"] in ("DIETClassifier", "LanguageModelFeaturizer"):
                component["quantize"] = "int8"
    return config


def splits(dataset: Dataset, root: Path, folds: str) -> list[Split]:
    base = root / dataset.name
    if folds == "all" and dataset.folds > 1:
        fold_files = [base / "folds" / f"test_fold_{k}.yml" for k in range(1, dataset.folds + 1)]
        return [
            Split(dataset, f"fold {k}", tuple(f for f in fold_files if f != test), test)
            for k, test in enumerate(fold_files, start=1)
        ]
    name = "fold 1" if dataset.folds > 1 else "test"
    return [Split(dataset, name, (base / "train.yml",), base / "test.yml")]


def merged_yaml(paths: tuple[Path, ...], out: Path) -> Path:
    """One Rasa NLU file holding the `nlu:` items of several files (for HWU64's folds)."""
    if len(paths) == 1:
        return paths[0]
    items: list[Any] = []
    for path in paths:
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or [])
    out.write_text(yaml.safe_dump({"version": "3.1", "nlu": items}, allow_unicode=True), "utf-8")
    return out


def subsample(examples: list[Any], limit: int | None, seed: int = 0) -> list[Any]:
    """At most `limit` examples, the same share of every intent (for quick plumbing runs)."""
    if not limit or len(examples) <= limit:
        return examples
    rng = random.Random(seed)
    by_intent: dict[str, list[Any]] = {}
    for e in examples:
        by_intent.setdefault(e.intent or "", []).append(e)
    share = limit / len(examples)
    kept = []
    for group in by_intent.values():
        kept.extend(rng.sample(group, max(1, round(len(group) * share))))
    return kept


def score(split: Split, examples: list[Any], run: SystemRun, n_train: int) -> Scores:
    from stratus.evaluation import evaluate_nlu
    from stratus.evaluation.entities import exact_span_scores, overlap_scores
    from stratus.evaluation.results import collect_results

    evaluation = evaluate_nlu(examples, run.parses)
    s = Scores(n_train=n_train, n_test=len(examples))
    predicted = [(r.get("intent") or {}).get("name") for r in run.parses]
    if examples:  # directly: Rasa's report needs two intents in the test set
        s.intent_accuracy = sum(p == e.intent for p, e in zip(predicted, examples)) / len(examples)
    if evaluation.intents:
        s.intent_f1 = evaluation.intents.scores.f1
    extractor = next(
        (e for e in ("DIETClassifier", "CRFEntityExtractor") if e in evaluation.entities), None
    )
    if extractor:
        s.entity_token_f1 = evaluation.entities[extractor].scores.f1
    gold = [[a.as_dict() for a in e.entities] for e in examples]
    pred = [[p for p in (r.get("entities") or [])] for r in run.parses]
    if split.dataset.entity_metric == "exact":
        s.entity_f1 = exact_span_scores(gold, pred).f1
    elif split.dataset.entity_metric == "overlap":
        tokens = [r.tokens for r in collect_results(examples, run.parses).entities]
        s.entity_f1 = overlap_scores(gold, pred, tokens).f1 if tokens else None
    if split.dataset.oos_label and evaluation.intents:
        oos = split.dataset.oos_label
        results = evaluation.intents.results
        in_scope = [r for r in results if r.target != oos]
        out_scope = [r for r in results if r.target == oos]
        s.in_scope_accuracy = sum(r.prediction == r.target for r in in_scope) / len(in_scope)
        s.oos_recall = sum(r.prediction == oos for r in out_scope) / max(1, len(out_scope))
    s.train_seconds = run.train_seconds
    s.model_mb = run.model_bytes / 1e6
    lat = sorted(run.latencies_ms)
    if lat:
        s.latency_median_ms = statistics.median(lat)
        s.latency_p95_ms = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    s.peak_rss_mb = run.extra.get("peak_rss_mb")
    s.extra = dict(run.extra)
    return s


# result key -> table column
SYSTEMS = {"stratus": "Stratus", "stratus_int8": "Stratus int8", "rasa": "Rasa 3.6"}


def entity_metric_name(dataset: Dataset) -> str:
    return {"exact": "exact-span micro", "overlap": "HERMIT token-overlap"}.get(
        dataset.entity_metric or "", ""
    )


def table(results: list[dict[str, Any]], epochs: int) -> str:
    from stratus.evaluation.writer import format_table

    comparison = f"full ({epochs} epochs)" if epochs >= FULL_EPOCHS else f"equal epochs ({epochs})"
    systems = [s for s in SYSTEMS if any(s in r["systems"] for r in results)]
    systems = systems if "rasa" in systems else [*systems, "rasa"]  # "-" when not run
    rows = []
    for r in results:
        dataset = DATASETS[r["dataset"]]
        for label, key, scale, fmt in METRICS:
            cells = []
            for system in systems:
                s = r["systems"].get(system)
                value = s["scores"].get(key) if s else None
                std = s["std"].get(key) if s else None
                cell = "-" if value is None else fmt.format(value * scale)
                if value is not None and std:
                    cell += " ±" + fmt.format(std * scale)
                cells.append(cell)
            if all(c == "-" for c in cells):
                continue
            if key == "entity_f1":
                label = f"entity F1, {entity_metric_name(dataset)} (%)"
            name = r["dataset"] + VARIANT_LABELS[r.get("variant") or "shared"]
            same = "same config (no epochs)" if r.get("variant") in NON_NEURAL else comparison
            rows.append([name, r["split"], label, *cells, same])
    headers = ["dataset", "split", "metric", *(SYSTEMS[s] for s in systems), "comparison"]
    return format_table(headers, rows, left=3)


def seed_list(value: str) -> list[int]:
    """`--seed`: one seed or a comma-separated list."""
    try:
        seeds = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give seeds as integers, e.g. 1 or 1,2,3"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{value!r}: give one seed or distinct seeds, e.g. 1,2,3")
    return seeds


def split_label(chosen: list[Split], seeds: list[int | None]) -> str:
    """The table's split column: the split, or what its figures are the mean of."""
    label = chosen[0].name if len(chosen) == 1 else f"{len(chosen)}-fold mean"
    if len(seeds) > 1:
        label += f", seeds {','.join(map(str, seeds))} mean"
    return label


def run_dataset(
    dataset: Dataset,
    args: argparse.Namespace,
    configs: dict[int | None, Path],
    work: Path,
    variant: str = "shared",
) -> dict[str, Any]:
    """Train and score both systems on each split of `dataset` once per seed (`configs`:
    seed -> config file); figures over several runs are their mean."""
    per_system: dict[str, list[Scores]] = {system: [] for system in SYSTEMS}
    chosen = splits(dataset, args.datasets_dir, args.folds)
    for split in chosen:
        split_work = work / dataset.name / split.name.replace(" ", "_")
        data = prepare_split(split, args, split_work)
        for seed, config_path in configs.items():
            seed_work = split_work if len(configs) == 1 else split_work / f"seed-{seed}"
            scored = run_split(data, args, config_path, seed_work, variant, seed)
            for system, scores in scored.items():
                scores.extra["seed"] = seed
                per_system[system].append(scores)
    out: dict[str, Any] = {
        "dataset": dataset.name,
        "variant": variant,
        "split": split_label(chosen, list(configs)),
        "systems": {},
    }
    for system, runs in per_system.items():
        if runs:
            mean, std = mean_scores(runs) if len(runs) > 1 else (runs[0], {})
            out["systems"][system] = {
                "scores": asdict(mean),
                "std": std,
                "per_split": [asdict(r) for r in runs],
            }
    return out


@dataclass
class SplitData:
    """One split's data, read once for every seed: Stratus' training data, the test
    examples and the training file Rasa reads."""

    split: Split
    train_data: Any
    test_examples: list[Any]
    train_file: Path

    @property
    def n_train(self) -> int:
        return len(self.train_data.examples)


def prepare_split(split: Split, args: argparse.Namespace, work: Path) -> SplitData:
    from stratus.shared.training_data import load_training_data

    work.mkdir(parents=True, exist_ok=True)
    train_data = load_training_data(list(split.train)).nlu
    test_examples = list(load_training_data([split.test]).nlu.examples)
    train_examples = subsample(list(train_data.examples), args.train_limit)
    train_file = merged_yaml(split.train, work / "train.yml")
    if len(train_examples) != len(train_data.examples):
        from stratus.evaluation.folds import with_examples

        train_data = with_examples(train_data, train_examples)
        train_file = write_nlu_yaml(train_examples, work / "train_subsample.yml")
    return SplitData(split, train_data, test_examples, train_file)


def run_split(
    data: SplitData,
    args: argparse.Namespace,
    config_path: Path,
    work: Path,
    variant: str,
    seed: int | None = None,
) -> dict[str, Scores]:
    """Each system trained once on a split with `config_path` and scored on its test set."""
    split, tests = data.split, data.test_examples
    seeded = f", seed {seed}" if seed is not None else ""
    print(
        f"[{split.dataset.name} {split.name}{seeded}] train {data.n_train} examples, "
        f"test {len(tests)} (deduplicated as Rasa does)",
        flush=True,
    )
    scored: dict[str, Scores] = {}
    runs: dict[str, SystemRun] = {}
    if not args.peer_only:
        runs["stratus"] = run_stratus(config_path, data.train_data, tests, work / "stratus")
        print(f"  stratus: trained in {runs['stratus'].train_seconds:.1f} s", flush=True)
        if args.int8_copy:
            texts = [e.text for e in tests]
            runs["stratus_int8"] = int8_copy(runs["stratus"], texts, work / "stratus-int8")
            quantized = ", ".join(runs["stratus_int8"].extra["quantized"])
            print(f"  stratus int8 copy: {quantized}", flush=True)
    if args.peer == "rasa" and variant in ("shared", *NON_NEURAL):
        runs["rasa"] = run_rasa(args.rasa_venv, config_path, data.train_file, tests, work / "rasa")
        print(f"  rasa: trained in {runs['rasa'].train_seconds:.1f} s", flush=True)
    for system, run in runs.items():
        scored[system] = score(split, tests, run, data.n_train)
        if system != "rasa" and "rasa" in runs:
            agreement(scored[system], run.parses, runs["rasa"].parses)
    for s in scored.values():
        if variant == "lr":  # no entity extractor: no entity figures
            s.entity_f1 = s.entity_token_f1 = s.same_entities_as_peer = None
    return scored


def write_nlu_yaml(examples: list[Any], out: Path) -> Path:
    """Examples as a Rasa NLU file (the engine's writer, which Rasa reads back the same)."""
    from stratus.shared.training_data import NluData
    from stratus.shared.training_data.nlu_writer import nlu_yaml

    out.write_text(nlu_yaml(NluData(examples=tuple(examples))), "utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="snips,hwu64,banking77,clinc150")
    parser.add_argument(
        "--folds", choices=["1", "all"], default="1", help="HWU64: fold 1 or all 10"
    )
    parser.add_argument("--epochs", type=int, default=FULL_EPOCHS, help="DIET epochs, both systems")
    parser.add_argument(
        "--seed",
        type=seed_list,
        default=None,
        help="DIET's random_seed, both systems (default: none); 1,2,3 trains once per seed "
        "and prints the mean",
    )
    parser.add_argument("--peer", choices=["rasa"], default=None, help="also run Rasa 3.6")
    parser.add_argument(
        "--peer-only",
        action="store_true",
        help="run the peer alone (a long run whose Stratus figures are from another run)",
    )
    parser.add_argument("--json", type=Path, default=None, help="save all figures here")
    parser.add_argument("--datasets-dir", type=Path, default=DATASETS_DIR)
    parser.add_argument("--work", type=Path, default=None, help="keep models here (default: temp)")
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    parser.add_argument(
        "--train-limit", type=int, default=None, help="subsample training data (plumbing runs only)"
    )
    parser.add_argument(
        "--config-variant",
        choices=sorted(VARIANTS),
        default="shared",
        help="lm: the shared config plus LanguageModelFeaturizer; both: with and without it; "
        "lr: LogisticRegressionClassifier in DIET's place (intents only; --epochs unused); "
        "crf: lr plus CRFEntityExtractor for the entities",
    )
    int8 = parser.add_mutually_exclusive_group()
    int8.add_argument(
        "--quantize",
        action="store_true",
        help="Stratus' quantize: int8 on DIET and LanguageModelFeaturizer (Rasa ignores it)",
    )
    int8.add_argument(
        "--int8-copy",
        action="store_true",
        help="also score the float32 model quantized after training (DIET, ResponseSelector)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {', '.join(DATASETS)}")
    if args.peer_only and not args.peer:
        parser.error("--peer-only needs --peer rasa")
    if args.config_variant in NON_NEURAL and (args.int8_copy or args.quantize):
        parser.error("--config-variant lr has no network to quantize")
    if args.peer_only and args.int8_copy:
        parser.error("--int8-copy quantizes Stratus' model: it cannot go with --peer-only")
    if args.peer == "rasa":
        args.rasa_venv = peer_venv(args.rasa_venv)

    with tempfile.TemporaryDirectory(prefix="stratus-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.time()
        results = []
        seeds: list[int | None] = list(args.seed or [None])
        for variant in VARIANTS[args.config_variant]:
            variant_work = work if variant == "shared" else work / variant
            variant_work.mkdir(parents=True, exist_ok=True)
            configs = {}
            for seed in seeds:
                name = "config.yml" if len(seeds) == 1 else f"config-seed-{seed}.yml"
                configs[seed] = variant_work / name
                config = shared_config(args.epochs, variant, seed, args.quantize)
                configs[seed].write_text(yaml.safe_dump(config, sort_keys=False))
            for n in names:
                results.append(run_dataset(DATASETS[n], args, configs, variant_work, variant))

    print()
    print(
        f"NLU accuracy: Stratus vs Rasa 3.6, same split, config and epochs "
        f"({args.epochs}); {os.cpu_count()} CPUs; {time.time() - started:.0f} s in all"
    )
    if args.train_limit:
        print(f"training data subsampled to {args.train_limit} examples: plumbing run only")
    print(table(results, args.epochs))
    if args.json:
        meta = {
            "epochs": args.epochs,
            "comparison": "full" if args.epochs >= FULL_EPOCHS else "equal-epochs",
            # each seed's config differs from this one only in DIET's random_seed
            "seeds": seeds,
            "config": {
                v: shared_config(
                    args.epochs, v, seeds[0] if len(seeds) == 1 else None, args.quantize
                )
                for v in VARIANTS[args.config_variant]
            },
            "train_limit": args.train_limit,
            "int8_copy": args.int8_copy,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
        print(f"\nSaved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
