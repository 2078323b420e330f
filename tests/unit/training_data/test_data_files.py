from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data import load_training_data
from stratus.shared.yaml_io import MAX_FILE_BYTES, YList


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def nlu(intent: str, *examples: str) -> str:
    lines = "".join(f"    - {e}\n" for e in examples)
    return f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{lines}'


def test_directory_walk_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data, "b.yml", nlu("greet", "hi", "hello"))
    write(data, "a/nlu.yaml", nlu("greet", "hi", "hey"))
    write(
        data,
        "c.json",
        '{"rasa_nlu_data": {"common_examples": [{"text": "yo", "intent": "greet"}]}}',
    )
    write(data, ".hidden.yml", "not: [valid")
    write(data, ".cache/x.yml", "not: [valid")
    write(data, "lookups/cities.txt", "Berlin\n")
    write(data, "old.md", "## intent:greet\n- hi\n")
    write(data, "stories.yml", "stories:\n- story: s\n  steps:\n  - intent: greet\n")
    td = load_training_data([data])
    assert td.files == tuple(
        str(data / name) for name in ("a/nlu.yaml", "b.yml", "c.json", "stories.yml")
    )
    # Duplicates across files are dropped, keeping the first in file order.
    assert [(e.text, Path(e.file or "").name) for e in td.nlu.examples] == [
        ("hi", "nlu.yaml"),
        ("hey", "nlu.yaml"),
        ("hello", "b.yml"),
        ("yo", "c.json"),
    ]
    assert len(td.stories) == 1 and td.rules == ()
    (w,) = td.warnings
    assert w.file == str(data / "old.md") and "Markdown" in w.message


def test_responses_are_returned_raw_with_lines(tmp_path: Path) -> None:
    text = (
        'version: "3.1"\nresponses:\n  utter_greet:\n  - text: Hi!\n  - text: Hello!\n'
        "  utter_faq/ask_name:\n  - text: I am a bot.\n"
    )
    first = write(tmp_path, "a.yml", text)
    second = write(tmp_path, "b.yml", "responses:\n  utter_greet:\n  - text: Hey!\n")
    td = load_training_data([first, second])
    greet = td.responses["utter_greet"]
    assert (greet.file, greet.line) == (str(second), 2)
    assert isinstance(greet.value, YList) and greet.value[0]["text"] == "Hey!"
    assert greet.value.item_lines == [3]
    faq = td.responses["utter_faq/ask_name"]
    assert (faq.file, faq.line, faq.value[0].line) == (str(first), 6, 7)
    (w,) = td.warnings
    assert w.file == str(second) and f"{first}:3" in w.message


def test_domain_keys_in_a_data_file_are_ignored_with_a_warning(tmp_path: Path) -> None:
    text = "intents:\n- greet\nresponses:\n  utter_greet:\n  - text: hi\n"
    td = load_training_data([write(tmp_path, "domain.yml", text)])
    assert list(td.responses) == ["utter_greet"]
    (w,) = td.warnings
    assert w.line == 1 and "domain keys are ignored" in w.message


def test_version_checks(tmp_path: Path) -> None:
    old = write(tmp_path, "1_old.yml", nlu("a", "x").replace('"3.1"', '"2.0"'))
    odd = write(tmp_path, "2_odd.yml", nlu("b", "y").replace('"3.1"', '"3.0.1"'))
    new = write(tmp_path, "3_new.yml", nlu("c", "z").replace('"3.1"', '"3.6"'))
    td = load_training_data([old, odd, new])
    # Rasa 3.6 skips a file with a newer format version, and warns.
    assert [e.intent for e in td.nlu.examples] == ["a", "b"]
    assert td.files == (str(old), str(odd))
    assert [(Path(w.file or "").name, w.line) for w in td.warnings] == [
        ("2_odd.yml", 1),
        ("3_new.yml", 1),
    ]
    assert "unknown format version '3.0.1'" in td.warnings[0].message
    assert "newer than 3.1" in td.warnings[1].message


