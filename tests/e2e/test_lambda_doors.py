"""Whole conversations through the Lambda doors of functions/, as API Gateway invokes
them (HTTP API v2 and REST v1 events), against the template's resources on a moto
server: the model from S3 (version from SSM), trackers in DynamoDB, events to Kinesis
and to EventBridge (read back through an SQS target), custom actions through the local
Lambda invoker, and Slack through its webhook, the self-invoked job and a fake Slack."""

from __future__ import annotations

import base64
import json
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from fake_platforms import FakePlatform, facebook_responder, slack_responder, telegram_responder
from lambda_events import http_api_event, json_body, rest_api_event
from moto_lambda import create_moto_function

from stratus.channels.facebook import sign as facebook_sign
from stratus.channels.slack import sign
from stratus.local.stack import LocalStack
from stratus.model.s3 import upload_model
from stratus.model.selection import ModelSelector
from stratus.stores.dynamo import DynamoTrackerStore

pytestmark = pytest.mark.slow

WEBHOOK = "/webhooks/rest/webhook"


def texts(messages: list[dict[str, Any]]) -> str:
    return " | ".join(m.get("text") or "" for m in messages)


def stored_events(stack: LocalStack, sender: str) -> list[dict[str, Any]]:
    store = DynamoTrackerStore(stack.tracker_table, region=stack.region, host=stack.endpoint_url)
    return store.load_all(sender).events


