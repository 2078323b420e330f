"""Which channels an app serves: credentials.yml's keys, checked and built in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from stratus.channels.base import CREDENTIALS_FILE, Channel, ChannelServices
from stratus.channels.client import ChannelClient, UrllibChannelClient
from stratus.channels.dedup import Deduplicator, InMemoryDeduplicator
from stratus.channels.dispatch import (
    AsyncDispatcher,
    InProcessDispatcher,
    ThreadDispatcher,
    run_channel_job,
)
from stratus.channels.facebook import FacebookChannel
from stratus.channels.slack import SlackChannel
from stratus.channels.telegram import TelegramChannel
from stratus.core.processor import MessageProcessor
from stratus.server.rest import rest_router
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, suggest

PLATFORM_CHANNELS: dict[str, type[SlackChannel | TelegramChannel | FacebookChannel]] = {
    "slack": SlackChannel,
    "telegram": TelegramChannel,
    "facebook": FacebookChannel,
}
SERVED_CHANNELS = frozenset({"rest", *PLATFORM_CHANNELS})


@dataclass(frozen=True)
class ChannelOptions:
    """How the platform channels reach out, chosen by the door (or a test).

    `api_urls` maps a channel name to its platform's base URL (default: the real
    ones); `client` posts to them (default: UrllibChannelClient); `deduplicator`
    remembers deliveries (default: in this process only).
    """

    api_urls: Mapping[str, str] = field(default_factory=dict)
    client: ChannelClient | None = None
    deduplicator: Deduplicator | None = None


def check_credentials(credentials: Mapping[str, Any]) -> None:
    """ConfigError for a channel this server cannot serve, naming credentials.yml."""
    for name, settings in credentials.items():
        if str(name) not in SERVED_CHANNELS:
            raise ConfigError(
                Problem(
                    f"channel '{name}' is not served by Stratus.{suggest(str(name), SERVED_CHANNELS)}"
                    f" Served channels: {', '.join(sorted(SERVED_CHANNELS))}.",
                    CREDENTIALS_FILE,
                    field=str(name),
                )
            )
        if settings is not None and not isinstance(settings, Mapping):
            raise ConfigError(
                Problem("channel settings must be a mapping", CREDENTIALS_FILE, field=str(name))
            )


def include_channels(
    app: FastAPI,
    processor: MessageProcessor,
    credentials: Mapping[str, Any] | None,
    *,
    dispatcher: AsyncDispatcher | None = None,
    options: ChannelOptions | None = None,
) -> dict[str, Channel]:
    """Add the routes of every channel credentials.yml names (REST alone without it).

    Returns the platform channels by name (also `app.state.channels`, with the
    dispatcher as `app.state.channel_dispatcher`): a Lambda door hands them to
    `run_channel_job`. An in-process dispatcher (the default ThreadDispatcher) is
    bound to them here.
    """
    credentials = credentials if credentials else {"rest": None}
    check_credentials(credentials)
    options = options or ChannelOptions()
    unknown_urls = sorted(set(options.api_urls) - set(PLATFORM_CHANNELS))
    if unknown_urls:
        raise ValueError(f"api_urls names no platform channel: {', '.join(unknown_urls)}")
    if "rest" in credentials:
        app.include_router(rest_router(processor))
    services = ChannelServices(
        processor,
        options.client or UrllibChannelClient(),
        options.deduplicator or InMemoryDeduplicator(),
    )
    channels: dict[str, Channel] = {}
    for name, cls in PLATFORM_CHANNELS.items():
        if name in credentials:
            settings = credentials[name] or {}
            url = options.api_urls.get(name)
            channels[name] = (
                cls(services, settings, api_url=url) if url else cls(services, settings)
            )
    if channels:
        dispatcher = dispatcher or ThreadDispatcher()
        if isinstance(dispatcher, InProcessDispatcher):
            dispatcher.bind(lambda job: run_channel_job(channels, job))
        services.dispatcher = dispatcher
        for channel in channels.values():
            app.include_router(channel.router())
    app.state.channels = channels
    app.state.channel_dispatcher = dispatcher
    return channels