def test_non_data_files_in_a_directory_are_skipped_but_not_when_named(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yml", "language: en\npipeline: []\n")
    other = write(tmp_path, "other.json", '{"utterances": []}')
    td = load_training_data([tmp_path])
    assert td.files == () and len(td.warnings) == 2
    for path in (config, other):
        with pytest.raises(ProjectError) as err:
            load_training_data([path])
        assert err.value.problems[0].file == str(path)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- nlu\n", 1, "must be a mapping"),
        ("nlu:\n- intent: a\n  examples: |\n    - x\nstoires: []\n", 5, "Did you mean 'stories'?"),
        ("nlu:\n- intent: a\n  examples: |\n    - x\nextra: 1\n", 5, "unknown key 'extra'"),
        ("rulse:\n- rule: r\n", 1, "Did you mean 'rules'?"),
        ("version: 3.1\nnlu: []\n", 1, "must be a string in quotes"),
        ("nlu:\n- intent: greet\n  examples: |\n  - hi\n - x: [\n", 4, "invalid YAML"),
        ("nlu: []\nnlu: []\n", 2, "duplicate key 'nlu'"),
        ("responses: [utter_a]\n", 1, "must be a mapping"),
    ],
)
def test_bad_files_are_located_errors(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = write(tmp_path, "data.yml", text)
    with pytest.raises(ProjectError) as err:
        load_training_data([tmp_path])
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(path), line)
    assert expected in problem.message


def test_problems_of_every_file_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "stories:\n- story: s\n  steps:\n  - intent: /greet\n")
    write(tmp_path, "b.yml", "nlu:\n- intent: x\n  examples: |\n    - [a](b\n")
    write(tmp_path, "c.yml", "nlu: [")
    with pytest.raises(ProjectError) as err:
        load_training_data([tmp_path])
    problems = [(Path(p.file or "").name, p.line) for p in err.value.problems]
    assert problems[:2] == [("a.yml", 4), ("b.yml", 4)]
    assert problems[2][0] == "c.yml" and "invalid YAML" in err.value.problems[2].message


def test_missing_path_and_wrong_extension(tmp_path: Path) -> None:
    txt = write(tmp_path, "cities.txt", "Berlin\n")
    with pytest.raises(ProjectError) as err:
        load_training_data([tmp_path / "nope", txt])
    first, second = err.value.problems
    assert first.file == str(tmp_path / "nope") and "not found" in first.message
    assert second.file == str(txt) and "not a training data file" in second.message


def test_a_50_mb_nlu_file_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    with path.open("wb") as f:  # sparse: the size is what matters, not the bytes
        f.truncate(50 * 1024 * 1024)
    assert path.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(ProjectError) as err:
        load_training_data([path])
    (problem,) = err.value.problems
    assert problem.file == str(path) and "over the 21 MB limit" in problem.message


def test_non_utf8_bytes_are_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, "nlu.yml", b"nlu:\n- intent: greet\n  examples: |\n    - caf\xe9\n")
    with pytest.raises(ProjectError) as err:
        load_training_data([path])
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(path), 4) and "UTF-8" in problem.message


def test_non_utf8_lookup_file_is_a_located_error(tmp_path: Path) -> None:
    write(tmp_path, "data/cities.txt", b"Berlin\nK\xf6ln\n")
    path = write(
        tmp_path,
        "data/nlu.json",
        '{"rasa_nlu_data": {"lookup_tables": [{"name": "c", "elements": "data/cities.txt"}]}}',
    )
    with pytest.raises(ProjectError) as err:
        load_training_data([path], project_dir=tmp_path)
    (problem,) = err.value.problems
    assert problem.file == str(tmp_path / "data/cities.txt") and problem.line == 2


def test_symlink_loops_do_not_hang_the_walk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write(data, "nlu.yml", nlu("greet", "hi"))
    (data / "loop").symlink_to(data, target_is_directory=True)
    td = load_training_data([data])
    assert [e.text for e in td.nlu.examples] == ["hi"]
