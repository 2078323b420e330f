"""Loading a domain from a file, a directory tree of files, or a dict."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from stratus.shared.domain.actions import read_actions
from stratus.shared.domain.constants import (
    DATA_KEYS,
    DOMAIN_KEYS,
    LATEST_FORMAT_VERSION,
    TOP_LEVEL_KEYS,
)
from stratus.shared.domain.domain import Domain, SessionConfig
from stratus.shared.domain.forms import read_forms
from stratus.shared.domain.intents import ambiguous_entities, read_entities, read_intents
from stratus.shared.domain.parsing import (
    ProblemLog,
    check_keys,
    flag,
    is_mapping,
    join,
    key_line,
    kind_of,
    names,
    number,
)
from stratus.shared.domain.responses import read_responses
from stratus.shared.domain.slots import read_slots
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, suggest, warning
from stratus.shared.yaml_io import parse_yaml, read_yaml

YAML_SUFFIXES = (".yml", ".yaml")
SESSION_CONFIG_KEYS = ("session_expiration_time", "carry_over_slots_to_new_session")
CONFIG_KEYS = ("store_entities_as_slots",)
_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.\d+)?\s*$")

PathLike = str | os.PathLike[str]


def load_domain(paths: PathLike | Iterable[PathLike]) -> Domain:
    """Load and merge the domain at one or more paths (files or directories), in order.

    A directory is searched recursively for `.yml`/`.yaml` domain files (files with at
    least one domain key), merged in sorted path order; the first definition of a name wins.
    Raises ProjectError listing the problems of every invalid file; warnings are on
    `domain.warnings`.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    domain = Domain()
    errors: list[Problem] = []
    for path in paths:
        try:
            domain = domain.merge(_load_path(Path(path)))
        except ProjectError as e:
            errors.extend(e.problems)
    if errors:
        raise ProjectError(errors)
    return domain


def domain_from_yaml(text: str, file: str = "<string>") -> Domain:
    """Parse and validate one domain given as YAML text."""
    return domain_from_dict(parse_yaml(text, file), file)


def domain_from_dict(data: Mapping[str, Any] | None, file: str | None = None) -> Domain:
    """Validate one domain's content (a loaded YAML mapping or `Domain.as_dict()`).

    Raises ProjectError naming every problem found, each with file, line and field.
    """
    log = ProblemLog(file)
    domain = _read_domain(data, log)
    log.raise_if_errors()
    return replace(domain, warnings=(*domain.warnings, *log.warnings))


def is_domain_file(path: PathLike) -> bool:
    """Whether `path` is a readable YAML file with at least one domain key."""
    p = Path(path)
    if p.suffix not in YAML_SUFFIXES or not p.is_file():
        return False
    try:
        return _has_domain_keys(read_yaml(p))
    except ProjectError:
        return False


def _has_domain_keys(data: Any) -> bool:
    return isinstance(data, dict) and any(key in data for key in DOMAIN_KEYS)


def _load_path(path: Path) -> Domain:
    if path.is_dir():
        return _load_directory(path)
    if not path.exists():
        raise ProjectError(Problem("domain file or directory not found; check the path", str(path)))
    data = read_yaml(path)
    domain = domain_from_dict(data, str(path))
    if not _has_domain_keys(data):
        note = warning(
            f"has none of the domain keys ({', '.join(DOMAIN_KEYS)}); the domain is empty",
            str(path),
            1,
        )
        domain = replace(domain, warnings=(*domain.warnings, note))
    return domain


