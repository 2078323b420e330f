"""The pieces under the channels: the outbound client's retries against a live fake,
credentials checks, the Lambda job path, and DynamoDB deduplication on moto server."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from fake_platforms import CREDENTIALS, ChannelApp, FakePlatform
from moto_lambda import create_moto_function

from stratus.channels import (
    ChannelDeliveryError,
    ChannelJobError,
    DynamoDeduplicator,
    LambdaSelfInvokeDispatcher,
    UrllibChannelClient,
    is_channel_job,
    run_channel_job,
)
from stratus.channels.dedup import dedup_key
from stratus.channels.telegram import SECRET_HEADER
from stratus.shared.exceptions import ConfigError
from stratus.stores import SQLiteTrackerStore

REGION = "us-east-1"
TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


# -- the outbound client ---------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(fake_slack: FakePlatform) -> None:
    waits: list[float] = []
    client = UrllibChannelClient(max_attempts=3, backoff_seconds=0.01, sleep=waits.append)
    fake_slack.fail_next(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    response = client.post_json(
        f"{fake_slack.url}/chat.postMessage",
        {"channel": "C"},
        {"Authorization": "Bearer xoxb-test-token"},
    )
    assert response.status == 200 and response.body["ok"] is True
    assert waits == [2.0]
    assert len(fake_slack.requests) == 2


def test_client_errors_are_not_retried(fake_facebook: FakePlatform) -> None:
    client = UrllibChannelClient(max_attempts=3, sleep=lambda _: None)
    response = client.post_json(f"{fake_facebook.url}/me/messages?access_token=bad", {})
    assert response.status == 400
    assert response.body["error"]["code"] == 190
    assert len(fake_facebook.requests) == 1


def test_persistent_5xx_gives_up_after_the_attempts(fake_slack: FakePlatform) -> None:
    client = UrllibChannelClient(max_attempts=3, backoff_seconds=0.0)
    fake_slack.fail_next(503, times=5)
    with pytest.raises(ChannelDeliveryError, match="status 503 after 3 attempt"):
        client.post_json(f"{fake_slack.url}/chat.postMessage", {})
    assert len(fake_slack.requests) == 3


def test_a_long_retry_after_fails_at_once(fake_slack: FakePlatform) -> None:
    client = UrllibChannelClient(max_retry_after_seconds=5, sleep=lambda _: None)
    fake_slack.fail_next(429, headers={"Retry-After": "120"})
    with pytest.raises(ChannelDeliveryError, match="retry after 120 s"):
        client.post_json(f"{fake_slack.url}/chat.postMessage", {})


def test_connection_refused_is_retried_then_fails(down_url: str) -> None:
    waits: list[float] = []
    client = UrllibChannelClient(max_attempts=2, backoff_seconds=0.01, sleep=waits.append)
    with pytest.raises(ChannelDeliveryError, match="connection failed"):
        client.post_json(f"{down_url}/bot123:secret/sendMessage", {})
    assert waits == [0.01]


# -- credentials -------------------------------------------------------------------------


def test_unknown_channels_and_missing_keys_are_config_errors(
    make_channel_app: Callable[..., ChannelApp],
) -> None:
    with pytest.raises(ConfigError, match=r"credentials.yml: error: socketio: channel 'socketio'"):
        make_channel_app(credentials={"socketio": {}})
    with pytest.raises(ConfigError, match="Did you mean 'slack'"):
        make_channel_app(credentials={"slak": {}})
    settings = {k: v for k, v in CREDENTIALS["slack"].items() if k != "slack_signing_secret"}
    with pytest.raises(ConfigError, match=r"slack\.slack_signing_secret"):
        make_channel_app(credentials={"slack": settings})
    with pytest.raises(ConfigError, match=r"telegram\.secret_token"):
        make_channel_app(credentials={"telegram": {**CREDENTIALS["telegram"], "secret_token": ""}})
    with pytest.raises(ConfigError, match=r"facebook\.page-access-token"):
        make_channel_app(credentials={"facebook": {"verify": "v", "secret": "s"}})


def test_only_the_named_channels_are_served(make_channel_app: Callable[..., ChannelApp]) -> None:
    app = make_channel_app(credentials={"telegram": CREDENTIALS["telegram"]})
    assert app.client.get("/webhooks/telegram/").status_code == 200
    assert app.client.get("/webhooks/slack/").status_code == 404
    assert app.client.get("/webhooks/rest/").status_code == 404
    rest_only = make_channel_app(credentials={})
    assert (
        rest_only.client.post("/webhooks/rest/webhook", json={"message": "/goodbye"}).json()[0][
            "text"
        ]
        == "Bye"
    )


# -- the Lambda job path -----------------------------------------------------------------


class RecordingDispatcher:
    """Stands for the Lambda self-invoke: keeps the jobs as JSON, runs nothing."""

    def __init__(self) -> None:
        self.jobs: list[str] = []

    def submit(self, job: dict[str, Any]) -> None:
        self.jobs.append(json.dumps(job))


def test_a_submitted_job_runs_where_the_door_hands_it_over(
    make_channel_app: Callable[..., ChannelApp],
    fake_telegram: FakePlatform,
    store: SQLiteTrackerStore,
) -> None:
    dispatcher = RecordingDispatcher()
    app = make_channel_app(dispatcher=dispatcher)
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "chat": {"id": 5}, "text": "/goodbye"},
    }
    secret = {SECRET_HEADER: CREDENTIALS["telegram"]["secret_token"]}
    assert (
        app.client.post("/webhooks/telegram/webhook", json=update, headers=secret).status_code
        == 200
    )
    assert store.load("5").events == []  # acknowledged, not yet processed
    [raw] = dispatcher.jobs
    event = json.loads(raw)
    assert is_channel_job(event) and event["channel"] == "telegram"
    run_channel_job(app.client.app.state.channels, event)
    assert [e["text"] for e in store.load("5").events if e["event"] == "bot"] == ["Bye"]
    assert fake_telegram.posted("/sendMessage")[0].body == {"chat_id": 5, "text": "Bye"}
    with pytest.raises(ChannelJobError, match="'channel' is 'sms'"):
        run_channel_job(app.client.app.state.channels, {"channel": "sms", "payload": {}})
    with pytest.raises(ChannelJobError, match="'sender_id'"):
        run_channel_job(app.client.app.state.channels, {"channel": "telegram", "payload": {}})


def test_lambda_self_invoke_queues_the_job(moto_endpoint: str) -> None:
    name = f"stratus-channels-{uuid.uuid4().hex[:8]}"
    create_moto_function(moto_endpoint, name, REGION)
    client = boto3.client("lambda", endpoint_url=moto_endpoint, region_name=REGION)
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.lambda.Invoke", lambda params, **_: sent.append(dict(params))
    )
    job = {"channel": "slack", "payload": {"x": 1}}
    # moto's Lambda without docker answers 202 without running code; the dispatcher
    # raises on any other status.
    LambdaSelfInvokeDispatcher(client, name).submit(job)
    [params] = sent
    assert params["FunctionName"] == name and params["InvocationType"] == "Event"
    assert is_channel_job(json.loads(params["Payload"])) and json.loads(params["Payload"]) == job


# -- DynamoDB deduplication --------------------------------------------------------------


def test_dynamo_deduplicator_on_the_template_table(moto_endpoint: str) -> None:
    from stratus.local.template import read_template, resource_properties
    from stratus.stores.dynamo import create_table

    table = f"trackers-{uuid.uuid4().hex[:8]}"
    properties = resource_properties(read_template(TEMPLATE), "TrackerTable")
    create_table(properties, table_name=table, region=REGION, host=moto_endpoint)
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)
    now = [time.time()]
    dedup = DynamoDeduplicator(client, table, ttl_seconds=60, clock=lambda: now[0])
    other_container = DynamoDeduplicator(client, table, ttl_seconds=60, clock=lambda: now[0])
    assert dedup.first_seen("slack", "C1:1.1") is True
    assert other_container.first_seen("slack", "C1:1.1") is False
    assert dedup.first_seen("telegram", "C1:1.1") is True
    item = client.get_item(
        TableName=table, Key={"pk": {"S": dedup_key("slack", "C1:1.1")}, "sk": {"N": "0"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int(now[0]) + 60
    now[0] += 61  # expired, though DynamoDB has not deleted it yet
    assert other_container.first_seen("slack", "C1:1.1") is True
