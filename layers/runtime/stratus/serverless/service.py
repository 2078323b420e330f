"""Assembling a deployed function from its settings: model, store, actions, streams, app.

A door calls `build_service(settings, ...)` once, at container init, and keeps the
result for every invocation: the model is loaded once, the boto3 clients are made once.

    settings = ServiceSettings.from_environ(os.environ)
    service = build_service(settings, channels=("slack",), enable_api=False)
    service.app             # the FastAPI app, for Mangum
    service.run_job(event)  # a channel job the function sent itself (Slack's async turn)
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI

from stratus.agent import Agent
from stratus.brokers import EventBroker, broker_for
from stratus.channels import ChannelOptions
from stratus.channels.dedup import DynamoDeduplicator
from stratus.channels.dispatch import LambdaSelfInvokeDispatcher, run_channel_job
from stratus.core.actions.client import ActionClient
from stratus.core.actions.clients import action_client_for
from stratus.core.processor import MessageProcessor, TurnResult
from stratus.model.selection import ModelSelector
from stratus.model.store import LATEST
from stratus.serverless.observability import MetricsSink, TimedActionClient, record_turn
from stratus.serverless.reminders import EventBridgeReminderScheduler, reminder_from_event
from stratus.serverless.settings import ServiceSettings
from stratus.serverless.split import SplitProcessor
from stratus.shared.endpoints import AvailableEndpoints, EndpointConfig
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem
from stratus.stores.base import TrackerStore

logger = logging.getLogger(__name__)

ENVIRONMENT = "environment"


@dataclass
class Service:
    """What one function serves, built once per container."""

    settings: ServiceSettings
    selector: ModelSelector
    agents: dict[str, Agent]  # by model version
    store: TrackerStore
    app: FastAPI
    event_broker: EventBroker | None
    processor: MessageProcessor

    def run_job(self, job: Mapping[str, Any]) -> None:
        """Runs a channel job (the turn a platform webhook acknowledged earlier)."""
        run_channel_job(self.app.state.channels, job)

    def fire_reminder(self, event: dict[str, Any]) -> TurnResult:
        """Runs a reminder whose schedule fired (the input `reminder_input` made). Its
        replies are recorded in the conversation, as Rasa's REST channel does."""
        sender_id, reminder = reminder_from_event(event)
        return self.processor.handle_reminder(sender_id, reminder)


def aws_client(service_name: str, settings: ServiceSettings) -> Any:
    """A boto3 client of the process's session; AWS_ENDPOINT_URL (moto locally) is
    honoured by boto3 itself."""
    from stratus.aws_session import CLIENT_LOCK, boto3_session

    session = boto3_session()
    with CLIENT_LOCK:
        return session.client(service_name, region_name=settings.region)


def load_agents(settings: ServiceSettings) -> tuple[ModelSelector, dict[str, Agent]]:
    """The models to serve by version, and which conversation gets which: a local folder,
    or S3 (a version, the SSM parameter's, or the newest upload), each downloaded once
    into the cache and verified. Two versions when an A/B split is configured (the
    candidate variables, or an SSM value of the form `primary,candidate=percent`)."""
    if settings.model_dir:
        agent = Agent.load(settings.model_dir, duckling_url=settings.duckling_url)
        return ModelSelector(agent.manifest.model_id), {agent.manifest.model_id: agent}
    selector, folders = fetch_models(settings)
    # The S3 and SSM clients are garbage now: free them (botocore's objects hold
    # reference cycles) before the models take their place.
    gc.collect()
    agents: dict[str, Agent] = {}
    for version, folder in folders.items():
        started = time.perf_counter()
        agents[version] = Agent.load(folder, duckling_url=settings.duckling_url)
        logger.info(
            "Loaded model version %s in %.0f ms.", version, (time.perf_counter() - started) * 1000
        )
    return selector, agents


