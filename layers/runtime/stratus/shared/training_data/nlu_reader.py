"""NLU training data in Rasa 3 YAML (`nlu:` items), and reading one NLU file.

Follows rasa/shared/nlu/training_data/formats/rasa_yaml.py of Rasa 3.6: the same items,
example texts, synonyms and duplicate dropping. Where Rasa's schema rejects input, so do
we (with file and line); where Rasa silently skips something, we skip it too and say so
in a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
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
from stratus.shared.training_data._located_json import parse_json
from stratus.shared.training_data.entities_markup import parse_markup
from stratus.shared.training_data.message import NluData, RegexPattern
from stratus.shared.training_data.nlu_builder import NluBuilder, merge_nlu, split_intent
from stratus.shared.training_data.nlu_json import nlu_from_json
from stratus.shared.yaml_io import YDict, read_text, read_yaml

__all__ = ["merge_nlu", "nlu_from_yaml", "read_nlu_file"]

# Keys of one `nlu:` item, by the key that names its kind (Rasa's nlu.yml schema).
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "intent": ("intent", "examples", "metadata"),
    "synonym": ("synonym", "examples"),
    "regex": ("regex", "examples"),
    "lookup": ("lookup", "examples"),
}
EXAMPLE_KEYS = ("text", "metadata")
# Rasa strips these (not tabs) around every example.
_STRIP = "\n\r "


def nlu_from_yaml(items: Any, file: str, line: int | None = None) -> NluData:
    """The NLU data of one file's `nlu:` value (a list of intent/synonym/regex/lookup items)."""
    builder = NluBuilder(file)
    if items is None:
        builder.warn("'nlu' is empty; it holds no examples", line, "nlu")
        return builder.build()
    items = expect_list(items, "'nlu'", file, line)
    for index, item in enumerate(items):
        collecting(builder.errors, _read_item, builder, item, items.line_of(index))
    return builder.build()


def _read_item(builder: NluBuilder, item: Any, line: int | None) -> None:
    file = builder.file
    item = expect_mapping(item, "an item under 'nlu'", file, line)
    kinds = [k for k in ITEM_KEYS if k in item]
    if not kinds:
        first = next(iter(item), "")
        raise fail(
            unknown_key(str(first), ITEM_KEYS, "an 'nlu' item (which must have one of them)"),
            file,
            item.line_of(first) if first else line,
            str(first) or None,
        )
    if len(kinds) > 1:
        raise fail(
            f"an 'nlu' item has both '{kinds[0]}' and '{kinds[1]}'; start a new item "
            f"('- {kinds[1]}: ...') for each",
            file,
            item.line_of(kinds[1]),
        )
    kind = kinds[0]
    check_keys(item, ITEM_KEYS[kind], f"a '{kind}' item", file)
    name = expect_str(item[kind], f"the name of this {kind}", file, item.line_of(kind), kind)
    if kind == "intent":
        _read_intent(builder, item, name)
        return
    examples = item.get("examples")
    examples_line = item.line_of("examples")
    if not isinstance(examples, str):
        if examples is None:
            builder.warn(f"{kind} '{name}' has no examples; it is skipped", item.line, kind)
            return
        raise fail(
            f"the examples of {kind} '{name}' must be a '|' block of '- ' lines, "
            f"not {kind_of(examples)}",
            file,
            examples_line,
            "examples",
        )
    lines = list(_block_lines(builder, name, examples, examples_line))
    if not lines:
        builder.warn(f"{kind} '{name}' has no examples; it is skipped", item.line, kind)
    for text, text_line in lines:
        if kind == "synonym":
            builder.add_synonym(text, name, text_line)
        elif kind == "regex":
            builder.regexes.append(RegexPattern(name, text, file, text_line))
        else:
            elements, _ = builder.lookups.setdefault(name, ([], item.line))
            elements.append(text)