def kinesis_events(stack: LocalStack, sender: str) -> list[dict[str, Any]]:
    kinesis = boto3.client("kinesis", endpoint_url=stack.endpoint_url)
    found: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stack.event_stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stack.event_stream,
            ShardId=shard["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
        for record in records:
            event = json.loads(record["Data"])
            if event["sender_id"] == sender:
                assert record["PartitionKey"] == sender
                found.append(event)
    return found


@pytest.fixture
def bus_queue(stack: LocalStack) -> str:
    """An SQS queue receiving every event published on the template's bus."""
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    events = boto3.client("events", endpoint_url=stack.endpoint_url)
    name = f"bus-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=name, EventBusName=stack.event_bus, EventPattern=json.dumps({"source": ["stratus"]})
    )
    events.put_targets(Rule=name, EventBusName=stack.event_bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def bus_events(stack: LocalStack, queue_url: str, sender: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            envelope = json.loads(message["Body"])
            if envelope["detail"]["sender_id"] == sender:
                found.append(envelope)


def test_rest_door_books_a_table_over_both_api_gateway_shapes(
    load_door: LoadDoor, stack: LocalStack, bus_queue: str
) -> None:
    door = load_door("rest")
    sender = f"guest-{uuid.uuid4().hex[:8]}"
    turns = [
        (http_api_event, "/greet"),
        (rest_api_event, '/ask_weather{"city": "Lisbon"}'),
        (http_api_event, "/request_restaurant"),
        (rest_api_event, '/inform{"cuisine": "italian"}'),
        (http_api_event, '/inform{"number": "4"}'),
        (rest_api_event, '/inform{"time": "7:30 pm"}'),
    ]
    replies = []
    for make_event, text in turns:
        answer = door(make_event("POST", WEBHOOK, {"sender": sender, "message": text}))
        assert answer["statusCode"] == 200, answer
        replies.append(texts(json_body(answer)))
    # The weather and the booking come from the example bot's custom actions, run
    # through the local Lambda invoker with Rasa's action-server payload.
    assert "Lisbon" in replies[1]
    assert "4" in replies[5]
    events = stored_events(stack, sender)
    actions = [e["name"] for e in events if e["event"] == "action"]
    assert "action_weather" in actions and actions.count("restaurant_form") >= 3
    assert "action_submit_booking" in actions
    filled = {(e["name"], str(e["value"])) for e in events if e["event"] == "slot"}
    assert {("cuisine", "italian"), ("party_size", "4.0")} <= filled
    # Every stored event was published, once, in order, tagged with the model version.
    streamed = kinesis_events(stack, sender)
    assert [e["event"] for e in streamed] == [e["event"] for e in events]
    version = boto3.client("ssm", endpoint_url=stack.endpoint_url).get_parameter(
        Name=stack.model_version_parameter
    )["Parameter"]["Value"]
    assert {e["metadata"]["model_id"] for e in streamed} == {version}
    on_bus = bus_events(stack, bus_queue, sender)
    assert sorted(e["detail-type"] for e in on_bus) == sorted(e["event"] for e in events)


def test_rest_door_rejects_bad_input_and_loses_nothing(
    load_door: LoadDoor, stack: LocalStack
) -> None:
    door = load_door("rest")
    sender = f"careful-{uuid.uuid4().hex[:8]}"
    ok = door(http_api_event("POST", WEBHOOK, {"sender": sender, "message": "/greet"}))
    assert ok["statusCode"] == 200
    before = stored_events(stack, sender)
    malformed = door(http_api_event("POST", WEBHOOK, b'{"sender": '))
    assert malformed["statusCode"] == 400
    assert json_body(malformed)["details"]["errors"][0]["field"] == "body"
    too_big = {"sender": sender, "message": "x" * (1024 * 1024 + 1)}
    assert door(http_api_event("POST", WEBHOOK, too_big))["statusCode"] == 413
    assert stored_events(stack, sender) == before


def test_api_door_needs_its_token_and_serves_the_stored_conversation(
    load_door: LoadDoor, stack: LocalStack
) -> None:
    secrets = boto3.client("secretsmanager", endpoint_url=stack.endpoint_url)
    arn = secrets.create_secret(Name=f"api-{uuid.uuid4().hex[:8]}", SecretString="t0ken")["ARN"]
    rest = load_door("rest")
    api = load_door("api", STRATUS_AUTH_TOKEN_SECRET=arn)
    sender = f"api-{uuid.uuid4().hex[:8]}"
    rest(http_api_event("POST", WEBHOOK, {"sender": sender, "message": "/greet"}))
    path = f"/conversations/{sender}/tracker"
    assert api(http_api_event("GET", path))["statusCode"] == 401
    answer = api(http_api_event("GET", path, query={"token": "t0ken"}))
    assert answer["statusCode"] == 200
    assert json_body(answer)["latest_action_name"] == "action_listen"
    missing = api(http_api_event("GET", "/conversations/nobody/tracker", query={"token": "t0ken"}))
    assert missing["statusCode"] == 404
    parsed = api(
        rest_api_event("POST", "/model/parse", {"text": "hello there"}, query={"token": "t0ken"})
    )
    assert json_body(parsed)["intent"]["name"] == "greet"


def slack_event(body: dict[str, Any], secret: str, **headers: str) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    signed = {
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": sign(secret, stamp, raw),
        **headers,
    }
    return http_api_event("POST", "/webhooks/slack/webhook", raw, headers=signed)


LoadDoor = Callable[..., Any]
Door = Callable[[dict[str, Any]], dict[str, Any]]


def channel_door(
    load_door: LoadDoor, stack: LocalStack, channel: str, credentials: dict[str, Any], api: str
) -> tuple[Door, list[dict[str, Any]]]:
    """A platform channel's door with its secret in Secrets Manager, its platform at
    `api`, and the asynchronous self-invocations it makes (sent to moto) recorded."""
    function = f"stratus-e2e-{channel}-{uuid.uuid4().hex[:8]}"
    create_moto_function(stack.endpoint_url, function)
    secrets = boto3.client("secretsmanager", endpoint_url=stack.endpoint_url)
    arn = secrets.create_secret(Name=function, SecretString=json.dumps(credentials))["ARN"]
    door = load_door(
        channel,
        STRATUS_CHANNEL_SECRET=arn,
        STRATUS_CHANNEL_API_URL=api,
        AWS_LAMBDA_FUNCTION_NAME=function,
    )
    invoked: list[dict[str, Any]] = []
    dispatcher = door.module.door.service.app.state.channel_dispatcher
    dispatcher.lambda_client.meta.events.register(
        "provide-client-params.lambda.Invoke", lambda params, **_: invoked.append(params)
    )
    return door, invoked


def run_queued_job(door: Door, invoked: list[dict[str, Any]]) -> None:
    """What Lambda does with the queued asynchronous invocation: runs the same function."""
    params = invoked.pop(0)
    assert params["InvocationType"] == "Event"
    assert door(json.loads(params["Payload"])) == {"status": "done"}


def test_slack_door_acknowledges_then_answers_from_its_own_async_invocation(
    load_door: LoadDoor, stack: LocalStack
) -> None:
    fake_slack = FakePlatform(slack_responder("xoxb-e2e"))
    try:
        credentials = {"slack_token": "xoxb-e2e", "slack_signing_secret": "sign-e2e"}
        door, invoked = channel_door(load_door, stack, "slack", credentials, fake_slack.url)
        user = f"U{uuid.uuid4().hex[:6].upper()}"
        message = {
            "type": "event_callback",
            "event_id": f"Ev{user}",
            "authorizations": [{"user_id": "UBOT", "is_bot": True}],
            "event": {
                "type": "message",
                "user": user,
                "text": "/greet",
                "channel": "C1",
                "ts": f"{time.time():.6f}",
            },
        }
        # A bad signature is refused and nothing runs.
        assert door(slack_event(message, "not-the-secret"))["statusCode"] == 401
        assert invoked == []
        assert door(slack_event(message, "sign-e2e"))["statusCode"] == 200
        assert len(invoked) == 1
        assert fake_slack.posted("chat.postMessage") == []  # nothing sent before the job runs
        # Slack retries the same delivery: acknowledged, not queued again.
        retry_headers = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_error"}
        assert door(slack_event(message, "sign-e2e", **retry_headers))["statusCode"] == 200
        assert len(invoked) == 1
        run_queued_job(door, invoked)
        [posted] = fake_slack.posted("chat.postMessage")
        assert posted.body["channel"] == "C1" and posted.body["text"]
        events = stored_events(stack, user)
        assert [e["text"] for e in events if e["event"] == "user"] == ["/greet"]
    finally:
        fake_slack.close()


def test_telegram_door_over_rest_api_events(load_door: LoadDoor, stack: LocalStack) -> None:
    token = "123456:e2e"
    fake = FakePlatform(telegram_responder(token))
    try:
        credentials = {
            "access_token": token,
            "verify": "stratus_e2e_bot",
            "webhook_url": "https://bot.example.com/webhooks/telegram/webhook",
            "secret_token": "tg-secret",
        }
        door, invoked = channel_door(load_door, stack, "telegram", credentials, fake.url)
        chat = int(time.time() * 1000) % 1_000_000_000
        update = {
            "update_id": chat,
            "message": {
                "message_id": 1,
                "from": {"id": 7, "is_bot": False, "first_name": "Ada"},
                "chat": {"id": chat, "type": "private"},
                "date": 1700000000,
                "text": "/request_restaurant",
            },
        }
        path = "/webhooks/telegram/webhook"
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert door(rest_api_event("POST", path, update, headers=wrong))["statusCode"] == 401
        right = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}
        assert door(rest_api_event("POST", path, update, headers=right))["statusCode"] == 200
        assert door(rest_api_event("POST", path, update, headers=right))["statusCode"] == 200
        assert len(invoked) == 1  # the repeated update_id is not queued again
        run_queued_job(door, invoked)
        [sent] = fake.posted("/sendMessage")
        assert sent.body["chat_id"] == chat and sent.body["text"]
        actions = [e["name"] for e in stored_events(stack, str(chat)) if e["event"] == "action"]
        assert "restaurant_form" in actions
    finally:
        fake.close()


def test_facebook_door_verifies_and_answers(load_door: LoadDoor, stack: LocalStack) -> None:
    fake = FakePlatform(facebook_responder("page-e2e"))
    try:
        credentials = {
            "verify": "fb-verify",
            "secret": "fb-secret",
            "page-access-token": "page-e2e",
        }
        door, invoked = channel_door(load_door, stack, "facebook", credentials, fake.url)
        path = "/webhooks/facebook/webhook"
        challenge = {
            "hub.mode": "subscribe",
            "hub.verify_token": "fb-verify",
            "hub.challenge": "77",
        }
        answer = door(http_api_event("GET", path, query=challenge))
        assert answer["statusCode"] == 200 and answer["body"] == "77"
        psid = f"PSID{uuid.uuid4().hex[:8]}"
        body = {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": "PAGE"},
                            "timestamp": 1700000000000,
                            "message": {"mid": f"m-{psid}", "text": "/greet"},
                        }
                    ],
                }
            ],
        }
        raw = json.dumps(body).encode()
        forged = {"x-hub-signature-256": facebook_sign("not-the-secret", raw)}
        assert door(http_api_event("POST", path, raw, headers=forged))["statusCode"] == 401
        signed = {"x-hub-signature-256": facebook_sign("fb-secret", raw)}
        assert door(http_api_event("POST", path, raw, headers=signed))["statusCode"] == 200
        run_queued_job(door, invoked)
        [sent] = fake.posted("/me/messages")
        assert sent.body["recipient"] == {"id": psid}
        assert [e["text"] for e in stored_events(stack, psid) if e["event"] == "user"] == ["/greet"]
    finally:
        fake.close()