def fetch_models(settings: ServiceSettings) -> tuple[ModelSelector, dict[str, Path]]:
    """The versions to serve and their verified local copies, downloaded from S3 once.
    Its boto3 session is its own, so the S3 and SSM service models botocore loads
    (about 20 MB) are freed with it, not kept for the container's life."""
    import boto3

    from stratus.model.s3 import S3ModelStore
    from stratus.model.store import version_from_parameter

    session = boto3.session.Session(region_name=settings.region)
    store = S3ModelStore(
        f"s3://{settings.model_bucket}/{settings.model_prefix}",
        session.client("s3"),
        cache_dir=Path(settings.model_cache),
    )
    # The SSM parameter is what switching and rollback change: it wins.
    if settings.model_version_parameter:
        value = version_from_parameter(session.client("ssm"), settings.model_version_parameter)
    else:
        value = settings.model_version
    selector = ModelSelector.parse(value, field="model version")
    if selector.candidate is None and settings.candidate_version:
        selector = ModelSelector(
            selector.primary, settings.candidate_version, round(settings.candidate_percent)
        )
    selector = ModelSelector(
        _concrete(store, selector.primary),
        _concrete(store, selector.candidate) if selector.candidate else None,
        selector.percent,
    )
    return selector, {version: store.fetch(version) for version in selector.versions}


def _concrete(store: Any, version: str) -> str:
    """`latest` becomes the newest uploaded version."""
    return str(store.latest_version()) if version.lower() == LATEST else version


def tracker_store(settings: ServiceSettings) -> TrackerStore:
    """DynamoDB when a table is configured, else SQLite in /tmp (one container's memory)."""
    if settings.tracker_table:
        from stratus.stores.dynamo import DynamoTrackerStore

        host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
        return DynamoTrackerStore(
            settings.tracker_table,
            region=settings.region or "us-east-1",
            host=host or None,
            ttl_seconds=settings.tracker_ttl_seconds,
        )
    from stratus.stores import SQLiteTrackerStore

    logger.warning(
        "STRATUS_TRACKER_TABLE is not set: conversations live in %s and are lost with "
        "this container.",
        settings.sqlite_path,
    )
    return SQLiteTrackerStore(Path(settings.sqlite_path))


def endpoints_for(settings: ServiceSettings) -> AvailableEndpoints:
    """The endpoints.yml a deployed function has, made from its environment."""
    action = None
    if settings.action_function:
        action = EndpointConfig(type="lambda", kwargs={"function": settings.action_function})
    elif settings.action_url:
        action = EndpointConfig(url=settings.action_url)
    broker = None
    if settings.event_stream or settings.event_bus:
        options: dict[str, Any] = {}
        if settings.event_stream:
            options["stream_name"] = settings.event_stream
        if settings.event_bus:
            options["event_bus_name"] = settings.event_bus
        if settings.event_dlq_url:
            options["dead_letter_queue_url"] = settings.event_dlq_url
        broker = EndpointConfig(type="aws", kwargs=options)
    return AvailableEndpoints(action=action, event_broker=broker, file=ENVIRONMENT)


def secret_value(settings: ServiceSettings, secret_id: str) -> str:
    """A Secrets Manager secret's string, read once at init."""
    answer = aws_client("secretsmanager", settings).get_secret_value(SecretId=secret_id)
    return str(answer.get("SecretString") or "")


def channel_credentials(settings: ServiceSettings, channels: Sequence[str]) -> dict[str, Any]:
    """credentials.yml for the served channels; a platform channel's section is the JSON
    object in its secret (the keys of Rasa's credentials.yml)."""
    credentials: dict[str, Any] = {}
    for name in channels:
        if name == "rest":
            credentials[name] = None
            continue
        if not settings.channel_secret:
            raise ConfigError(
                Problem(
                    f"the {name} channel needs its credentials: set STRATUS_CHANNEL_SECRET to "
                    "a Secrets Manager secret holding them as JSON",
                    ENVIRONMENT,
                    field="STRATUS_CHANNEL_SECRET",
                )
            )
        raw = secret_value(settings, settings.channel_secret)
        try:
            section = json.loads(raw)
        except ValueError:
            section = None
        if not isinstance(section, dict):
            raise ConfigError(
                Problem(
                    f"secret '{settings.channel_secret}' must hold a JSON object with the "
                    f"{name} keys of credentials.yml",
                    ENVIRONMENT,
                    field="STRATUS_CHANNEL_SECRET",
                )
            )
        credentials[name] = section
    return credentials


