"""Comparing NLU configs (`stratus test nlu --config a.yml b.yml`, Rasa's comparison mode)
against the trainer / loader protocols, with a fake model."""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from first_word import FirstWordTrainer

from stratus.cli import test as test_cmd
from stratus.evaluation.comparison import compare_configs
from stratus.evaluation.folds import train_test_split
from stratus.shared.config import ProjectConfig, config_from_dict
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data import load_training_data
from stratus.shared.training_data.message import EntityAnnotation, NluData, NluExample

EXAMPLES = (
    [NluExample(f"hello there {i}", "greet") for i in range(10)]
    + [NluExample(f"bye now {i}", "goodbye") for i in range(10)]
    + [
        NluExample(f"fly to paris {i}", "book", (EntityAnnotation(7, 12, "city", "Paris"),))
        for i in range(5)
    ]
    + [NluExample(f"weather today {i}", "weather") for i in range(4)]  # fewer than 5: out
)
DATA = NluData(examples=tuple(EXAMPLES), synonyms={"paris": "Paris"})


def test_the_split_is_rasas_stratified_one() -> None:
    # Rasa 3.6's train_test_split: rarest class first, each gets its share of the running
    # total, but at least one example on each side.
    train, test = train_test_split(EXAMPLES, 0.8, seed=1)
    assert sorted(e.text for e in train + test) == sorted(e.text for e in EXAMPLES)
    assert not {e.text for e in train} & {e.text for e in test}
    assert Counter(e.intent for e in train) == {"weather": 3, "book": 4, "greet": 8, "goodbye": 8}
    assert train_test_split(EXAMPLES, 0.8, seed=1) == (train, test)  # seeded: repeatable
    left_out, _ = train_test_split(EXAMPLES, 0.0, seed=1)
    assert Counter(e.intent for e in left_out) == {
        "weather": 1,
        "book": 1,
        "greet": 1,
        "goodbye": 1,
    }


def test_every_config_trains_on_each_run_and_share_and_rasas_files_are_written(
    tmp_path: Path,
) -> None:
    trainer = FirstWordTrainer()
    configs = [("a", ProjectConfig()), ("b", ProjectConfig())]
    out = tmp_path / "results"
    result = compare_configs(
        trainer, trainer.models.__getitem__, configs, DATA, out,
        runs=2, percentages=[0, 50], seed=3, plot=False,
    )  # fmt: skip

    # weather has 4 examples: left out; of the 25 kept, 20 train and 5 test per run, and
    # as in Rasa even 0% exclusion leaves one example of each intent out
    assert result.dropped == 4 and result.training_examples == [17, 10]
    assert [n for n, _ in trainer.trained] == ["a", "b"] * 4
    assert [k for _, k in trainer.trained] == [17, 17, 10, 10] * 2
    assert json.loads((out / "results.json").read_text()) == result.f1
    assert set(result.f1) == {"a", "b"} and all(len(r) == 2 for r in result.f1["a"])
    assert result.f1["a"] == result.f1["b"]  # the same model on the same splits
    assert all(0.0 < f <= 1.0 for runs in result.f1.values() for r in runs for f in r)
    for run in (1, 2):
        run_dir = out / f"run_{run}"
        test = load_training_data([run_dir / "test.yml"], project_dir=tmp_path).nlu
        assert len(test.examples) == 5
        for share, count in ((0, 17), (50, 10)):
            part = run_dir / f"{share}%_exclusion"
            train_file = part / "train" / "train.yml"
            trained = load_training_data([train_file], project_dir=tmp_path).nlu
            assert len(trained.examples) == count
            assert dict(trained.synonyms) == {"paris": "Paris"}
            assert not {e.text for e in trained.examples} & {e.text for e in test.examples}
            assert (part / "train" / "responses.yml").is_file()
            for name in ("a", "b"):
                report = json.loads((part / f"{name}_report" / "intent_report.json").read_text())
                assert report["weighted avg"]["support"] == 5


