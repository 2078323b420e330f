"""Finding, classifying and loading a project's training data files, as Rasa does.

A YAML data file may hold any of `version`, `nlu`, `stories`, `rules` and `responses`
(responses in data files belong to the domain: they are handed back as written, with
their lines, for the domain loader to merge). A JSON file is NLU data in Rasa's format.
Lookup-table `.txt` files are read only through the NLU file that names them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, suggest, unknown_key, warning
from stratus.shared.training_data._checks import collecting, expect_mapping, fail, kind_of
from stratus.shared.training_data._located_json import parse_json
from stratus.shared.training_data.message import NluData
from stratus.shared.training_data.nlu_builder import merge_nlu
from stratus.shared.training_data.nlu_json import nlu_from_json
from stratus.shared.training_data.nlu_reader import nlu_from_yaml
from stratus.shared.training_data.stories import Rule, Story, StoryData
from stratus.shared.training_data.story_reader import stories_from_yaml
from stratus.shared.yaml_io import YDict, parse_yaml, read_text

YAML_SUFFIXES = (".yml", ".yaml")
DATA_SUFFIXES = (*YAML_SUFFIXES, ".json")
SECTION_KEYS = ("nlu", "stories", "rules", "responses")
DATA_KEYS = ("version", *SECTION_KEYS)
# Keys of a domain file: a domain that sits among the data files is not an error, but
# only its responses are read from there (the domain itself comes from the domain path).
DOMAIN_KEYS = (
    "intents",
    "entities",
    "slots",
    "forms",
    "actions",
    "session_config",
    "config",
    "e2e_actions",
)
KNOWN_VERSIONS = ("2.0", "3.0", "3.1")
LATEST_VERSION = "3.1"


@dataclass(frozen=True)
class RawResponse:
    """A response found in a data file, as written (for the domain loader to read)."""

    name: str
    value: Any  # usually a YList of variation YDicts, each with its lines
    file: str
    line: int | None


@dataclass(frozen=True)
class TrainingData:
    """Everything the data files of a project hold, merged in file order."""

    nlu: NluData = field(default_factory=NluData)
    stories: tuple[Story, ...] = ()
    rules: tuple[Rule, ...] = ()
    # Responses from data files, by name; a later file's definition wins, as in Rasa.
    responses: Mapping[str, RawResponse] = field(default_factory=dict)
    # The data files that were read, in order.
    files: tuple[str, ...] = ()
    # Every warning of every file, NLU ones included (nlu.warnings repeats those).
    warnings: tuple[Problem, ...] = ()

    @property
    def test_stories(self) -> tuple[Story, ...]:
        return tuple(s for s in self.stories if s.is_test)


@dataclass
class _FileData:
    file: str
    nlu: NluData | None = None
    stories: StoryData = field(default_factory=StoryData)
    responses: list[RawResponse] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: bool = False


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def find_data_files(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """The data files under `paths` (files, or directories walked recursively, skipping
    hidden entries), sorted as Rasa sorts them, with problems for paths it cannot read."""
    found: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(path)

    for given in paths:
        path = Path(given)
        if path.is_dir():
            visited: set[str] = set()
            for root, dirs, files in os.walk(path, followlinks=True):  # as Rasa walks
                real = os.path.realpath(root)
                if real in visited:  # a symlink loop
                    dirs[:] = []
                    continue
                visited.add(real)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if _hidden(candidate.relative_to(path)):
                        continue
                    suffix = candidate.suffix.lower()
                    if suffix in DATA_SUFFIXES:
                        add(candidate)
                    elif suffix == ".md":
                        problems.append(
                            warning(
                                "Markdown training data is not read since Rasa 3.0; convert "
                                "it to YAML (rasa data convert)",
                                str(candidate),
                            )
                        )
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix not in DATA_SUFFIXES:
                reason = (
                    "Markdown data is not read since Rasa 3.0"
                    if suffix == ".md"
                    else "expected a .yml, .yaml or .json file"
                )
                problems.append(Problem(f"not a training data file: {reason}", str(path)))
            else:
                add(path)
        else:
            problems.append(Problem("training data path not found; check the path", str(path)))
    # Rasa reads data files in the order of their sorted absolute paths; merging depends
    # on it (the first duplicate example is kept, the last synonym definition wins).
    found.sort(key=lambda p: os.path.abspath(p))
    return found, problems


def load_training_data(
    paths: Sequence[str | os.PathLike[str]], project_dir: Path | None = None
) -> TrainingData:
    """Load and merge the NLU data, stories, rules and responses of the given data paths.

    `project_dir` is where relative lookup-table paths in JSON files are resolved first
    (Rasa resolves them against the directory it runs in). Raises ProjectError with every
    problem of every file.
    """
    files, problems = find_data_files(paths)
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    given_files = {Path(p).resolve() for p in paths if Path(p).is_file()}
    parts: list[_FileData] = []
    for path in files:
        part = collecting(errors, _read_file, path, project_dir, path.resolve() in given_files)
        if part is not None:
            parts.append(part)
    if errors:
        raise ProjectError(errors)
    return _merge(parts, warnings)


def _merge(parts: list[_FileData], warnings: list[Problem]) -> TrainingData:
    nlu = merge_nlu(p.nlu for p in parts if p.nlu is not None)
    responses: dict[str, RawResponse] = {}
    for part in parts:
        for response in part.responses:
            previous = responses.get(response.name)
            if previous is not None:
                part.warnings.append(
                    warning(
                        f"response '{response.name}' is also defined at {previous.file}:"
                        f"{previous.line}; this definition wins, as in Rasa",
                        response.file,
                        response.line,
                    )
                )
            responses[response.name] = response
    order = {part.file: index for index, part in enumerate(parts)}
    collected = list(warnings)
    for part in parts:
        collected.extend(part.warnings)
        collected.extend(part.stories.warnings)
    collected.extend(nlu.warnings)
    collected.sort(key=lambda p: (order.get(p.file or "", len(order)), p.line or 0))
    return TrainingData(
        nlu=nlu,
        stories=tuple(s for p in parts for s in p.stories.stories),
        rules=tuple(r for p in parts for r in p.stories.rules),
        responses=responses,
        files=tuple(p.file for p in parts if not p.skipped),
        warnings=tuple(collected),
    )


def _read_file(path: Path, project_dir: Path | None, explicit: bool) -> _FileData:
    """One data file. A file found in a directory that holds no training data is skipped
    with a warning; one named explicitly (`explicit`) is an error."""
    name = str(path)
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _read_json(name, text, project_dir, explicit)
    content = parse_yaml(text, name)
    if content is None:
        raise fail(
            "the file is empty; a training data file holds 'nlu:', 'stories:', 'rules:' "
            "or 'responses:'",
            name,
            1,
        )
    if not isinstance(content, YDict):
        raise fail(
            "the top level of a training data file must be a mapping with 'nlu:', "
            f"'stories:', 'rules:' or 'responses:', not {kind_of(content)}",
            name,
            getattr(content, "line", None) or 1,
        )
    data = _FileData(name)
    if not any(key in content for key in SECTION_KEYS):
        return _without_sections(data, content, explicit)
    _check_keys(data, content)
    if not _check_version(data, content):
        data.skipped = True
        return data
    errors: list[Problem] = []
    if "nlu" in content:
        data.nlu = collecting(errors, nlu_from_yaml, content["nlu"], name, content.line_of("nlu"))
    if "stories" in content or "rules" in content:
        data.stories = collecting(errors, stories_from_yaml, content, name) or StoryData()
    if "responses" in content:
        collecting(errors, _read_responses, data, content)
    if errors:
        raise ProjectError(errors)
    return data


def _read_json(name: str, text: str, project_dir: Path | None, explicit: bool) -> _FileData:
    content = parse_json(text, name)
    data = _FileData(name)
    if not explicit and not (isinstance(content, dict) and "rasa_nlu_data" in content):
        data.warnings.append(
            warning("not Rasa NLU data (no 'rasa_nlu_data' key); the file is skipped", name, 1)
        )
        data.skipped = True
        return data
    data.nlu = nlu_from_json(content, name, project_dir)
    return data


def _without_sections(data: _FileData, content: YDict, explicit: bool) -> _FileData:
    for key in content:
        if key not in DATA_KEYS and key not in DOMAIN_KEYS and suggest(str(key), SECTION_KEYS):
            raise fail(
                unknown_key(str(key), DATA_KEYS, "a training data file"),
                data.file,
                content.line_of(key),
                str(key),
            )
    message = "no training data here: expected 'nlu:', 'stories:', 'rules:' or 'responses:'"
    if explicit:
        raise fail(message, data.file, content.line or 1)
    data.warnings.append(warning(f"{message}; the file is skipped", data.file, content.line))
    data.skipped = True
    return data


def _check_keys(data: _FileData, content: YDict) -> None:
    domain_keys = [str(k) for k in content if k in DOMAIN_KEYS]
    if domain_keys:
        data.warnings.append(
            warning(
                f"{', '.join(domain_keys)}: domain keys are ignored in a training data file "
                "(only 'responses' is read here; the domain comes from the domain path)",
                data.file,
                content.line_of(domain_keys[0]),
            )
        )
    for key in content:
        if key not in DATA_KEYS and key not in DOMAIN_KEYS:
            raise fail(
                unknown_key(str(key), DATA_KEYS, "a training data file"),
                data.file,
                content.line_of(key),
                str(key),
            )


def _check_version(data: _FileData, content: YDict) -> bool:
    """Warn about unexpected format versions; False if the file must be skipped."""
    if "version" not in content:
        return True
    value = content["version"]
    line = content.line_of("version")
    if not isinstance(value, str):
        raise fail(
            f"'version' must be a string in quotes, like version: \"{LATEST_VERSION}\", "
            f"not {kind_of(value)}",
            data.file,
            line,
            "version",
        )
    version = value.strip().strip("\"'")
    if version in KNOWN_VERSIONS:
        return True
    try:
        newer = tuple(int(p) for p in version.split(".")) > (3, 1)
    except ValueError:
        newer = False
    if newer:
        data.warnings.append(
            warning(
                f"format version '{version}' is newer than {LATEST_VERSION}; Rasa 3.6 skips "
                f'such a file, and so does Stratus (write version: "{LATEST_VERSION}")',
                data.file,
                line,
                "version",
            )
        )
        return False
    data.warnings.append(
        warning(
            f"unknown format version '{version}' (expected one of {', '.join(KNOWN_VERSIONS)}); "
            f"the file is read as version {LATEST_VERSION}",
            data.file,
            line,
            "version",
        )
    )
    return True


def _read_responses(data: _FileData, content: YDict) -> None:
    value = content["responses"]
    line = content.line_of("responses")
    if value is None:
        data.warnings.append(warning("'responses' is empty", data.file, line, "responses"))
        return
    responses = expect_mapping(value, "'responses'", data.file, line)
    for name, variations in responses.items():
        if not isinstance(name, str):
            raise fail(
                f"a response name must be text, not {kind_of(name)}",
                data.file,
                responses.line_of(name),
            )
        data.responses.append(RawResponse(name, variations, data.file, responses.line_of(name)))
