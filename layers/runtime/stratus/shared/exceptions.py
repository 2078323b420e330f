"""One root exception type with meaningful subclasses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stratus.shared.problems import Problem


class StratusError(Exception):
    """Root of every error Stratus raises on purpose."""


class ProjectError(StratusError):
    """Bad user input in a project file; carries one or more located problems."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        from stratus.shared.problems import Problem

        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ProjectError], tuple[list[Problem]]]:
        # rebuilt from its problems (the default would pass the joined message instead)
        return type(self), (self.problems,)


class ConfigError(ProjectError):
    """A config.yml, endpoints.yml or credentials.yml problem."""


class IncompatibleModelError(StratusError):
    """A trained model this version of Stratus cannot load."""


class TrackerConflictError(StratusError):
    """A tracker write lost a race (version or lock condition failed)."""


class ActionFailure(StratusError):
    """A custom action failed (raised, timed out or answered garbage)."""


class ActionRejection(StratusError):
    """A custom action rejected its execution (Rasa's ActionExecutionRejection)."""

    def __init__(self, action_name: str, message: str = "") -> None:
        self.action_name = action_name
        super().__init__(message or f"Action '{action_name}' rejected execution.")
