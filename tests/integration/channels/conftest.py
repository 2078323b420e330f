"""A trained moodbot with a Slack-specific response, fake platform APIs on loopback,
and apps serving the channels against them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_platforms import (
    CREDENTIALS,
    FACEBOOK_TOKEN,
    SLACK_TOKEN,
    TELEGRAM_TOKEN,
    ChannelApp,
    FakePlatform,
    closed_port_url,
    facebook_responder,
    slack_responder,
    telegram_responder,
)
from fastapi.testclient import TestClient
from moodbot import copy_test_moodbot

from stratus.agent import Agent
from stratus.channels import ChannelOptions, ThreadDispatcher, UrllibChannelClient
from stratus.server import create_app
from stratus.stores import SQLiteTrackerStore

# A channel-specific variation: Slack conversations must get it, the others must not.
SLACK_VARIATION = """
  utter_happy:
  - text: "Great, carry on!"
  - text: "Great, carry on! (from Slack)"
    channel: slack
"""


@pytest.fixture(scope="session")
def channel_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The moodbot with a Slack variation of utter_happy, trained once per run (~10 s):
    the server tests' model has no channel variations to choose from."""
    from stratus_train.train import train

    root = tmp_path_factory.mktemp("moodbot-channels")
    copy_test_moodbot(root, epochs=60)
    domain = (root / "domain.yml").read_text()
    default = '\n  utter_happy:\n  - text: "Great, carry on!"\n'
    assert default in domain
    (root / "domain.yml").write_text(domain.replace(default, SLACK_VARIATION))
    train(root, out=root / "models", progress=lambda _: None)
    return root


@pytest.fixture(scope="session")
def channel_agent(channel_project: Path) -> Agent:
    return Agent.load(channel_project / "models")


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(tmp_path / "trackers.db")


@pytest.fixture
def fake_slack() -> Iterator[FakePlatform]:
    fake = FakePlatform(slack_responder(SLACK_TOKEN))
    yield fake
    fake.close()


@pytest.fixture
def fake_telegram() -> Iterator[FakePlatform]:
    fake = FakePlatform(telegram_responder(TELEGRAM_TOKEN))
    yield fake
    fake.close()


@pytest.fixture
def fake_facebook() -> Iterator[FakePlatform]:
    fake = FakePlatform(facebook_responder(FACEBOOK_TOKEN))
    yield fake
    fake.close()


@pytest.fixture
def down_url() -> str:
    """A platform URL where nothing listens."""
    return closed_port_url()


MakeChannelApp = Callable[..., ChannelApp]


@pytest.fixture
def make_channel_app(
    channel_agent: Agent,
    store: SQLiteTrackerStore,
    fake_slack: FakePlatform,
    fake_telegram: FakePlatform,
    fake_facebook: FakePlatform,
) -> MakeChannelApp:
    """`make(api_urls=..., credentials=..., **create_app kwargs)`: an app whose channels
    talk to the fakes (or to `api_urls` given), with fast retries."""

    def make(
        *,
        api_urls: dict[str, str] | None = None,
        credentials: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ChannelApp:
        urls = {
            "slack": fake_slack.url,
            "telegram": fake_telegram.url,
            "facebook": fake_facebook.url,
        }
        urls.update(api_urls or {})
        dispatcher = kwargs.pop("dispatcher", None) or ThreadDispatcher(workers=1)
        client = UrllibChannelClient(timeout_seconds=5, max_attempts=3, backoff_seconds=0.01)
        app = create_app(
            channel_agent,
            store,
            credentials=credentials if credentials is not None else CREDENTIALS,
            dispatcher=dispatcher,
            channel_options=ChannelOptions(api_urls=urls, client=client),
            **kwargs,
        )
        return ChannelApp(TestClient(app, raise_server_exceptions=False), dispatcher)

    return make


@pytest.fixture
def channel_app(make_channel_app: MakeChannelApp) -> ChannelApp:
    return make_channel_app()


@pytest.fixture
def credentials() -> dict[str, dict[str, Any]]:
    """The credentials the apps are made with (a copy to edit)."""
    return {name: dict(settings) for name, settings in CREDENTIALS.items()}
