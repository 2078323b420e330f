"""NLU data written as Rasa YAML reads back the same (the comparison's train/test files)."""

from __future__ import annotations

from pathlib import Path

from stratus.shared.training_data import load_training_data
from stratus.shared.training_data.message import (
    EntityAnnotation,
    LookupTable,
    NluData,
    NluExample,
    RegexPattern,
)
from stratus.shared.training_data.nlu_writer import example_markup, nlu_yaml

DATA = NluData(
    examples=(
        NluExample("fly to paris", "book", (EntityAnnotation(7, 12, "city", "paris"),)),
        NluExample(
            "from NYC to rome",
            "book",
            (
                EntityAnnotation(5, 8, "city", "New York", role="departure"),
                EntityAnnotation(12, 16, "city", "rome", group="1"),
            ),
        ),
        NluExample("what is your name", "faq", response_key="ask_name"),
        NluExample("héllo 👋", "greet"),
    ),
    synonyms={"NYC": "New York", "big apple": "New York"},
    regexes=(RegexPattern("zipcode", "[0-9]{5}"),),
    lookup_tables=(LookupTable("city", ("paris", "rome")),),
)


def test_markup_is_short_unless_a_value_role_or_group_needs_json() -> None:
    assert example_markup(DATA.examples[0]) == "fly to [paris](city)"
    assert example_markup(DATA.examples[1]) == (
        'from [NYC]{"entity": "city", "value": "New York", "role": "departure"} '
        'to [rome]{"entity": "city", "group": "1"}'
    )


def test_written_data_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(nlu_yaml(DATA), "utf-8")
    back = load_training_data([path], project_dir=tmp_path).nlu
    assert back.examples == tuple(
        NluExample(e.text, e.intent, e.entities, e.response_key, b.metadata, b.file, b.line)
        for e, b in zip(DATA.examples, back.examples)
    )
    assert dict(back.synonyms) == dict(DATA.synonyms)
    assert [(r.name, r.pattern) for r in back.regexes] == [("zipcode", "[0-9]{5}")]
    assert [(t.name, t.elements) for t in back.lookup_tables] == [("city", ("paris", "rome"))]
