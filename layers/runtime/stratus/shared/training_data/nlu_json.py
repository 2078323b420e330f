"""NLU training data in Rasa's JSON format (`{"rasa_nlu_data": {...}}`).

Follows rasa/shared/nlu/training_data/formats/rasa.py of Rasa 3.6 (deprecated there in
favour of YAML, still read). Lookup tables may name a text file instead of listing
their elements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratus.shared.problems import unknown_key
from stratus.shared.training_data._checks import (
    check_keys,
    collecting,
    expect_list,
    expect_mapping,
    expect_str,
    fail,
    kind_of,
)
from stratus.shared.training_data.message import (
    EntityAnnotation,
    NluData,
    NluExample,
    RegexPattern,
)
from stratus.shared.training_data.nlu_builder import NluBuilder, split_intent
from stratus.shared.yaml_io import YList, read_text

JSON_SECTIONS = ("common_examples", "entity_synonyms", "regex_features", "lookup_tables")
# Read by Rasa 1.x; Rasa 3 accepts the keys but reads nothing from them.
JSON_LEGACY_SECTIONS = ("intent_examples", "entity_examples")
JSON_EXAMPLE_KEYS = ("text", "intent", "entities", "metadata")
JSON_ENTITY_KEYS = ("start", "end", "entity", "value", "role", "group")


def nlu_from_json(content: Any, file: str, project_dir: Path | None = None) -> NluData:
    """The NLU data of a parsed Rasa JSON file (`{"rasa_nlu_data": {...}}`)."""
    builder = NluBuilder(file, project_dir)
    top = expect_mapping(content, "a JSON NLU file", file, getattr(content, "line", 1))
    if "rasa_nlu_data" not in top:
        raise fail(
            'not Rasa NLU data: expected {"rasa_nlu_data": {...}}; Stratus reads JSON NLU '
            "data in Rasa's format only",
            file,
            top.line,
        )
    check_keys(top, ("rasa_nlu_data",), "a Rasa JSON NLU file", file)
    data = expect_mapping(top["rasa_nlu_data"], "'rasa_nlu_data'", file, top.line)
    for key in data:
        if key in JSON_LEGACY_SECTIONS:
            builder.warn(
                f"'{key}' is not read since Rasa 3 (as in Rasa, its examples are ignored); "
                "move them to 'common_examples'",
                data.line_of(key),
                key,
            )
    check_keys(data, JSON_SECTIONS + JSON_LEGACY_SECTIONS, "'rasa_nlu_data'", file)

    def section(key: str) -> YList:
        value = data.get(key)
        return YList() if value is None else expect_list(value, f"'{key}'", file, data.line)

    for example in section("common_examples"):
        collecting(builder.errors, _read_json_example, builder, example, data.line)
    for entry in section("entity_synonyms"):
        collecting(builder.errors, _read_json_synonyms, builder, entry, data.line)
    for entry in section("regex_features"):
        collecting(builder.errors, _read_json_regex, builder, entry, data.line)
    for entry in section("lookup_tables"):
        collecting(builder.errors, _read_json_lookup, builder, entry, data.line)
    return builder.build()


def _read_json_example(builder: NluBuilder, example: Any, fallback: int | None) -> None:
    file = builder.file
    line = getattr(example, "line", fallback)
    example = expect_mapping(example, "an item of 'common_examples'", file, line)
    for key in example:
        if key not in JSON_EXAMPLE_KEYS:
            # Rasa keeps unknown keys as custom message data, which nothing reads.
            builder.warn(unknown_key(str(key), JSON_EXAMPLE_KEYS, "an example"), line, str(key))
    text = example.get("text")
    if text is None or text == "":
        builder.warn("an example has no 'text'; it is skipped", line)
        return
    if not isinstance(text, str):
        raise fail(f"'text' must be a string, not {kind_of(text)}", file, line, "text")
    intent = example.get("intent")
    if intent is not None and not isinstance(intent, str):
        raise fail(f"'intent' must be a string, not {kind_of(intent)}", file, line, "intent")
    entities = tuple(
        entity
        for raw in expect_list(example.get("entities") or [], "'entities'", file, line)
        if (entity := _read_json_entity(builder, text, raw, line)) is not None
    )
    base: str | None = None
    response_key: str | None = None
    if intent and intent.strip():
        base, response_key = split_intent(intent.strip(), file, line)
    for entity in entities:
        span = text[entity.start : entity.end]
        if isinstance(entity.value, str) and span != entity.value:
            builder.add_synonym(span, entity.value, line)
    builder.examples.append(
        NluExample(
            text=text,
            intent=base,
            entities=entities,
            response_key=response_key,
            metadata=example.get("metadata"),
            file=file,
            line=line,
        )
    )


def _read_json_entity(
    builder: NluBuilder, text: str, entity: Any, line: int | None
) -> EntityAnnotation | None:
    file = builder.file
    entity = expect_mapping(entity, "an entity", file, line)
    line = entity.line or line
    check_keys(entity, JSON_ENTITY_KEYS, "an entity", file)
    for key in ("start", "end", "entity"):
        if key not in entity:
            raise fail(f"an entity of example \"{text[:60]}\" has no '{key}'", file, line)
    start, end = entity["start"], entity["end"]
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
        raise fail("entity 'start' and 'end' must be whole numbers", file, line)
    if not 0 <= start <= end <= len(text):
        # Rasa keeps such an entity, but no token can line up with it in training.
        builder.warn(
            f"entity offsets {start}..{end} do not fit the text {text[:60]!r} "
            f"({len(text)} characters); the entity is ignored",
            line,
        )
        return None
    for key in ("entity", "role", "group", "value"):
        if key in entity and entity[key] is not None and not isinstance(entity[key], str):
            raise fail(f"entity '{key}' must be a string, not {kind_of(entity[key])}", file, line)
    return EntityAnnotation(
        start=start,
        end=end,
        entity=expect_str(entity["entity"], "the entity type", file, line),
        value=entity.get("value", text[start:end]),
        role=entity.get("role"),
        group=entity.get("group"),
    )


def _read_json_synonyms(builder: NluBuilder, entry: Any, fallback: int | None) -> None:
    line = getattr(entry, "line", fallback)
    entry = expect_mapping(entry, "an entity synonym", builder.file, line)
    check_keys(entry, ("value", "synonyms"), "an entity synonym", builder.file)
    value = expect_str(entry.get("value"), "the synonym 'value'", builder.file, line)
    for variant in expect_list(entry.get("synonyms") or [], "'synonyms'", builder.file, line):
        builder.add_synonym(expect_str(variant, "a synonym", builder.file, line), value, line)


def _read_json_regex(builder: NluBuilder, entry: Any, fallback: int | None) -> None:
    line = getattr(entry, "line", fallback)
    entry = expect_mapping(entry, "a regex feature", builder.file, line)
    check_keys(entry, ("name", "pattern"), "a regex feature", builder.file)
    name = expect_str(entry.get("name"), "the regex 'name'", builder.file, line)
    pattern = expect_str(entry.get("pattern"), "the regex 'pattern'", builder.file, line)
    builder.regexes.append(RegexPattern(name, pattern, builder.file, line))


def _read_json_lookup(builder: NluBuilder, entry: Any, fallback: int | None) -> None:
    line = getattr(entry, "line", fallback)
    file = builder.file
    entry = expect_mapping(entry, "a lookup table", file, line)
    check_keys(entry, ("name", "elements"), "a lookup table", file)
    name = expect_str(entry.get("name"), "the lookup table 'name'", file, line)
    elements = entry.get("elements")
    if isinstance(elements, str):
        values = read_lookup_file(elements, file, line, builder.project_dir)
    else:
        values = [
            expect_str(e, f"an element of lookup table '{name}'", file, line)
            for e in expect_list(elements, f"the elements of lookup table '{name}'", file, line)
        ]
    table, _ = builder.lookups.setdefault(name, ([], line))
    table.extend(values)


def read_lookup_file(
    reference: str, file: str, line: int | None, project_dir: Path | None
) -> list[str]:
    """The elements of a lookup table file: one per line, stripped, blank lines skipped.

    Rasa opens the path relative to the directory it runs in, which is the project
    directory; we try the project directory first, then the directory of the data file.
    """
    path = Path(reference)
    candidates = (
        [path]
        if path.is_absolute()
        else [base / path for base in (project_dir, Path(file).parent) if base is not None]
    )
    for candidate in candidates:
        if candidate.is_file():
            text = read_text(candidate)
            return [element.strip() for element in text.splitlines() if element.strip()]
    tried = ", ".join(str(c) for c in candidates)
    raise fail(f"lookup table file '{reference}' not found (looked for {tried})", file, line)
