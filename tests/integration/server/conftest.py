"""A small trained moodbot, and apps serving it over an SQLite tracker store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from moodbot import copy_test_moodbot

from stratus.agent import Agent
from stratus.server import create_app
from stratus.stores import SQLiteTrackerStore

# A reply with a blank line (the REST channel splits it) and a slot to set by event.
EXTRA_DOMAIN = """
slots:
  name:
    type: text
    influence_conversation: false
    mappings:
    - type: custom
"""


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A moodbot project with a trained model in `models/` (trained once per run)."""
    from stratus_train.train import train

    root = tmp_path_factory.mktemp("moodbot-server")
    copy_test_moodbot(root, epochs=60)
    domain = (root / "domain.yml").read_text()
    domain = domain.replace('- text: "Bye"', '- text: "Bye\\n\\nSee you soon"')
    (root / "domain.yml").write_text(domain + EXTRA_DOMAIN)
    train(root, out=root / "models", progress=lambda _: None)
    return root


@pytest.fixture(scope="session")
def agent(project: Path) -> Agent:
    return Agent.load(project / "models")


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(tmp_path / "trackers.db")


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(agent: Agent, store: SQLiteTrackerStore) -> MakeClient:
    """A TestClient over a fresh app; keyword arguments go to `create_app`."""

    def make(**kwargs: Any) -> TestClient:
        kwargs.setdefault("store", store)
        return TestClient(create_app(agent, **kwargs), raise_server_exceptions=False)

    return make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """REST channel and HTTP API, no auth."""
    return make_client(enable_api=True)
