"""`stratus test`: dispatch, result files and the printed summary (with a fake model)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from stratus.cli import test as test_cmd
from stratus.shared.config import ProjectConfig
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.message import NluData

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - hey
- intent: goodbye
  examples: |
    - bye
    - see you later
    - hi and bye
- intent: book
  examples: |
    - book a flight to [paris](city)
    - fly to [rome](city)
    - a trip to [oslo](city)
"""


class KeywordParser:
    """'hi' means greet, 'bye' goodbye, anything else book; the last word is a city."""

    def parse(self, text: str) -> Mapping[str, Any]:
        words = text.split()
        name = "greet" if "hi" in words or "hello" in words else "goodbye"
        entities: list[dict[str, Any]] = []
        if "to" in words:
            name = "book"
            start = text.rindex(" ") + 1
            entities.append(
                {"start": start, "end": len(text), "entity": "city", "value": text[start:],
                 "extractor": "DIETClassifier", "confidence_entity": 0.99}
            )  # fmt: skip
        intent = {"name": name, "confidence": 0.75}
        return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}


class FakeTrainer:
    def __init__(self) -> None:
        self.trained: list[int] = []
        self.responses: list[Mapping[str, list[dict[str, Any]]] | None] = []

    def train_nlu(
        self,
        config: ProjectConfig,
        data: NluData,
        out_dir: Path,
        responses: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> Path:
        self.trained.append(len(data.examples))
        self.responses.append(responses)
        return out_dir


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(NLU)
    monkeypatch.setattr(test_cmd, "_loader", lambda: lambda _dir: KeywordParser())
    monkeypatch.setattr(test_cmd, "_model_dir", lambda _args: tmp_path / "models" / "m")
    return tmp_path


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    test_cmd.add_arguments(parser)
    return test_cmd.run(parser.parse_args(argv))


def test_core_without_test_stories_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(StratusError, match=r"No test stories found in .*tests"):
        run(["core", "--project", str(tmp_path)])


def test_nlu_writes_reports_and_prints_the_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "results"
    assert run(["nlu", "--project", str(project), "--out", str(out), "--no-plot"]) == 0

    printed = capsys.readouterr().out
    intent_row = next(line for line in printed.splitlines() if line.startswith("intent"))
    assert intent_row.split()[1:3] == ["9", "0.7778"]  # 'hey' and 'hi and bye' are missed
    assert any(line.startswith("DIETClassifier") for line in printed.splitlines())
    assert sorted(p.name for p in out.iterdir()) == [
        "DIETClassifier_report.json", "intent_errors.json", "intent_report.json",
    ]  # fmt: skip
    errors = json.loads((out / "intent_errors.json").read_text())
    assert [e["text"] for e in errors] == ["hey", "hi and bye"]


def test_plain_test_runs_the_stories_end_to_end_then_nlu(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As `rasa test`: core first, with --e2e forced, then NLU.
    order: list[str] = []
    core_runs: list[tuple[list[Path], bool]] = []

    def core(args: argparse.Namespace) -> int:
        order.append("core")
        core_runs.append((test_cmd._story_paths(args), args.e2e))
        return 1

    real_nlu = test_cmd.run_nlu
    monkeypatch.setattr(test_cmd, "run_core", core)
    monkeypatch.setattr(test_cmd, "run_nlu", lambda args: order.append("nlu") or real_nlu(args))
    args = ["--project", str(project), "--out", str(project / "r"), "--no-plot"]
    assert run(args) == 0 and core_runs == []  # no tests/ folder: NLU only
    (project / "tests").mkdir()
    (project / "tests" / "test_stories.yml").write_text("stories: []\n")
    order.clear()
    assert run(args) == 1  # the worse of the two exit codes
    assert order == ["core", "nlu"]
    assert core_runs == [([project / "tests"], True)]
    assert (project / "r" / "intent_report.json").is_file()


def test_cross_validation_trains_one_model_per_fold(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    trainer = FakeTrainer()
    monkeypatch.setattr(test_cmd, "_trainer", lambda: trainer)
    out = project / "cv"
    argv = ["nlu", "--project", str(project), "--cross-validation", "-f", "3", "--out", str(out)]
    assert run([*argv, "--no-plot"]) == 0

    assert trainer.trained == [6, 6, 6]
    printed = capsys.readouterr().out
    assert "Cross-validation, 3 folds" in printed
    report = json.loads((out / "intent_report.json").read_text())
    assert report["weighted avg"]["support"] == 9


def test_each_fold_model_gets_the_retrieval_responses_of_domain_and_data(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rasa's cross-validation reads the responses too: without them a fold's
    # ResponseSelector would answer with its response key instead of the text.
    (project / "domain.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_greet:\n  - text: "Hi!"\n'
        '  utter_faq/ask_name:\n  - text: "I am a bot."\n'
        '  utter_faq/ask_age:\n  - text: "Old in the domain."\n'
    )
    (project / "data" / "responses.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_faq/ask_age:\n  - text: "Young in the data."\n'
    )
    trainer = FakeTrainer()
    monkeypatch.setattr(test_cmd, "_trainer", lambda: trainer)
    argv = ["nlu", "--project", str(project), "--cross-validation", "-f", "3"]
    assert run([*argv, "--out", str(project / "cv"), "--no-plot"]) == 0

    expected = {
        "utter_faq/ask_name": [{"text": "I am a bot."}],
        "utter_faq/ask_age": [{"text": "Young in the data."}],  # the data file wins
    }
    assert trainer.responses == [expected] * 3


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(test_cmd.StratusError, match="No NLU data"):
        run(["nlu", "--project", str(tmp_path)])
