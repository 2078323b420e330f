"""The NLU benchmark's own logic: splits, data written for Rasa, scoring and the table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stratus.shared.training_data import read_nlu_file
from stratus.shared.training_data.message import EntityAnnotation, NluExample

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nlu_accuracy", BENCH / "nlu_accuracy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["nlu_accuracy"] = module
    spec.loader.exec_module(module)
    return module


def test_hwu64_all_folds_train_on_the_other_nine(bench: ModuleType, shared: Path) -> None:
    splits = bench.splits(bench.DATASETS["hwu64"], shared / "datasets", "all")
    assert [s.name for s in splits] == [f"fold {k}" for k in range(1, 11)]
    for split in splits:
        assert len(split.train) == 9 and split.test not in split.train
    one = bench.splits(bench.DATASETS["hwu64"], shared / "datasets", "1")
    assert [(s.name, s.test.name) for s in one] == [("fold 1", "test.yml")]


def test_examples_written_for_rasa_read_back_the_same(bench: ModuleType, tmp_path: Path) -> None:
    examples = [
        NluExample(
            "fly from berlin to nyc",
            "travel",
            (
                EntityAnnotation(9, 15, "city", "berlin", role="from"),
                EntityAnnotation(19, 22, "city", "New York", role="to"),
            ),
        ),
        NluExample("hello", "greet"),
        NluExample("what's your name", "faq", response_key="ask_name"),
    ]
    path = bench.write_nlu_yaml(examples, tmp_path / "nlu.yml")
    back = read_nlu_file(path).examples
    assert [(e.text, e.full_intent, e.entities) for e in back] == [
        (e.text, e.full_intent, e.entities) for e in examples
    ]


class _Run:
    def __init__(self, parses: list[dict[str, Any]]) -> None:
        self.parses = parses
        self.train_seconds = 2.0
        self.model_bytes = 3_000_000
        self.latencies_ms = [1.0, 2.0, 3.0]
        self.extra: dict[str, Any] = {}


def _parse(name: str) -> dict[str, Any]:
    return {"intent": {"name": name, "confidence": 0.9}, "entities": []}


def test_clinc_in_scope_accuracy_and_oos_recall(bench: ModuleType) -> None:
    examples = [
        NluExample(t, i)
        for t, i in [("a", "x"), ("b", "x"), ("c", "y"), ("d", "oos"), ("e", "oos")]
    ]
    predicted = ["x", "y", "y", "oos", "x"]
    split = bench.Split(bench.DATASETS["clinc150"], "test", (), Path("t"))
    s = bench.score(split, examples, _Run([_parse(p) for p in predicted]), 10)
    assert s.intent_accuracy == pytest.approx(3 / 5)
    assert s.in_scope_accuracy == pytest.approx(2 / 3)
    assert s.oos_recall == pytest.approx(1 / 2)
    assert (s.latency_median_ms, s.model_mb) == (2.0, 3.0)


def test_table_names_the_comparison_and_the_entity_metric(bench: ModuleType) -> None:
    scores = {"intent_accuracy": 0.9871, "entity_f1": 0.95}
    result = {
        "dataset": "snips",
        "split": "test",
        "systems": {
            "stratus": {"scores": scores, "std": {}},
            "rasa": {"scores": scores, "std": {}},
        },
    }
    quick = bench.table([result], 5)
    assert "equal epochs (5)" in quick and "98.71" in quick
    assert "entity F1, exact-span micro (%)" in quick
    assert "full (100 epochs)" in bench.table([result], 100)


def test_an_int8_copy_gets_a_column_of_its_own(bench: ModuleType) -> None:
    def result(systems: dict[str, float]) -> dict[str, Any]:
        scores = {k: {"scores": {"intent_accuracy": v}, "std": {}} for k, v in systems.items()}
        return {"dataset": "banking77", "split": "test", "systems": scores}

    plain = bench.table([result({"stratus": 0.9})], 5)
    assert "Stratus int8" not in plain and "Rasa 3.6" in plain
    both = bench.table([result({"stratus": 0.9, "stratus_int8": 0.8912, "rasa": 0.88})], 5)
    header, _, row = both.splitlines()[:3]
    assert header.split()[3:7] == ["Stratus", "Stratus", "int8", "Rasa"]
    assert row.split()[-6:-3] == ["90.00", "89.12", "88.00"]


def test_int8_copy_goes_with_neither_quantize_nor_peer_only(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in (["--quantize"], ["--peer", "rasa", "--peer-only"]):
        with pytest.raises(SystemExit):
            bench.main(["--datasets", "snips", "--int8-copy", *extra])
    err = capsys.readouterr().err
    assert "--quantize: not allowed with argument --int8-copy" in err
    assert "cannot go with --peer-only" in err


def test_peer_only_needs_the_peer(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--datasets", "snips", "--peer-only"])
    assert "--peer-only needs --peer rasa" in capsys.readouterr().err


def test_seed_option_takes_one_seed_or_a_list(bench: ModuleType) -> None:
    assert bench.seed_list("1") == [1]
    assert bench.seed_list("1,2,3") == [1, 2, 3]
    for wrong in ("one", "1,1", ","):
        with pytest.raises(bench.argparse.ArgumentTypeError, match="seed"):
            bench.seed_list(wrong)


def test_several_seeds_train_each_system_once_per_seed_and_report_the_mean(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "datasets" / "banking77"
    data.mkdir(parents=True)
    nlu = (
        'version: "3.1"\nnlu:\n'
        "- intent: a\n  examples: |\n    - {}\n"
        "- intent: b\n  examples: |\n    - {}\n"
    )
    (data / "train.yml").write_text(nlu.format("hello there", "good bye"))
    (data / "test.yml").write_text(nlu.format("hello", "bye"))
    trained: list[tuple[str, int]] = []

    def fake(system: str, config_path: Path, test_examples: list[Any]) -> _Run:
        import yaml

        pipeline = yaml.safe_load(config_path.read_text())["pipeline"]
        seed = next(c["random_seed"] for c in pipeline if c["name"] == "DIETClassifier")
        trained.append((system, seed))
        # seed 1 gets both test messages right, seed 2 one of them; Rasa always both
        right = 2 if system == "rasa" or seed == 1 else 1
        names = [e.intent for e in test_examples[:right]] + ["a"] * (2 - right)
        return _Run([_parse(n) for n in names])

    monkeypatch.setattr(
        bench, "run_stratus", lambda config, _data, tests, _work: fake("stratus", config, tests)
    )
    monkeypatch.setattr(
        bench, "run_rasa", lambda _venv, config, _train, tests, _work: fake("rasa", config, tests)
    )
    out = tmp_path / "out.json"
    args = ["--datasets", "banking77", "--epochs", "1", "--seed", "1,2", "--peer", "rasa"]
    args += ["--rasa-venv", str(tmp_path), "--datasets-dir", str(tmp_path / "datasets")]
    assert bench.main([*args, "--work", str(tmp_path / "work"), "--json", str(out)]) == 0

    assert trained == [("stratus", 1), ("rasa", 1), ("stratus", 2), ("rasa", 2)]
    import json

    [result] = json.loads(out.read_text())["results"]
    assert result["split"] == "test, seeds 1,2 mean"
    stratus, rasa = result["systems"]["stratus"], result["systems"]["rasa"]
    assert [r["extra"]["seed"] for r in stratus["per_split"]] == [1, 2]
    assert [r["intent_accuracy"] for r in stratus["per_split"]] == [1.0, 0.5]
    assert stratus["scores"]["intent_accuracy"] == pytest.approx(0.75)
    assert stratus["std"]["intent_accuracy"] == pytest.approx(0.25)
    assert rasa["scores"]["intent_accuracy"] == pytest.approx(1.0)


def test_quantize_sets_int8_on_the_networks_and_passes_stratus_checks(bench: ModuleType) -> None:
    from stratus.nlu.registry import fill_pipeline

    for variant in ("shared", "lm"):
        config = bench.shared_config(10, variant, 1, quantize=True)
        quantized = {c["name"] for c in config["pipeline"] if c.get("quantize") == "int8"}
        expected = {"DIETClassifier"} | ({"LanguageModelFeaturizer"} if variant == "lm" else set())
        assert quantized == expected
        fill_pipeline(config["pipeline"])  # Stratus accepts it
    assert all("quantize" not in c for c in bench.shared_config(10, "lm", 1)["pipeline"])


def test_the_lr_variant_puts_the_regression_in_diets_place(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    from stratus.nlu.registry import fill_pipeline

    config = bench.shared_config(10, "lr", 3)
    names = [c["name"] for c in config["pipeline"]]
    assert "DIETClassifier" not in names
    assert config["pipeline"][-2] == {"name": "LogisticRegressionClassifier", "random_state": 3}
    fill_pipeline(config["pipeline"])  # Stratus accepts it
    with pytest.raises(SystemExit):
        bench.main(["--datasets", "snips", "--config-variant", "lr", "--int8-copy"])
    assert "no network to quantize" in capsys.readouterr().err


def test_the_crf_variant_adds_the_crf_after_the_regression(bench: ModuleType) -> None:
    from stratus.nlu.registry import fill_pipeline

    names = [c["name"] for c in bench.shared_config(10, "crf", 1)["pipeline"]]
    assert names[-3:] == [
        "LogisticRegressionClassifier",
        "CRFEntityExtractor",
        "EntitySynonymMapper",
    ]
    fill_pipeline(bench.shared_config(10, "crf", 1)["pipeline"])


def test_agreement_counts_messages_with_the_same_intent_and_entities(bench: ModuleType) -> None:
    def parse(intent: str, *entities: tuple[int, int, str]) -> dict[str, Any]:
        found = [
            {"start": s, "end": e, "entity": n, "value": "x", "confidence_entity": 0.5}
            for s, e, n in entities
        ]
        return {"intent": {"name": intent, "confidence": 0.9}, "entities": found}

    ours = [parse("a", (0, 1, "city")), parse("b"), parse("a", (0, 1, "city"))]
    rasa = [parse("a", (0, 1, "city")), parse("a"), parse("a", (0, 2, "city"))]
    scores = bench.Scores()
    bench.agreement(scores, ours, rasa)
    assert scores.same_intent_as_peer == pytest.approx(2 / 3)
    assert scores.same_entities_as_peer == pytest.approx(2 / 3)  # confidences do not count
