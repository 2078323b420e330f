"""Events an action returns, as the action-server JSON spells them."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


def slot_set(key: str, value: Any = None) -> JsonDict:
    """Sets (or, with None, clears) a slot."""
    return {"event": "slot", "name": key, "value": value}


def active_loop(name: str | None) -> JsonDict:
    """Activates a form (or other loop); None deactivates the active one."""
    return {"event": "active_loop", "name": name}


def followup_action(name: str) -> JsonDict:
    """Runs `name` next, without asking the policies."""
    return {"event": "followup", "name": name}


def restarted() -> JsonDict:
    """Restarts the conversation."""
    return {"event": "restart"}


def all_slots_reset() -> JsonDict:
    """Resets every slot to its initial value."""
    return {"event": "reset_slots"}
