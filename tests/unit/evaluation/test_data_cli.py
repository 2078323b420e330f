"""`stratus data split nlu|stories`, `stratus data convert nlu` and `stratus data validate` (Rasa's
`rasa data` commands)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from stratus.cli.main import main
from stratus.shared.training_data import load_training_data

NLU = (
    'version: "3.1"\nnlu:\n'
    + "".join(
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {word} {i}\n" for i in range(n))
        for intent, word, n in (
            ("greet", "hello", 10),
            ("goodbye", "bye", 7),
            ("faq/ask_name", "your name", 5),
            ("faq/ask_age", "your age", 1),
        )
    )
    + "- synonym: New York\n  examples: |\n    - NYC\n"
)
RESPONSES = (
    'version: "3.1"\nresponses:\n  utter_faq/ask_name:\n  - text: "I am a bot."\n'
    '  utter_faq/ask_age:\n  - text: "Young."\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(NLU)
    (tmp_path / "data" / "responses.yml").write_text(RESPONSES)
    return tmp_path


def read(path: Path) -> list[str | None]:
    return [e.full_intent for e in load_training_data([path], project_dir=path.parent).nlu.examples]


def test_split_writes_rasas_four_files_stratified(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "split"
    argv = ["data", "split", "nlu", "--project", str(project), "--out", str(out)]
    assert main([*argv, "--random-seed", "3"]) == 0
    assert "Wrote 18 training and 5 test examples" in capsys.readouterr().out
    train, test = read(out / "training_data.yml"), read(out / "test_data.yml")
    # ask_age has one example: test only; every other class on both sides
    assert Counter(train) == {"greet": 8, "goodbye": 6, "faq/ask_name": 4}
    assert Counter(test) == {"greet": 2, "goodbye": 1, "faq/ask_name": 1, "faq/ask_age": 1}
    both = load_training_data([out / "training_data.yml"], project_dir=out).nlu
    assert dict(both.synonyms) == {"NYC": "New York"}
    assert "utter_faq/ask_name" in (out / "nlg_training_data.yml").read_text()
    assert "ask_age" not in (out / "nlg_training_data.yml").read_text()
    assert "utter_faq/ask_age" in (out / "nlg_test_data.yml").read_text()
    before = (out / "test_data.yml").read_text()
    assert main([*argv, "--random-seed", "3"]) == 0
    assert (out / "test_data.yml").read_text() == before  # the same seed, the same split


def test_a_fraction_outside_zero_and_one_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["data", "split", "nlu", "--project", str(project), "--training-fraction", "1.5"]
    assert main(argv) == 1
    assert "--training-fraction must be between 0 and 1" in capsys.readouterr().err


def test_data_validate_is_stratus_validate(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "validate", "--project", str(shared / "rasa-examples" / "moodbot")]) == 0
    assert "Valid:" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_convert_writes_the_same_data_in_the_other_format(
    project: Path, tmp_path: Path, fmt: str
) -> None:
    source = project / "data" / "nlu.yml"
    out = tmp_path / f"converted.{'json' if fmt == 'json' else 'yml'}"
    assert (
        main(["data", "convert", "nlu", "--data", str(source), "--out", str(out), "-f", fmt]) == 0
    )
    before = load_training_data([source], project_dir=project).nlu
    after = load_training_data([out], project_dir=tmp_path).nlu
    assert [(e.text, e.full_intent, e.entities) for e in after.examples] == [
        (e.text, e.full_intent, e.entities) for e in before.examples
    ]
    assert dict(after.synonyms) == {"NYC": "New York"}
    if fmt == "json":
        assert out.read_text().startswith('{\n  "rasa_nlu_data": {')


def test_convert_names_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["data", "convert", "nlu", "--data", str(tmp_path / "nope.json"), "--out", "x.yml"]
    assert main(argv) == 1
    assert "nope.json' does not exist" in capsys.readouterr().err


STORIES = (
    'version: "3.1"\nstories:\n'
    + "".join(
        f"- story: story {i}\n  steps:\n  - intent: greet\n  - action: utter_greet\n"
        for i in range(7)
    )
    + "rules:\n- rule: bye\n  steps:\n  - intent: goodbye\n  - action: utter_goodbye\n"
)


def test_split_stories_writes_train_and_test_files_per_story_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "data" / "stories.yml").write_text(STORIES)
    out = project / "split"
    argv = ["data", "split", "stories", "--project", str(project), "--out", str(out)]
    assert main([*argv, "--random-seed", "2"]) == 0
    assert "with 5 stories and" in capsys.readouterr().out  # 7 * 0.2 rounds up to 2 tests
    train = load_training_data([out / "train_stories.yml"], project_dir=out)
    test = load_training_data([out / "test_stories.yml"], project_dir=out)
    assert len(train.stories) == 5 and len(test.stories) == 2
    assert [r.name for r in train.rules] == ["bye"] and not test.rules  # rules train
    names = sorted(s.name for s in train.stories + test.stories)
    assert names == sorted(f"story {i}" for i in range(7))
    assert not train.warnings and not test.warnings
    first = (out / "test_stories.yml").read_text()
    assert main([*argv, "--random-seed", "2"]) == 0
    assert (out / "test_stories.yml").read_text() == first


def test_split_stories_without_stories_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "split", "stories", "--project", str(project)]) == 1
    assert "No stories found in" in capsys.readouterr().err