def build_service(
    settings: ServiceSettings,
    *,
    channels: Sequence[str] = ("rest",),
    enable_api: bool = False,
    metrics: MetricsSink | None = None,
    on_turn_start: Callable[[str], None] | None = None,
    channel_options: ChannelOptions | None = None,
    action_client: ActionClient | None = None,
) -> Service:
    """Everything a function needs, from its settings. `metrics` receives the turn and
    action metrics; `on_turn_start(conversation_id)` lets the door tag its logs."""
    from stratus.server import create_app

    selector, agents = load_agents(settings)
    primary = agents[selector.versions[0]]
    store = tracker_store(settings)
    endpoints = endpoints_for(settings)
    if action_client is None:
        local = None
        if settings.action_handler and settings.action_function:
            local = {settings.action_function: settings.action_handler}
        action_client = action_client_for(endpoints.action, local_handlers=local, file=ENVIRONMENT)
    if action_client is not None and metrics is not None:
        action_client = TimedActionClient(action_client, metrics)
    broker = broker_for(endpoints.event_broker, file=ENVIRONMENT)
    auth_token = jwt_secret = None
    if settings.auth_token_secret:
        auth_token = secret_value(settings, settings.auth_token_secret)
    if settings.jwt_secret_arn:
        jwt_secret = secret_value(settings, settings.jwt_secret_arn)
    platform = [name for name in channels if name != "rest"]
    dispatcher = None
    if platform and settings.async_function:
        dispatcher = LambdaSelfInvokeDispatcher(
            aws_client("lambda", settings), settings.async_function
        )
    options = channel_options or ChannelOptions()
    if platform and settings.channel_api_url and not options.api_urls:
        options = replace(options, api_urls={name: settings.channel_api_url for name in platform})
    if platform and settings.tracker_table and options.deduplicator is None:
        # Platforms retry to any container: deliveries are remembered in the table.
        deduplicator = DynamoDeduplicator(aws_client("dynamodb", settings), settings.tracker_table)
        options = replace(options, deduplicator=deduplicator)

    scheduler = None
    if settings.reminder_group and settings.reminder_function_arn and settings.reminder_role_arn:
        scheduler = EventBridgeReminderScheduler(
            aws_client("scheduler", settings),
            group=settings.reminder_group,
            target_arn=settings.reminder_function_arn,
            role_arn=settings.reminder_role_arn,
        )

    def observe(result: TurnResult, seconds: float) -> None:
        if metrics is not None:
            record_turn(metrics, result, seconds)

    processors = {
        version: agent.processor(
            store,
            endpoints,
            action_client=action_client,
            event_broker=broker,
            model_id=version,
            on_turn=observe,
            on_turn_start=on_turn_start,
            scheduler=scheduler,
        )
        for version, agent in agents.items()
    }
    processor = processors[selector.versions[0]]
    if len(processors) > 1:
        # SplitProcessor answers every call the app makes of a MessageProcessor.
        processor = cast(MessageProcessor, SplitProcessor(selector, processors))
    app = create_app(
        primary,
        store,
        endpoints=endpoints,
        credentials=channel_credentials(settings, channels),
        enable_api=enable_api,
        auth_token=auth_token,
        jwt_secret=jwt_secret,
        dispatcher=dispatcher,
        channel_options=options,
        processor=processor,
    )
    return Service(settings, selector, agents, store, app, broker, processor)