def _domain_files(root: Path) -> list[Path]:
    """YAML files under `root`, sorted, skipping hidden files and folders (e.g. `.rasa`)."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith(YAML_SUFFIXES):
                found.append(Path(folder) / name)
    return found


def _load_directory(root: Path) -> Domain:
    domain = Domain()
    errors: list[Problem] = []
    skipped: list[Problem] = []
    loaded = 0
    for path in _domain_files(root):
        try:
            data = read_yaml(path)
        except ProjectError as e:
            # Rasa warns about an unreadable file in a domain directory and goes on.
            first = e.problems[0]
            skipped.append(
                warning(
                    f"skipped, it cannot be read as a domain file: {first.message}",
                    first.file,
                    first.line,
                )
            )
            continue
        if not _has_domain_keys(data):
            continue
        try:
            domain = domain.merge(domain_from_dict(data, str(path)))
            loaded += 1
        except ProjectError as e:
            errors.extend(e.problems)
    if errors:
        raise ProjectError(errors)
    if not loaded:
        skipped.append(
            warning(
                "no domain files (YAML files with intents, slots, responses, ...) "
                "in this directory",
                str(root),
            )
        )
    return replace(domain, warnings=(*domain.warnings, *skipped))


def _read_domain(data: Any, log: ProblemLog) -> Domain:
    if data is None:
        log.warn("the domain is empty", None, None)
        return Domain()
    if not isinstance(data, dict):
        log.error(
            f"the top level of a domain must be a mapping of keys, not {kind_of(data)}",
            getattr(data, "line", None) or 1,
            None,
        )
        return Domain()
    for key in data:
        if key not in TOP_LEVEL_KEYS and key not in DATA_KEYS:
            log.warn(
                f"unknown key '{key}' is ignored.{suggest(str(key), TOP_LEVEL_KEYS)} "
                f"Domain keys: {', '.join(TOP_LEVEL_KEYS)}.",
                key_line(data, key),
                str(key),
            )
    if not _version_is_readable(data, log):
        return Domain()
    domain = Domain(
        intents=read_intents(data.get("intents"), key_line(data, "intents"), log),
        entities=read_entities(data.get("entities"), key_line(data, "entities"), log),
        slots=read_slots(data.get("slots"), key_line(data, "slots"), log),
        forms=read_forms(data.get("forms"), key_line(data, "forms"), log),
        responses=read_responses(data.get("responses"), key_line(data, "responses"), log),
        actions=read_actions(data.get("actions"), key_line(data, "actions"), log),
        action_texts=_read_action_texts(data, log),
        session_config=_read_session_config(data, log),
        store_entities_as_slots=_read_config(data, log),
    )
    for intent in domain.intents:
        both = ambiguous_entities(intent)
        if both:
            log.warn(
                f"entities {', '.join(both)} are both used and ignored by intent "
                f"'{intent.name}'; ignoring wins",
                intent.line,
                f"intents.{intent.name}",
            )
    return domain


def _version_is_readable(data: Mapping[str, Any], log: ProblemLog) -> bool:
    """Check `version:`; False for a newer format than this reader knows (Rasa skips it)."""
    if data.get("version") is None:
        return True
    version, line = data["version"], key_line(data, "version")
    if not isinstance(version, str):
        log.error(
            f'version must be text in quotes, e.g. version: "{LATEST_FORMAT_VERSION}", '
            f"not {kind_of(version)}",
            line,
            "version",
        )
        return True
    match = _VERSION.match(version.strip("\"'"))
    if match is None:
        log.warn(
            f"version '{version}' is not a version number like "
            f'"{LATEST_FORMAT_VERSION}"; reading the file as {LATEST_FORMAT_VERSION}',
            line,
            "version",
        )
        return True
    latest = tuple(int(p) for p in LATEST_FORMAT_VERSION.split("."))
    if (int(match[1]), int(match[2])) > latest:
        log.warn(
            f"version {version} is newer than the {LATEST_FORMAT_VERSION} format this "
            "version of Stratus reads; the file is skipped, as Rasa does",
            line,
            "version",
        )
        return False
    return True


def _read_action_texts(data: Mapping[str, Any], log: ProblemLog) -> tuple[str, ...]:
    texts = names(
        data.get("e2e_actions"), "e2e_actions", key_line(data, "e2e_actions"), "e2e_actions", log
    )
    return tuple(dict.fromkeys(texts))


def _read_session_config(data: Mapping[str, Any], log: ProblemLog) -> SessionConfig:
    node = data.get("session_config")
    default = SessionConfig()
    if node is None or not is_mapping(
        node, "session_config", key_line(data, "session_config"), "session_config", log
    ):
        return default
    check_keys(node, SESSION_CONFIG_KEYS, "session_config", "session_config", log)
    minutes: float = default.session_expiration_time
    if node.get("session_expiration_time") is not None:
        line = key_line(node, "session_expiration_time")
        got = number(
            node["session_expiration_time"],
            "session_expiration_time",
            line,
            "session_config.session_expiration_time",
            log,
        )
        if got is not None and got < 0:
            log.error(
                "session_expiration_time must be 0 (never expire) or more minutes",
                line,
                "session_config.session_expiration_time",
            )
        elif got is not None:
            minutes = got
    carry = default.carry_over_slots_to_new_session
    if node.get("carry_over_slots_to_new_session") is not None:
        key = "carry_over_slots_to_new_session"
        got_flag = flag(node[key], key, key_line(node, key), join("session_config", key), log)
        carry = carry if got_flag is None else got_flag
    return SessionConfig(minutes, carry)


def _read_config(data: Mapping[str, Any], log: ProblemLog) -> bool:
    node = data.get("config")
    if node is None or not is_mapping(node, "config", key_line(data, "config"), "config", log):
        return True
    check_keys(node, CONFIG_KEYS, "the domain's config", "config", log)
    key = "store_entities_as_slots"
    if node.get(key) is None:
        return True
    got = flag(node[key], key, key_line(node, key), f"config.{key}", log)
    return True if got is None else got
