"""The messaging-platform channels (Slack, Telegram, Facebook Messenger) and what they
share: the outbound client, delivery deduplication and asynchronous job dispatch.

    channels = include_channels(app, processor, credentials, dispatcher=dispatcher)
    run_channel_job(channels, {"channel": "slack", "payload": {...}})  # in the job's run
"""

from __future__ import annotations

from stratus.channels.base import Channel, ChannelServices, InboundMessage
from stratus.channels.client import (
    ChannelClient,
    ChannelDeliveryError,
    PlatformResponse,
    UrllibChannelClient,
)
from stratus.channels.dedup import Deduplicator, DynamoDeduplicator, InMemoryDeduplicator
from stratus.channels.dispatch import (
    AsyncDispatcher,
    ChannelJobError,
    LambdaSelfInvokeDispatcher,
    ThreadDispatcher,
    is_channel_job,
    run_channel_job,
)
from stratus.channels.registry import ChannelOptions, check_credentials, include_channels

__all__ = [
    "AsyncDispatcher",
    "Channel",
    "ChannelClient",
    "ChannelDeliveryError",
    "ChannelJobError",
    "ChannelOptions",
    "ChannelServices",
    "Deduplicator",
    "DynamoDeduplicator",
    "InMemoryDeduplicator",
    "InboundMessage",
    "LambdaSelfInvokeDispatcher",
    "PlatformResponse",
    "ThreadDispatcher",
    "UrllibChannelClient",
    "check_credentials",
    "include_channels",
    "is_channel_job",
    "run_channel_job",
]
