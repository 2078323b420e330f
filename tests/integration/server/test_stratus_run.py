"""`stratus run` serves the model over real HTTP on loopback, with its embedded defaults."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"stratus run exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("stratus run did not answer in time")


def test_stratus_run_serves_the_rest_channel_and_the_api(project: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "stratus.cli.main", "run", "--project", str(project)]
    command += ["-i", "127.0.0.1", "-p", str(port), "--enable-api", "--auth-token", "tok"]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(base + "/", server, log)
        status, messages = request(
            base + "/webhooks/rest/webhook", {"sender": "u", "message": "hi"}
        )
        assert status == 200
        assert messages[0]["recipient_id"] == "u"
        assert messages[0]["text"] == "Hey! How are you?"

        status, body = request(base + "/conversations/u/tracker")
        assert (status, body["reason"]) == (401, "NotAuthenticated")
        status, tracker = request(base + "/conversations/u/tracker?token=tok")
        assert status == 200
        assert [e["text"] for e in tracker["events"] if e["event"] == "bot"] == [
            "Hey! How are you?"
        ]
        assert (project / ".stratus" / "trackers.db").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode is not None


def test_stratus_run_against_the_template_stack_on_moto(
    project: Path, tmp_path: Path, moto_endpoint: str
) -> None:
    import boto3

    from stratus.stores.dynamo import DynamoTrackerStore

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "stratus.cli.main", "run", "--project", str(project)]
    command += ["-i", "127.0.0.1", "-p", str(port), "--aws-endpoint", moto_endpoint]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(base + "/", server, log)
        status, messages = request(
            base + "/webhooks/rest/webhook", {"sender": "aws-user", "message": "hi"}
        )
        assert status == 200 and messages[0]["text"] == "Hey! How are you?"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # The conversation is in the template's table and its events went to the stream,
    # both created on the moto server from template.yaml.
    store = DynamoTrackerStore("stratus-local-trackers", region="us-east-1", host=moto_endpoint)
    events = store.load_all("aws-user").events
    assert [e["text"] for e in events if e["event"] == "bot"] == ["Hey! How are you?"]
    kinesis = boto3.client("kinesis", endpoint_url=moto_endpoint)
    published = []
    for shard in kinesis.list_shards(StreamName="stratus-local-events")["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName="stratus-local-events",
            ShardId=shard["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        published += [json.loads(r["Data"]) for r in records]
    assert [e["event"] for e in published if e["sender_id"] == "aws-user"] == [
        e["event"] for e in events
    ]
