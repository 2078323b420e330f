"""Located checks for reading domain YAML: collect every problem of a file, then raise.

A `ProblemLog` gathers errors and warnings with file, line and field; the readers of
each domain section keep going after a bad item so that one run names every mistake.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, unknown_key, warning
from stratus.shared.yaml_io import YDict, YList, line_of


@dataclass(frozen=True)
class Located:
    """Where a domain item was declared; ignored by equality, so a round trip stays equal."""

    file: str | None = field(default=None, compare=False, repr=False, kw_only=True)
    line: int | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def where(self) -> str:
        """`file:line` for messages that point at another declaration."""
        return f"{self.file or '<input>'}:{self.line}" if self.line else (self.file or "<input>")


class ProblemLog:
    """Errors and warnings found while reading one source (a file or a dict)."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, message: str, line: int | None, field: str | None) -> None:
        self.errors.append(Problem(message, self.file, line, field))

    def warn(self, message: str, line: int | None, field: str | None) -> None:
        self.warnings.append(warning(message, self.file, line, field))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ProjectError(self.errors)


def kind_of(value: Any) -> str:
    """How a YAML value reads to a user: 'a list', 'the number 3', ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)


def item_line(container: Any, index: int) -> int | None:
    return line_of(container, index) if isinstance(container, YList) else line_of(container)


def key_line(container: Any, key: Any) -> int | None:
    return line_of(container, key) if isinstance(container, YDict) else line_of(container)


def check_keys(
    node: dict[Any, Any],
    allowed: Collection[str],
    what: str,
    field: str,
    log: ProblemLog,
    *,
    skip: Collection[str] = (),
) -> None:
    """An error (with a close match) for every key of `node` not in `allowed` (or `skip`)."""
    for key in node:
        if key not in allowed and key not in skip:
            log.error(unknown_key(str(key), allowed, what), key_line(node, key), join(field, key))


def is_mapping(value: Any, what: str, line: int | None, field: str, log: ProblemLog) -> bool:
    if isinstance(value, dict):
        return True
    log.error(f"{what} must be a mapping of keys, not {kind_of(value)}", line, field)
    return False


def is_list(value: Any, what: str, line: int | None, field: str, log: ProblemLog) -> bool:
    if isinstance(value, list):
        return True
    log.error(
        f"{what} must be a list (items starting with '- '), not {kind_of(value)}", line, field
    )
    return False


def text(
    value: Any, what: str, line: int | None, field: str, log: ProblemLog, *, empty_ok: bool = False
) -> str | None:
    """`value` as a string, or None after logging what was found instead."""
    if isinstance(value, str) and (empty_ok or value.strip()):
        return value
    if isinstance(value, str):
        log.error(f"{what} is empty", line, field)
        return None
    hint = "; put it in quotes" if isinstance(value, int | float | bool) else ""
    log.error(f"{what} must be text, not {kind_of(value)}{hint}", line, field)
    return None


def flag(value: Any, what: str, line: int | None, field: str, log: ProblemLog) -> bool | None:
    if isinstance(value, bool):
        return value
    log.error(f"{what} must be true or false, not {kind_of(value)}", line, field)
    return None


def number(value: Any, what: str, line: int | None, field: str, log: ProblemLog) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    log.error(f"{what} must be a number, not {kind_of(value)}", line, field)
    return None


def names(
    value: Any,
    what: str,
    line: int | None,
    field: str,
    log: ProblemLog,
    *,
    single_ok: bool = False,
) -> tuple[str, ...]:
    """A list of names (or one name when `single_ok`); null reads as no names."""
    if value is None:
        return ()
    if single_ok and isinstance(value, str):
        return (value,) if value.strip() else ()
    if not isinstance(value, list):
        expected = "a name or a list of names" if single_ok else "a list of names"
        log.error(f"{what} must be {expected}, not {kind_of(value)}", line, field)
        return ()
    out: list[str] = []
    for i, item in enumerate(value):
        name = text(item, f"{what} item", item_line(value, i), f"{field}[{i}]", log)
        if name is not None:
            out.append(name)
    return tuple(out)


def plain(value: Any) -> Any:
    """A copy of a loaded YAML value made of plain dicts and lists (no line baggage)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
