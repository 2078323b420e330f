"""Finding and loading a Rasa project: domain, config, data, tests, endpoints, credentials."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from stratus.shared.config import ProjectConfig, load_config
from stratus.shared.domain import Domain, Response, load_domain, responses_from_yaml
from stratus.shared.endpoints import AvailableEndpoints, load_credentials, load_endpoints
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem
from stratus.shared.training_data.files import TrainingData, load_training_data
from stratus.shared.training_data.stories import BotStep, Rule, Story
from stratus.shared.yaml_io import YDict

T = TypeVar("T")


@dataclass(frozen=True)
class ProjectPaths:
    """Where each part of a project lives (Rasa's CLI defaults, overridable)."""

    root: Path
    domain: Path | None
    config: Path | None
    data: tuple[Path, ...]
    tests: tuple[Path, ...]
    endpoints: Path | None
    credentials: Path | None

    @classmethod
    def discover(
        cls,
        project: str | Path = ".",
        domain: str | Path | None = None,
        config: str | Path | None = None,
        data: Sequence[str | Path] | None = None,
        tests: Sequence[str | Path] | None = None,
        endpoints: str | Path | None = None,
        credentials: str | Path | None = None,
    ) -> ProjectPaths:
        """Resolve the paths as `rasa` does: explicit options win, else the project defaults."""
        root = Path(project)
        if not root.is_dir():
            raise ProjectError(Problem("project directory not found; check --project", str(root)))

        def pick(given: str | Path | None, *defaults: str) -> Path | None:
            if given is not None:
                return Path(given)
            for name in defaults:
                if (root / name).exists():
                    return root / name
            return None

        data_paths = (
            tuple(Path(p) for p in data)
            if data
            else tuple(p for p in (root / "data",) if p.exists())
        )
        test_paths = (
            tuple(Path(p) for p in tests)
            if tests
            else tuple(p for p in (root / "tests",) if p.exists())
        )
        return cls(
            root=root,
            domain=pick(domain, "domain.yml", "domain.yaml", "domain"),
            config=pick(config, "config.yml", "config.yaml"),
            data=data_paths,
            tests=test_paths,
            endpoints=pick(endpoints, "endpoints.yml", "endpoints.yaml"),
            credentials=pick(credentials, "credentials.yml", "credentials.yaml"),
        )


@dataclass
class ProblemCollector:
    """Runs loaders and keeps every problem instead of stopping at the first file."""

    problems: list[Problem] = field(default_factory=list)

    def run(self, load: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return load(*args, **kwargs)
        except ProjectError as e:
            self.problems.extend(e.problems)
            return None

    def add(self, problems: Sequence[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def load_settings(
    paths: ProjectPaths, collector: ProblemCollector
) -> tuple[ProjectConfig | None, AvailableEndpoints | None, dict[str, dict[str, Any]] | None]:
    """config.yml, endpoints.yml and credentials.yml, problems going to the collector."""
    config = collector.run(load_config, paths.config)
    if config is not None:
        collector.add(config.warnings)
    endpoints = collector.run(load_endpoints, paths.endpoints)
    if endpoints is not None:
        collector.add(endpoints.warnings)
    credentials = collector.run(load_credentials, paths.credentials)
    return config, endpoints, credentials


@dataclass(frozen=True)
class Project:
    """Everything a Rasa project holds, loaded and merged."""

    paths: ProjectPaths
    domain: Domain
    config: ProjectConfig
    data: TrainingData
    endpoints: AvailableEndpoints
    credentials: dict[str, dict[str, Any]]
    warnings: tuple[Problem, ...] = ()

    def training_domain(self) -> Domain:
        """The domain as training sees it: plus retrieval intents and end-to-end bot texts."""
        retrieval = {e.intent for e in self.data.nlu.examples if e.intent and e.response_key}
        stories: list[Story | Rule] = [*self.data.stories, *self.data.rules]
        bot_texts = [
            step.text for story in stories for step in story.steps if isinstance(step, BotStep)
        ]
        return self.domain.with_retrieval_intents(retrieval).with_action_texts(bot_texts)


def data_responses(data: TrainingData) -> tuple[tuple[Response, ...], tuple[Problem, ...]]:
    """Read the `responses:` found in data files into domain responses."""
    if not data.responses:
        return (), ()
    responses: list[Response] = []
    warnings: list[Problem] = []
    problems: list[Problem] = []
    for raw in data.responses.values():
        node = YDict({raw.name: raw.value})
        node.line = raw.line
        if raw.line is not None:
            node.key_lines[raw.name] = raw.line
        try:
            found, notes = responses_from_yaml(node, raw.file)
        except ProjectError as e:
            problems.extend(e.problems)
            continue
        responses.extend(found)
        warnings.extend(notes)
    if problems:
        raise ProjectError(problems)
    return tuple(responses), tuple(warnings)


def load_project(paths: ProjectPaths, collector: ProblemCollector | None = None) -> Project:
    """Load every part of a project; all problems of all files are raised together."""
    collector = collector or ProblemCollector()
    config, endpoints, credentials = load_settings(paths, collector)
    domain: Domain | None = None
    if paths.domain is None:
        collector.add(
            [
                Problem(
                    "no domain found; add domain.yml or pass --domain",
                    str(paths.root / "domain.yml"),
                )
            ]
        )
    else:
        domain = collector.run(load_domain, paths.domain)
    if domain is not None:
        collector.add(domain.warnings)
    data = collector.run(load_training_data, list(paths.data), paths.root)
    if data is not None:
        collector.add(data.warnings)
        extra = collector.run(data_responses, data)
        if extra is not None and domain is not None:
            responses, notes = extra
            collector.add(notes)
            domain = domain.with_responses(responses)
            collector.add([w for w in domain.warnings if w not in collector.problems])
    if collector.errors or domain is None or data is None or config is None:
        raise ProjectError(collector.problems)
    return Project(
        paths=paths,
        domain=domain,
        config=config,
        data=data,
        endpoints=endpoints or AvailableEndpoints(),
        credentials=credentials or {},
        warnings=tuple(collector.warnings),
    )
