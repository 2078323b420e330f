"""Native actions: plain functions registered with `@action("name")`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from stratus.sdk.dispatcher import Dispatcher
from stratus.sdk.tracker import JsonDict, Tracker

ActionFunction = Callable[[Tracker, Dispatcher], "list[JsonDict] | None"]
F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__stratus_action__"


class ActionExecutionRejection(Exception):
    """Raise it in an action to refuse to run (the assistant lets the policies choose
    another action), as rasa_sdk's exception of the same name does."""

    def __init__(self, action_name: str, message: str | None = None) -> None:
        self.action_name = action_name
        self.message = message or f"Custom action '{action_name}' rejected execution."
        super().__init__(self.message)


@dataclass(frozen=True)
class NativeAction:
    """A function run as a custom action; `needs_domain` asks for the domain (449)."""

    name: str
    function: ActionFunction
    needs_domain: bool = False

    def run(self, tracker: Tracker, dispatcher: Dispatcher) -> list[JsonDict]:
        return list(self.function(tracker, dispatcher) or [])


def action(name: str, *, needs_domain: bool = False) -> Callable[[F], F]:
    """Registers a function `(tracker, dispatcher) -> events` as the action `name`.

    With `needs_domain=True` a request without the domain is answered with status 449,
    so the assistant sends it again with the domain (rasa_sdk's behaviour).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"@action needs the action's name, not {name!r}")

    def register(function: F) -> F:
        setattr(function, _ATTRIBUTE, NativeAction(name, function, needs_domain))
        return function

    return register


def native_action_of(candidate: Any) -> NativeAction | None:
    """The native action a decorated function carries, if any."""
    found = getattr(candidate, _ATTRIBUTE, None)
    return found if isinstance(found, NativeAction) else None