def test_stream_consumer_turns_kinesis_records_into_metrics(
    load_door: LoadDoor, stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = load_door("rest")
    sender = f"metrics-{uuid.uuid4().hex[:8]}"
    rest(http_api_event("POST", WEBHOOK, {"sender": sender, "message": "/greet"}))
    records = [
        {
            "kinesis": {
                "data": base64.b64encode(json.dumps(event).encode()).decode(),
                "sequenceNumber": str(index + 1),
                "partitionKey": sender,
            },
            "eventSource": "aws:kinesis",
        }
        for index, event in enumerate(kinesis_events(stack, sender))
    ]
    records.append({"kinesis": {"data": "bm90IGpzb24=", "sequenceNumber": "999"}})
    consumer = load_door("stream_consumer")
    capsys.readouterr()
    answer = consumer({"Records": records})
    assert answer == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    metrics = {m["Name"] for doc in emitted for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Messages", "ConversationsStarted"} <= metrics
    assert any(doc.get("Messages") in (1, [1.0]) for doc in emitted)


def test_an_ab_split_in_ssm_serves_each_conversation_one_version(
    load_door: LoadDoor, stack: LocalStack, restaurant_project: Path, tmp_path: Path
) -> None:
    ssm = boto3.client("ssm", endpoint_url=stack.endpoint_url)
    primary = ssm.get_parameter(Name=stack.model_version_parameter)["Parameter"]["Value"]
    # The candidate: the same model uploaded as a second version.
    candidate_dir = tmp_path / f"{primary}-b"
    shutil.copytree(restaurant_project / "models" / primary, candidate_dir)
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
    url = f"s3://{stack.model_bucket}/{stack.model_prefix}"
    candidate = upload_model(candidate_dir, url, client=s3, set_latest=False)
    split = f"{primary},{candidate}=50"
    ssm.put_parameter(Name=stack.model_version_parameter, Value=split, Overwrite=True)
    try:
        door = load_door("rest")
        selector = ModelSelector.parse(split)
        senders = [f"ab-{n}" for n in range(12)]  # fixed: both versions get some
        for _ in range(2):
            for sender in senders:
                answer = door(
                    http_api_event("POST", WEBHOOK, {"sender": sender, "message": "/greet"})
                )
                assert answer["statusCode"] == 200
        served = {}
        for sender in senders:
            versions = {e["metadata"]["model_id"] for e in kinesis_events(stack, sender)}
            assert versions == {selector.choose(sender)}  # one version for its whole life
            served[sender] = versions.pop()
        assert set(served.values()) == {primary, candidate}
    finally:
        ssm.put_parameter(Name=stack.model_version_parameter, Value=primary, Overwrite=True)


def test_reminders_become_schedules_that_fire_through_the_reminders_door(
    load_door: LoadDoor, stack: LocalStack
) -> None:
    scheduler = boto3.client("scheduler", endpoint_url=stack.endpoint_url)
    group = f"reminders-{uuid.uuid4().hex[:8]}"
    scheduler.create_schedule_group(Name=group)
    secrets = boto3.client("secretsmanager", endpoint_url=stack.endpoint_url)
    token_arn = secrets.create_secret(Name=group, SecretString="t0ken")["ARN"]
    env = {
        "STRATUS_REMINDER_GROUP": group,
        "STRATUS_REMINDER_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:rem",
        "STRATUS_REMINDER_ROLE_ARN": "arn:aws:iam::123456789012:role/stratus-scheduler",
    }
    api = load_door("api", STRATUS_AUTH_TOKEN_SECRET=token_arn, **env)
    sender = f"remind-{uuid.uuid4().hex[:8]}"
    later = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3600))

    def append(event: dict[str, Any]) -> None:
        path = f"/conversations/{sender}/tracker/events"
        answer = api(http_api_event("POST", path, event, query={"token": "t0ken"}))
        assert answer["statusCode"] == 200, answer

    reminder = {"event": "reminder", "intent": "greet", "date_time": later, "name": "nudge"}
    append({**reminder, "kill_on_user_msg": False})
    append({**reminder, "name": "dropped", "kill_on_user_msg": False})
    append({"event": "cancel_reminder", "name": "dropped"})
    [listed] = scheduler.list_schedules(GroupName=group)["Schedules"]
    schedule = scheduler.get_schedule(Name=listed["Name"], GroupName=group)
    assert schedule["ScheduleExpression"].startswith("at(")
    assert schedule["Target"]["Arn"] == env["STRATUS_REMINDER_FUNCTION_ARN"]
    # EventBridge Scheduler invokes the reminders function with the schedule's input.
    reminders = load_door("reminders", **env)
    assert reminders(json.loads(schedule["Target"]["Input"])) == {"status": "fired"}
    events = stored_events(stack, sender)
    fired = [e for e in events if e["event"] == "user"]
    assert [e["parse_data"]["intent"]["name"] for e in fired] == ["greet"]
    assert any(e["event"] == "bot" for e in events[events.index(fired[0]) :])
