"""The two systems the NLU benchmark runs: Stratus (trained in this process), Rasa 3.6 (in
its own venv). Each parses the test set in a fresh process of its own, as its server would."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peak_memory

HERE = Path(__file__).resolve().parent


@dataclass
class SystemRun:
    """One trained model's parse results on a test set, and what it cost."""

    parses: list[dict[str, Any]]
    train_seconds: float
    model_bytes: int
    latencies_ms: list[float]
    extra: dict[str, Any] = field(default_factory=dict)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def stratus_trainer() -> Any:
    """Stratus' NLU trainer: `train_nlu(config, nlu_data, out_dir, responses) -> model_dir`."""
    module = importlib.import_module("stratus_train.nlu")
    return module.NluTrainer(progress=lambda line: print(f"    {line}", flush=True))


def run_stratus(
    config_path: Path,
    train_data: Any,
    test_examples: list[Any],
    work: Path,
    responses: dict[str, list[dict[str, Any]]] | None = None,
) -> SystemRun:
    """`responses`: the retrieval responses a ResponseSelector answers with."""
    from stratus.shared.config import load_config

    config = load_config(config_path)
    work.mkdir(parents=True, exist_ok=True)
    trainer = stratus_trainer()
    peak_memory.reset_peak_rss()
    started = time.perf_counter()
    model_dir = Path(trainer.train_nlu(config, train_data, work / "models", responses))
    train_seconds = time.perf_counter() - started
    # Training runs in this process: its peak since the reset above (the whole run so far
    # where the kernel refuses the reset).
    peak_rss_mb = peak_memory.peak_rss_mb()

    texts = [e.text for e in test_examples]
    return parsed_run(model_dir, texts, work, train_seconds, peak_rss_mb=peak_rss_mb)


def parsed_run(
    model_dir: Path, texts: list[str], work: Path, train_seconds: float, **extra: Any
) -> SystemRun:
    """A trained Stratus model's run: the texts parsed in a fresh process, and its size."""
    parsed = parse_in_fresh_process(model_dir, texts, work)
    return SystemRun(
        parses=parsed["parses"],
        train_seconds=train_seconds,
        model_bytes=dir_bytes(model_dir),
        latencies_ms=parsed["latencies_ms"],
        extra={"load_seconds": parsed["load_seconds"], "model_dir": str(model_dir), **extra},
    )


def int8_copy(run: SystemRun, texts: list[str], work: Path) -> SystemRun:
    """The model of `run` with `quantize: int8` applied after training, parsed in a fresh
    process: what training with the option gives DIETClassifier and ResponseSelector, whose
    trainers quantize the exported network, for the cost of one training. (Not so for
    LanguageModelFeaturizer, whose later components train on its int8 features: its
    encoder stays float32 here.) The copy's manifest says which components are int8."""
    from stratus.model.manifest import read_manifest, write_manifest
    from stratus.nlu.input_layer import KERNEL_FILE
    from stratus.nlu.onnx_model import MODEL_FILE
    from stratus_train.quantize import quantize_network

    source = Path(run.extra["model_dir"])
    target = work / "models" / source.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    started = time.perf_counter()
    manifest = read_manifest(target).as_dict()
    pipeline = manifest["config"].get("pipeline") or []
    quantized = []
    for directory in sorted((target / "nlu").iterdir()):
        if (directory / MODEL_FILE).exists() and (directory / KERNEL_FILE).exists():
            quantize_network(directory, [])
            quantized.append(directory.name)
            index = int(directory.name.split("_", 1)[0])  # "05_DIETClassifier"
            pipeline[index]["quantize"] = "int8"
    for key in ("format_version", "files"):  # recomputed from the files
        manifest.pop(key)
    write_manifest(target, **manifest)
    quantize_seconds = time.perf_counter() - started
    seconds = run.train_seconds + quantize_seconds
    return parsed_run(
        target, texts, work, seconds, quantized=quantized, quantize_seconds=quantize_seconds
    )


def parse_in_fresh_process(model_dir: Path, texts: list[str], work: Path) -> dict[str, Any]:
    """Parses and latencies from bench/stratus_parse.py: a process that, like `stratus
    run` and the Lambda functions, has never imported TensorFlow."""
    texts_file, out_file = work / "texts.json", work / "stratus_parses.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    command = [
        sys.executable,
        str(HERE / "stratus_parse.py"),
        "--model",
        str(model_dir),
        "--texts",
        str(texts_file),
        "--out",
        str(out_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"Parsing with {model_dir} failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(out_file.read_text(encoding="utf-8"))
    return result


def run_rasa(
    venv: Path, config_path: Path, train_file: Path, test_examples: list[Any], work: Path
) -> SystemRun:
    """`rasa train nlu` + parsing through Rasa's Python API, in a subprocess of the peer venv."""
    work.mkdir(parents=True, exist_ok=True)
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps([e.text for e in test_examples], ensure_ascii=False))
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        # No cache: a cached second run would report a training time of nearly nothing.
        "RASA_MAX_CACHE_SIZE": "0",
        "RASA_CACHE_DIRECTORY": str(work / ".rasa-cache"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    command = [
        str(venv.absolute() / "bin" / "python"),
        str(HERE / "rasa_nlu_peer.py"),
        "--config",
        str(config_path),
        "--train",
        str(train_file),
        "--texts",
        str(texts_file),
        "--out",
        str(work),
    ]
    log = work / "rasa.log"
    started = time.perf_counter()
    with log.open("w") as f:
        done = subprocess.run(command, cwd=work, env=env, stdout=f, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"Rasa failed (exit {done.returncode}); log {log}:\n{tail}")
    out = json.loads((work / "rasa_results.json").read_text())
    return SystemRun(
        parses=out["parses"],
        train_seconds=out["train_seconds"],
        model_bytes=out["model_bytes"],
        latencies_ms=out["latencies_ms"],
        extra={
            "version": out["version"],
            "import_seconds": out["import_seconds"],
            "load_seconds": out["load_seconds"],
            "peak_rss_mb": out["peak_rss_mb"],
            "subprocess_seconds": wall,
        },
    )
