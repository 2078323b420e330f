from __future__ import annotations

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data.entities_markup import parse_markup, strip_markup
from stratus.shared.training_data.message import EntityAnnotation


def test_plain_text_has_no_entities() -> None:
    parsed = parse_markup("hello there [1] (see notes) {curly}")
    assert parsed.text == "hello there [1] (see notes) {curly}"
    assert parsed.entities == ()


def test_offsets_are_in_the_plain_text() -> None:
    parsed = parse_markup("fly from [Berlin](city) to [New York](city) now")
    assert parsed.text == "fly from Berlin to New York now"
    berlin, new_york = parsed.entities
    assert (berlin.start, berlin.end, berlin.value) == (9, 15, "Berlin")
    assert parsed.text[new_york.start : new_york.end] == "New York"
    assert new_york == EntityAnnotation(19, 27, "city", "New York")


def test_old_synonym_form_sets_the_value() -> None:
    # Rasa 3.6 still reads [text](entity:value) (its ENTITY_REGEX keeps the group).
    (entity,) = parse_markup("a [savings account](account:savings) please").entities
    assert (entity.entity, entity.value) == ("account", "savings")
    assert (entity.start, entity.end) == (2, 17)


def test_json_attributes_role_group_value() -> None:
    parsed = parse_markup(
        'from [SF]{"entity": "location", "role": "from", "value": "San Francisco"} '
        'to [LA]{"entity": "location", "role": "to", "group": "1"}'
    )
    assert parsed.text == "from SF to LA"
    sf, la = parsed.entities
    assert sf.as_dict() == {
        "start": 5,
        "end": 7,
        "value": "San Francisco",
        "entity": "location",
        "role": "from",
    }
    assert (la.value, la.role, la.group) == ("LA", "to", "1")


def test_offsets_count_characters_not_bytes() -> None:
    (entity,) = parse_markup("café [München](city)").entities
    assert (entity.start, entity.end) == (5, 12)


def test_entity_at_start_and_adjacent_entities() -> None:
    parsed = parse_markup("[large](size)[pizza](food)")
    assert parsed.text == "largepizza"
    assert [(e.start, e.end) for e in parsed.entities] == [(0, 5), (5, 10)]


@pytest.mark.parametrize(
    "example",
    [
        "fly to [Berlin](city",
        'fly to [Paris]{"entity": "city"',
        "fly to Berlin](city)",
        "fly to [Berlin]() please",
        "fly to [Berlin](city:) please",
    ],
)
def test_an_annotation_not_closed_is_a_located_error(example: str) -> None:
    with pytest.raises(ProjectError) as err:
        parse_markup(example, "nlu.yml", 7)
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == ("nlu.yml", 7)
    assert example in problem.message and "not closed" in problem.message


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("[Berlin]{entity: city}", "not valid JSON"),
        ('[Berlin]{"role": "to"}', 'no "entity" key'),
        ('[Berlin]{"entity": "city", "group": 1}', '"group" must be a string'),
        ("[Berlin]( )", "no entity type"),
    ],
)
def test_bad_attributes_are_located_errors(example: str, expected: str) -> None:
    with pytest.raises(ProjectError) as err:
        parse_markup(example, "nlu.yml", 3)
    assert expected in str(err.value) and "nlu.yml:3" in str(err.value)


def test_unknown_attribute_is_a_warning_with_suggestion() -> None:
    parsed = parse_markup('[Berlin]{"entity": "city", "rol": "to"}', "nlu.yml", 2)
    assert parsed.entities[0].role is None
    (w,) = parsed.warnings
    assert not w.is_error and "Did you mean 'role'?" in w.message and w.line == 2


def test_strip_markup() -> None:
    assert strip_markup('go to [LA]{"entity": "city"} with [Ann](name)') == "go to LA with Ann"
