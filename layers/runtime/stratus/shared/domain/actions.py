"""Custom actions declared under `actions:`, and the domain's ordered action list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stratus.shared.domain.constants import DEFAULT_ACTIONS
from stratus.shared.domain.parsing import (
    Located,
    ProblemLog,
    check_keys,
    flag,
    is_list,
    is_mapping,
    item_line,
    join,
    key_line,
    kind_of,
)

ACTION_KEYS = ("send_domain",)
# Rasa sends the domain to form validation actions even without `send_domain: true`.
VALIDATION_PREFIX = "validate_"


@dataclass(frozen=True)
class Action(Located):
    """A declared action; `send_domain` asks for the domain with every call to the action
    server when `enable_selective_domain` is on."""

    name: str
    send_domain: bool = False

    def as_dict(self) -> str | dict[str, Any]:
        return {self.name: {"send_domain": True}} if self.send_domain else self.name


def read_actions(value: Any, line: int | None, log: ProblemLog) -> tuple[Action, ...]:
    """The `actions:` list; a repeated action is a warning and keeps its first declaration."""
    if value is None or not is_list(value, "actions", line, "actions", log):
        return ()
    out: dict[str, Action] = {}
    for i, item in enumerate(value):
        line, field = item_line(value, i), f"actions[{i}]"
        for action in _read_item(item, line, field, log):
            if action.name in out:
                log.warn(
                    f"action '{action.name}' is listed twice (first at "
                    f"{out[action.name].where}); the first one is kept",
                    action.line,
                    f"actions.{action.name}",
                )
                continue
            out[action.name] = action
    return tuple(out.values())


def _read_item(item: Any, line: int | None, field: str, log: ProblemLog) -> list[Action]:
    if isinstance(item, str) and item.strip():
        return [Action(item, file=log.file, line=line)]
    if not isinstance(item, dict):
        log.error(
            f"an action must be a name or `name: {{send_domain: true}}`, not {kind_of(item)}",
            line,
            field,
        )
        return []
    out = []
    for name, config in item.items():
        where, sub = key_line(item, name), f"actions.{name}"
        if not isinstance(name, str) or not name.strip():
            log.error(f"an action name must be text, not {kind_of(name)}", where, field)
            continue
        if config is None:
            log.error(
                f"action '{name}' is followed by ':' but has no settings; remove the ':' "
                "or add `{send_domain: true}`",
                where,
                sub,
            )
            continue
        if not is_mapping(config, f"the settings of action '{name}'", where, sub, log):
            continue
        check_keys(config, ACTION_KEYS, f"action '{name}'", sub, log)
        send = False
        if "send_domain" in config:
            send = bool(
                flag(
                    config["send_domain"],
                    "send_domain",
                    key_line(config, "send_domain"),
                    join(sub, "send_domain"),
                    log,
                )
            )
        out.append(Action(name, send, file=log.file, line=where))
    return out


def ordered_action_names(
    actions: Iterable[str],
    retrieval_actions: Iterable[str],
    response_names: Iterable[str],
    form_names: Iterable[str],
) -> tuple[str, ...]:
    """Rasa 3.6's action order (`Domain.action_names_or_texts` without the texts).

    Default actions first (so `action_listen` is index 0), then the declared actions in
    declaration order, then the `utter_<intent>` actions of retrieval intents, then every
    response name not declared as an action (sorted), then forms not declared as actions.
    A user action overriding a default keeps the default's index.
    """
    out: list[str] = list(DEFAULT_ACTIONS)
    seen = set(out)
    declared = list(actions)
    for name in [*declared, *retrieval_actions, *sorted(response_names), *form_names]:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return tuple(out)
