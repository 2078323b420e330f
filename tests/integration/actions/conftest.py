"""Fixtures for the action tests: a real rasa_sdk action server per SDK version."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sdk_servers import BOT, SDK_VENVS, ActionServer, start_action_server

from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.shared.domain import Domain
from stratus.shared.project import ProjectPaths, load_project


@pytest.fixture(scope="module", params=sorted(SDK_VENVS))
def action_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ActionServer]:
    """A rasa_sdk action server (3.6 and current) serving the test bot's actions."""
    yield from start_action_server(request.param, tmp_path_factory)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Domain, PolicyEnsemble]:
    """The test bot's rules trained into a RulePolicy (no NLU: messages are
    `/intent{...}` payloads)."""
    from stratus_train.core import train_core_project

    project = load_project(ProjectPaths.discover(BOT))
    model = tmp_path_factory.mktemp("actions-bot")
    train_core_project(project, model, progress=lambda _: None)
    domain = project.training_domain()
    return domain, PolicyEnsemble.load(model / "core", domain)
