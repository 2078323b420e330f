"""Small located checks shared by the training-data readers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, unknown_key
from stratus.shared.yaml_io import YDict, YList

T = TypeVar("T")


def fail(
    message: str, file: str | None, line: int | None, field: str | None = None
) -> ProjectError:
    """A ProjectError with one located problem (raise it)."""
    return ProjectError(Problem(message, file, line, field))


def kind_of(value: Any) -> str:
    """How a YAML value reads to a user: 'a list', 'a number', ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def expect_str(
    value: Any, what: str, file: str | None, line: int | None, field: str | None = None
) -> str:
    """`value` as a non-empty string, or a located error saying what was found instead."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, str) or value is None:
        raise fail(f"{what} is empty", file, line, field)
    hint = "; put it in quotes" if isinstance(value, int | float | bool) else ""
    raise fail(f"{what} must be text, not {kind_of(value)}{hint}", file, line, field)


def expect_mapping(value: Any, what: str, file: str | None, line: int | None) -> YDict:
    if isinstance(value, YDict):
        return value
    if isinstance(value, dict):  # built in code rather than read from YAML
        return YDict(value)
    raise fail(f"{what} must be a mapping of keys, not {kind_of(value)}", file, line)


def expect_list(value: Any, what: str, file: str | None, line: int | None) -> YList:
    if isinstance(value, YList):
        return value
    if isinstance(value, list):
        return YList(value)
    raise fail(
        f"{what} must be a list (items starting with '- '), not {kind_of(value)}", file, line
    )


def check_keys(mapping: YDict, allowed: Collection[str], what: str, file: str | None) -> None:
    """A located error for the first key of `mapping` that is not in `allowed`."""
    for key in mapping:
        if key not in allowed:
            raise fail(unknown_key(str(key), allowed, what), file, mapping.line_of(key), str(key))


def collecting(errors: list[Problem], fn: Callable[..., T], *args: Any) -> T | None:
    """Run `fn`; on a ProjectError keep its problems in `errors` and return None.

    Lets a reader report every bad item of a file in one go instead of stopping at the first.
    """
    try:
        return fn(*args)
    except ProjectError as e:
        errors.extend(e.problems)
        return None
