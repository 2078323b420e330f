"""Located problems: every complaint about user input names file, line and field."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem in one place: `file:line: field: message`."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        kind = "warning" if self.severity is Severity.WARNING else "error"
        field = f" {self.field}:" if self.field else ""
        return f"{where}: {kind}:{field} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def warning(
    message: str, file: str | None = None, line: int | None = None, field: str | None = None
) -> Problem:
    """A problem that does not make the project invalid."""
    return Problem(message, file, line, field, Severity.WARNING)


def suggest(word: str, candidates: Iterable[str]) -> str:
    """A ` Did you mean 'x'?` hint, or an empty string when nothing is close."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=3, cutoff=0.6)
    if not matches:
        return ""
    if len(matches) == 1:
        return f" Did you mean '{matches[0]}'?"
    return " Did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


def unknown_key(key: str, allowed: Iterable[str], what: str) -> str:
    """The message for a key that is not allowed in `what`."""
    allowed = sorted(allowed)
    return (
        f"unknown key '{key}' in {what}.{suggest(key, allowed)} Allowed keys: {', '.join(allowed)}."
    )