def _read_intent(builder: NluBuilder, item: YDict, intent: str) -> None:
    file = builder.file
    split_intent(intent.strip(), file, item.line_of("intent"))  # fail once, at the name
    examples = item.get("examples")
    examples_line = item.line_of("examples")
    metadata = item.get("metadata")
    found = 0
    if isinstance(examples, str):
        for text, line in _block_lines(builder, intent, examples, examples_line):
            collecting(builder.errors, _add_annotated, builder, text, intent, metadata, None, line)
            found += 1
    elif isinstance(examples, list):
        examples = expect_list(examples, "examples", file, examples_line)
        for index, entry in enumerate(examples):
            if entry is not None:  # Rasa skips empty entries
                line = examples.line_of(index)
                collecting(builder.errors, _read_entry, builder, entry, line, intent, metadata)
                found += 1
    elif examples is not None:
        raise fail(
            f"the examples of intent '{intent}' must be a '|' block of '- ' lines or a list "
            f"of 'text:' entries, not {kind_of(examples)}",
            file,
            examples_line,
            "examples",
        )
    if not found:
        builder.warn(f"intent '{intent}' has no examples", item.line, "intent")


def _read_entry(
    builder: NluBuilder, entry: Any, line: int | None, intent: str, intent_metadata: Any
) -> None:
    """One `- text: ...` entry of an intent's examples list."""
    file = builder.file
    entry = expect_mapping(entry, f"an example of intent '{intent}' (a 'text:' entry)", file, line)
    check_keys(entry, EXAMPLE_KEYS, "an example", file)
    if "text" not in entry:
        raise fail(f"an example of intent '{intent}' has no 'text'", file, line)
    text_line = entry.line_of("text")
    raw = expect_str(entry["text"], "the example text", file, text_line)
    metadata = entry.get("metadata")
    _add_annotated(builder, raw.strip(_STRIP), intent, intent_metadata, metadata, text_line)


def _add_annotated(
    builder: NluBuilder,
    text: str,
    intent: str,
    intent_metadata: Any,
    example_metadata: Any,
    line: int | None,
) -> None:
    parsed = parse_markup(text, builder.file, line)
    builder.warnings.extend(parsed.warnings)
    metadata: dict[str, Any] | None = None
    if intent_metadata is not None:
        metadata = {"intent": intent_metadata}
    if example_metadata is not None:
        metadata = {**(metadata or {}), "example": example_metadata}
    builder.add_example(parsed.text, intent, parsed.entities, metadata, line)


def _block_lines(
    builder: NluBuilder, name: str, block: str, key_line: int | None
) -> Iterable[tuple[str, int | None]]:
    """The `- ` lines of an examples block, each with its line in the file."""
    # A `|` block starts on the line after `examples:`; a one-line string is on that line.
    first = None if key_line is None else key_line + (1 if "\n" in block else 0)
    for offset, raw in enumerate(block.splitlines()):
        line = None if first is None else first + offset
        if not raw.strip():
            continue
        if not raw.startswith("-"):
            builder.warn(
                f"'{name}': line '{raw.strip()[:60]}' does not start with '- ' and is "
                "skipped (each example is a '- ' line)",
                line,
            )
            continue
        text = raw[1:].strip(_STRIP)
        if not text:
            builder.warn(f"'{name}' has an empty example; it is skipped", line)
            continue
        yield text, line


def read_nlu_file(path: str | os.PathLike[str], project_dir: Path | None = None) -> NluData:
    """The NLU data of one YAML or JSON file (other sections of a YAML file are ignored)."""
    name = str(path)
    if Path(path).suffix.lower() == ".json":
        return nlu_from_json(parse_json(read_text(path), name), name, project_dir)
    content = read_yaml(path)
    if content is None:
        raise fail("the file is empty; expected 'nlu:' with intents and examples", name, 1)
    content = expect_mapping(content, "the top level of an NLU file", name, 1)
    if "nlu" not in content:
        return NluData()
    return nlu_from_yaml(content["nlu"], name, content.line_of("nlu"))