def test_a_config_that_fails_to_train_scores_zero_and_the_rest_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trainer = FirstWordTrainer()
    broken = config_from_dict({"language": "xx"}, "broken.yml")
    configs = [("broken", broken), ("good", ProjectConfig())]
    with caplog.at_level(logging.WARNING):
        result = compare_configs(
            trainer, trainer.models.__getitem__, configs, DATA, tmp_path,
            runs=1, percentages=[0, 25], plot=False,
        )  # fmt: skip
    assert result.f1["broken"] == [[0.0, 0.0]]
    assert all(f > 0 for f in result.f1["good"][0])
    assert "Training model 'broken' failed. Error: StratusError: language 'xx'" in caplog.text


def test_configs_of_one_name_are_refused(tmp_path: Path) -> None:
    trainer = FirstWordTrainer()
    with pytest.raises(StratusError, match="Two configs are named 'config'"):
        compare_configs(
            trainer, trainer.models.__getitem__,
            [("config", ProjectConfig()), ("config", ProjectConfig())], DATA, tmp_path,
            runs=1, percentages=[0], plot=False,
        )  # fmt: skip


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    test_cmd.add_arguments(parser)
    return test_cmd.run(parser.parse_args(argv))


NLU = "".join(
    f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {word} {i}\n" for i in range(6))
    for intent, word in (("greet", "hello"), ("goodbye", "bye"), ("faq/ask_name", "name"))
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, FirstWordTrainer]:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text('version: "3.1"\nnlu:\n' + NLU)
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_faq/ask_name:\n  - text: "I am a bot."\n'
        '  utter_faq/ask_age:\n  - text: "Old."\n'
    )
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "one.yml").write_text("language: en\n")
    (configs / "two.yml").write_text("language: en\n")
    (configs / "notes.md").write_text("Some notes, not a config.\n")
    trainer = FirstWordTrainer()
    monkeypatch.setattr(test_cmd, "_trainer", lambda: trainer)
    monkeypatch.setattr(test_cmd, "_loader", lambda: trainer.models.__getitem__)
    return tmp_path, trainer


def test_a_folder_of_configs_is_compared_and_other_files_are_left_out(
    project: tuple[Path, FirstWordTrainer],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root, trainer = project
    out = root / "results"
    argv = ["nlu", "--project", str(root), "-c", str(root / "configs"), "--out", str(out)]
    with caplog.at_level(logging.WARNING):
        assert run([*argv, "--runs", "2", "-p", "0", "50", "--no-plot"]) == 0
    assert "Ignoring file" in caplog.text and "notes.md" in caplog.text
    assert set(json.loads((out / "results.json").read_text())) == {"one", "two"}
    printed = capsys.readouterr().out
    assert "Intent F1 (weighted), mean and std over 2 runs" in printed
    assert "11 (0% left out)" in printed and "7 (50% left out)" in printed
    # Only the retrieval responses of the intents trained on go to each model.
    assert trainer.responses[0] == {"utter_faq/ask_name": [{"text": "I am a bot."}]}
    responses = (out / "run_1" / "0%_exclusion" / "train" / "responses.yml").read_text()
    assert "utter_faq/ask_name" in responses and "ask_age" not in responses


def test_two_config_files_are_compared_and_one_still_cross_validates(
    project: tuple[Path, FirstWordTrainer],
) -> None:
    root, trainer = project
    one, two = root / "configs" / "one.yml", root / "configs" / "two.yml"
    out = root / "compared"
    argv = ["nlu", "--project", str(root), "--out", str(out), "--no-plot"]
    assert run([*argv, "-c", str(one), str(two), "--runs", "1", "-p", "0"]) == 0
    assert json.loads((out / "results.json").read_text()).keys() == {"one", "two"}
    trainer.trained.clear()
    cv = root / "cv"
    argv = ["nlu", "--project", str(root), "--out", str(cv), "--no-plot"]
    assert run([*argv, "-c", str(one), "--cross-validation", "-f", "3"]) == 0
    assert len(trainer.trained) == 3 and not (cv / "results.json").exists()
