"""Reading YAML project files with line numbers, as YAML 1.2 (as Rasa reads them).

Mappings load as `YDict` and sequences as `YList`: plain dict/list subclasses that
remember the 1-based line of the container, of every key and of every item, so any
later check can name the exact line of what it complains about.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem

# One project file larger than this is refused rather than parsed for minutes.
MAX_FILE_BYTES = 20 * 1024 * 1024

try:  # the C parser is ~10x faster; the constructor stays in Python so lines survive
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class YDict(dict[Any, Any]):
    """A mapping that knows its line and the line of each key."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that knows its line and the line of each item."""

    line: int | None = None
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []

    def line_of(self, index: int) -> int | None:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


def line_of(container: Any, key: Any = None) -> int | None:
    """The line of `container[key]` (or of the container) when it was read from YAML."""
    if key is not None and isinstance(container, YDict | YList):
        return container.line_of(key)
    return getattr(container, "line", None)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int) -> None:
        self.key, self.line, self.first = key, line, first
        super().__init__(f"duplicate key '{key}' (first defined on line {first})")


class _LocatedLoader(_BaseLoader):
    """Safe loader producing YDict/YList with YAML 1.2 scalar resolution."""


def _construct_map(loader: _LocatedLoader, node: yaml.MappingNode) -> Any:
    result = YDict()
    result.line = node.start_mark.line + 1
    yield result
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        if key in result.key_lines:
            raise _DuplicateKey(key, line, result.key_lines[key])
        result.key_lines[key] = line
        result[key] = loader.construct_object(value_node, deep=True)


def _construct_seq(loader: _LocatedLoader, node: yaml.SequenceNode) -> Any:
    result = YList()
    result.line = node.start_mark.line + 1
    yield result
    for child in node.value:
        result.item_lines.append(child.start_mark.line + 1)
        result.append(loader.construct_object(child, deep=True))


_LocatedLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LocatedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

# YAML 1.2 core schema: only true/false are booleans ("yes", "on", "no" stay strings),
# no sexagesimal numbers ("12:30" stays a string), octal is 0o17.
_YAML11_ONLY = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_LocatedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML11_ONLY]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_LocatedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_LocatedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_LocatedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_int(loader: _LocatedLoader, node: yaml.ScalarNode) -> int:
    value = str(loader.construct_scalar(node)).replace("_", "")
    if value.startswith("0o"):
        return int(value[2:], 8)
    return int(value, 0) if value.lower().startswith(("0x", "-0x", "+0x")) else int(value)


_LocatedLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_text(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> str:
    """A project file's text, with located errors for missing, huge or non-UTF-8 files."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ProjectError(Problem("file not found; check the path", name)) from None
    except OSError as e:
        raise ProjectError(Problem(f"cannot read file: {e.strerror}", name)) from None
    if p.is_dir():
        raise ProjectError(Problem("expected a file but found a directory", name))
    if size > max_bytes:
        raise ProjectError(
            Problem(
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for one "
                "project file; split it into several smaller files",
                name,
            )
        )
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ProjectError(
            Problem(
                f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                "save the file with UTF-8 encoding",
                name,
                line,
            )
        ) from None
    return text.removeprefix("\ufeff")


def parse_yaml(text: str, name: str = "<string>") -> Any:
    """Parse YAML text into YDict/YList/scalars, turning YAML errors into a ProjectError."""
    try:
        return yaml.load(text, Loader=_LocatedLoader)  # a safe loader subclass
    except _DuplicateKey as e:
        raise ProjectError(
            Problem(
                f"duplicate key '{e.key}' (first defined on line {e.first}); keep only one",
                name,
                e.line,
            )
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(s for s in (e.context, e.problem) if s)
        raise ProjectError(
            Problem(f"invalid YAML: {what}; check the indentation and quoting", name, line)
        ) from None
    except yaml.YAMLError as e:
        raise ProjectError(Problem(f"invalid YAML: {e}", name)) from None
    except RecursionError:
        raise ProjectError(Problem("invalid YAML: nested too deeply", name)) from None


def read_yaml(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read and parse one YAML file (None for an empty file)."""
    return parse_yaml(read_text(path, max_bytes), str(path))


def read_yaml_mapping(path: str | os.PathLike[str], what: str) -> YDict:
    """Read a YAML file whose top level must be a mapping (empty file -> empty mapping)."""
    content = read_yaml(path)
    if content is None:
        return YDict()
    if not isinstance(content, YDict):
        raise ProjectError(
            Problem(
                f"the top level of a {what} must be a mapping of keys, "
                f"not a {type(content).__name__}",
                str(path),
                line_of(content) or 1,
            )
        )
    return content


_ENV_VAR = re.compile(r"\$\{([^}^{]+)\}")


def substitute_env_vars(
    value: Any, env: Mapping[str, str] | None = None, file: str | None = None
) -> Any:
    """Replace `${NAME}` in every string of a loaded YAML tree, as Rasa does."""
    environ = os.environ if env is None else env
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in environ:
                raise ProjectError(
                    Problem(
                        f"environment variable '{name}' is used but not set; "
                        "export it before starting Stratus",
                        file,
                    )
                )
            return environ[name]

        return _ENV_VAR.sub(repl, value)
    if isinstance(value, YDict):
        out = YDict({k: substitute_env_vars(v, environ, file) for k, v in value.items()})
        out.line, out.key_lines = value.line, value.key_lines
        return out
    if isinstance(value, dict):
        return {k: substitute_env_vars(v, environ, file) for k, v in value.items()}
    if isinstance(value, YList):
        lst = YList(substitute_env_vars(v, environ, file) for v in value)
        lst.line, lst.item_lines = value.line, value.item_lines
        return lst
    if isinstance(value, list):
        return [substitute_env_vars(v, environ, file) for v in value]
    return value
