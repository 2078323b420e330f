from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data import NluData, NluExample, merge_nlu, read_nlu_file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello [Ann](name)

- intent: faq/ask_name
  metadata:
    sentiment: neutral
  examples:
  - text: what is your name?
    metadata: {source: web}
  - text: |
      who are you,
      really?

- synonym: New York City
  examples: |
    - NYC
    - nyc

- regex: zipcode
  examples: |
    - [0-9]{5}

- lookup: city
  examples: |
    - Berlin
    - Paris
"""


def test_yaml_items_of_every_kind(tmp_path: Path) -> None:
    data = read_nlu_file(write(tmp_path, "nlu.yml", NLU))
    texts = [e.text for e in data.examples]
    assert texts == ["hey", "hello Ann", "what is your name?", "who are you,\nreally?"]
    hey, hello, name, who = data.examples
    assert (hey.intent, hey.line, hey.file) == ("greet", 5, str(tmp_path / "nlu.yml"))
    assert hello.line == 6 and hello.entities[0].entity == "name"
    assert (name.intent, name.response_key, name.full_intent) == ("faq", "ask_name", "faq/ask_name")
    assert name.metadata == {"intent": {"sentiment": "neutral"}, "example": {"source": "web"}}
    assert who.metadata == {"intent": {"sentiment": "neutral"}}
    assert data.synonyms == {"NYC": "New York City", "nyc": "New York City"}
    assert data.synonym_sources["nyc"] == (str(tmp_path / "nlu.yml"), 21)
    assert [(r.name, r.pattern, r.line) for r in data.regexes] == [("zipcode", "[0-9]{5}", 25)]
    (lookup,) = data.lookup_tables
    assert (lookup.name, lookup.elements) == ("city", ("Berlin", "Paris"))
    assert data.intents == ["faq", "greet"] and data.warnings == ()


def test_annotated_value_becomes_a_synonym(tmp_path: Path) -> None:
    text = (
        "nlu:\n- intent: inform\n  examples: |\n"
        '    - from [SF]{"entity": "city", "value": "San Francisco"}\n'
        "    - a [savings account](account:savings)\n"
    )
    data = read_nlu_file(write(tmp_path, "nlu.yml", text))
    assert data.synonyms == {"SF": "San Francisco", "savings account": "savings"}


def test_lines_without_dash_are_skipped_with_a_warning(tmp_path: Path) -> None:
    text = "nlu:\n- intent: greet\n  examples: |\n    hey\n    - hello\n"
    data = read_nlu_file(write(tmp_path, "nlu.yml", text))
    assert [e.text for e in data.examples] == ["hello"]
    (w,) = data.warnings
    assert w.line == 4 and "does not start with '- '" in w.message


def test_duplicate_examples_are_dropped_keeping_the_first(tmp_path: Path) -> None:
    text = (
        "nlu:\n- intent: greet\n  examples: |\n    - hi\n    - hi\n    - [hi](word)\n"
        "- intent: bye\n  examples: |\n    - hi\n"
    )
    data = read_nlu_file(write(tmp_path, "nlu.yml", text))
    # Same text with other entities or another intent is not a duplicate.
    assert [(e.text, e.intent, e.line) for e in data.examples] == [
        ("hi", "greet", 4),
        ("hi", "greet", 6),
        ("hi", "bye", 9),
    ]


def test_merge_keeps_first_duplicate_and_later_synonym() -> None:
    a = NluData(
        examples=(NluExample("hi", "greet", file="a.yml", line=1),),
        synonyms={"nyc": "New York"},
        synonym_sources={"nyc": ("a.yml", 3)},
    )
    b = NluData(
        examples=(
            NluExample("hi", "greet", file="b.yml", line=9),
            NluExample("yo", "greet", file="b.yml", line=10),
        ),
        synonyms={"nyc": "New York City"},
        synonym_sources={"nyc": ("b.yml", 4)},
    )
    merged = merge_nlu([a, b])
    assert [(e.text, e.file) for e in merged.examples] == [("hi", "a.yml"), ("yo", "b.yml")]
    assert merged.synonyms == {"nyc": "New York City"}
    (w,) = merged.warnings
    assert (w.file, w.line) == ("b.yml", 4) and "a.yml:3" in w.message


def test_regexes_are_sorted_by_name_and_pattern_like_rasa(tmp_path: Path) -> None:
    text = (
        "nlu:\n- regex: zip\n  examples: |\n    - \\d{5}\n"
        "- regex: account\n  examples: |\n    - \\d{10}\n"
    )
    data = read_nlu_file(write(tmp_path, "nlu.yml", text))
    assert [r.name for r in data.regexes] == ["account", "zip"]


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("nlu:\n- intnet: greet\n  examples: |\n    - hi\n", 2, "Did you mean 'intent'?"),
        ("nlu:\n- intent: greet\n  exmples: |\n    - hi\n", 3, "Did you mean 'examples'?"),
        ("nlu:\n- intent: greet\n  examples: 5\n", 3, "not the number 5"),
        ("nlu:\n- synonym: 10\n  examples: |\n    - ten\n", 2, "put it in quotes"),
        ("nlu:\n- regex: zip\n  examples:\n  - a\n", 3, "'|' block"),
        ("nlu:\n- intent: a/b/c\n  examples: |\n    - hi\n", 2, "more than one '/'"),
        ("nlu:\n- intent: greet\n  examples:\n  - txt: hi\n", 4, "Did you mean 'text'?"),
        ("nlu:\n- intent: greet\n  examples: |\n    - go to [Rome](city\n", 4, "not closed"),
        ("nlu: {intent: greet}\n", 1, "must be a list"),
        ("nlu:\n- greet\n", 2, "must be a mapping"),
    ],
)
def test_bad_nlu_is_a_located_error(tmp_path: Path, text: str, line: int, expected: str) -> None:
    path = write(tmp_path, "nlu.yml", text)
    with pytest.raises(ProjectError) as err:
        read_nlu_file(path)
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(path), line)
    assert expected in problem.message


def test_every_bad_example_of_a_file_is_reported(tmp_path: Path) -> None:
    text = (
        "nlu:\n- intent: greet\n  examples: |\n    - [a](b\n    - ok\n    - [c]{x}\n"
        "- intent: 7\n  examples: |\n    - hi\n"
    )
    with pytest.raises(ProjectError) as err:
        read_nlu_file(write(tmp_path, "nlu.yml", text))
    assert [p.line for p in err.value.problems] == [4, 6, 7]


def rasa_json(data: dict[str, object]) -> str:
    return json.dumps({"rasa_nlu_data": data}, indent=2)


def test_rasa_json_format(tmp_path: Path) -> None:
    text = rasa_json(
        {
            "common_examples": [
                {"text": "hey", "intent": "greet", "entities": []},
                {
                    "text": "show me chinese food",
                    "intent": "restaurant_search",
                    "entities": [{"start": 8, "end": 15, "value": "chinese", "entity": "cuisine"}],
                },
                {
                    "text": "i want chines food",
                    "intent": "chitchat/ask",
                    "entities": [{"start": 7, "end": 13, "value": "chinese", "entity": "cuisine"}],
                },
            ],
            "entity_synonyms": [{"value": "vegetarian", "synonyms": ["veggie", "vegg"]}],
            "regex_features": [{"name": "zipcode", "pattern": "[0-9]{5}"}],
            "lookup_tables": [{"name": "plates", "elements": ["tacos", "beef"]}],
        }
    )
    data = read_nlu_file(write(tmp_path, "nlu.json", text))
    hey, chinese, chines = data.examples
    assert (hey.text, hey.intent, hey.line) == ("hey", "greet", 4)
    assert chinese.entities[0].as_dict() == {
        "start": 8,
        "end": 15,
        "value": "chinese",
        "entity": "cuisine",
    }
    assert chinese.line == 9 and (chines.intent, chines.response_key) == ("chitchat", "ask")
    assert data.synonyms == {"veggie": "vegetarian", "vegg": "vegetarian", "chines": "chinese"}
    assert data.regexes[0].pattern == "[0-9]{5}"
    assert data.lookup_tables[0].elements == ("tacos", "beef")


def test_json_lookup_table_from_a_file(tmp_path: Path) -> None:
    write(tmp_path, "project/data/lookups/plates.txt", "tacos\n\n  beef  \nmapo tofu\n")
    text = rasa_json({"lookup_tables": [{"name": "plates", "elements": "data/lookups/plates.txt"}]})
    path = write(tmp_path, "project/data/nlu.json", text)
    data = read_nlu_file(path, project_dir=tmp_path / "project")
    assert data.lookup_tables[0].elements == ("tacos", "beef", "mapo tofu")
    with pytest.raises(ProjectError) as err:
        read_nlu_file(path)  # not relative to the data file's own directory
    assert "lookup table file 'data/lookups/plates.txt' not found" in str(err.value)
    assert err.value.problems[0].line == 4  # the line of the lookup table's "{"


def test_json_warnings_for_what_rasa_ignores(tmp_path: Path) -> None:
    text = rasa_json(
        {
            "intent_examples": [{"text": "hi", "intent": "greet"}],
            "common_examples": [
                {"text": "hey", "intent": "greet", "entitites": []},
                {"text": "abc", "intent": "x", "entities": [{"start": 1, "end": 9, "entity": "e"}]},
            ],
        }
    )
    data = read_nlu_file(write(tmp_path, "nlu.json", text))
    assert [e.text for e in data.examples] == ["hey", "abc"]
    assert data.examples[1].entities == ()
    messages = " | ".join(w.message for w in data.warnings)
    assert "'intent_examples' is not read" in messages
    assert "Did you mean 'entities'?" in messages
    assert "do not fit the text" in messages


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('{"rasa_nlu_data": {\n  "common_examples": [\n    {"text": "hi",}\n  ]}}', 3, "JSON"),
        ('{"nlu": []}', 1, "not Rasa NLU data"),
        ('{"rasa_nlu_data": {"common_example": []}}', 1, "Did you mean 'common_examples'"),
        (
            '{"rasa_nlu_data": {"common_examples": [\n{"text": "hi", "entities": [{"entity": "x"}]}]}}',
            2,
            "has no 'start'",
        ),
    ],
)
def test_bad_json_is_a_located_error(tmp_path: Path, text: str, line: int, expected: str) -> None:
    with pytest.raises(ProjectError) as err:
        read_nlu_file(write(tmp_path, "nlu.json", text))
    (problem,) = err.value.problems
    assert problem.line == line and expected in problem.message
