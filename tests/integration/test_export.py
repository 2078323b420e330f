"""`stratus export` (Rasa's `rasa export`): the stored conversations, every session,
published to the configured event broker, on the embedded SQLite store and file broker
and on DynamoDB and Kinesis at a moto server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from stratus.cli.main import main
from stratus.cli.run import TRACKER_DB
from stratus.stores import SQLiteTrackerStore

REPO = Path(__file__).resolve().parents[2]


def events(sender: str, start: float) -> list[dict]:
    return [
        {"event": "action", "timestamp": start, "name": "action_session_start"},
        {"event": "session_started", "timestamp": start + 1},
        {"event": "action", "timestamp": start + 2, "name": "action_listen"},
        {"event": "user", "timestamp": start + 3, "text": f"hi from {sender}",
         "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}},
        {"event": "bot", "timestamp": start + 4, "text": "Hey!"},
        # a second session: exported too, as Rasa exports the full tracker
        {"event": "action", "timestamp": start + 100, "name": "action_session_start"},
        {"event": "session_started", "timestamp": start + 101},
    ]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    store = SQLiteTrackerStore(tmp_path / TRACKER_DB)
    store.append("alice", events("alice", 1000.0), 0)
    store.append("bob", events("bob", 2000.0), 0)
    store.close()
    out = tmp_path / "exported.jsonl"
    (tmp_path / "endpoints.yml").write_text(f"event_broker:\n  type: file\n  path: {out}\n")
    return tmp_path


def published(project: Path) -> list[dict]:
    return [json.loads(line) for line in (project / "exported.jsonl").read_text().splitlines()]


def test_every_event_of_every_conversation_is_published_with_its_sender(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--project", str(project)]) == 0
    assert "Done! Published 14 events." in capsys.readouterr().out
    sent = published(project)
    assert [e["sender_id"] for e in sent] == ["alice"] * 7 + ["bob"] * 7
    assert sent[3] == {**events("alice", 1000.0)[3], "sender_id": "alice"}


def test_ids_time_window_and_offset(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "--project", str(project), "--conversation-ids", "bob,carol"]
    argv += ["--minimum-timestamp", "2002", "--maximum-timestamp", "2100"]
    assert main([*argv, "--offset-timestamps-by-seconds", "-60"]) == 0
    sent = published(project)
    # [2002, 2100): 2002, 2003, 2004; shifted by a minute; carol is not stored
    assert [(e["sender_id"], e["timestamp"]) for e in sent] == [
        ("bob", 1942.0), ("bob", 1943.0), ("bob", 1944.0),
    ]  # fmt: skip
    assert "offset by -0:01:00" in capsys.readouterr().out


def test_bad_requests_are_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "--project", str(project)]
    assert main([*argv, "--minimum-timestamp", "5", "--maximum-timestamp", "4"]) == 1
    assert "Maximum timestamp '4.0' is smaller than minimum timestamp '5.0'" in (
        capsys.readouterr().err
    )
    assert main([*argv, "--conversation-ids", "nobody"]) == 1
    assert "Could not find an overlap" in capsys.readouterr().err
    (project / "endpoints.yml").write_text("")
    assert main(argv) == 1
    assert "Could not find an `event_broker` section" in capsys.readouterr().err


def test_dynamodb_conversations_to_kinesis_on_the_local_stack(
    moto_endpoint: str, tmp_path: Path
) -> None:
    from stratus.local.stack import create_local_stack
    from stratus.stores.dynamo import DynamoTrackerStore

    stack = create_local_stack(moto_endpoint, REPO / "template.yaml")
    store = DynamoTrackerStore(stack.tracker_table, region=stack.region, host=moto_endpoint)
    store.append("dana", events("dana", 3000.0), 0)
    (tmp_path / "endpoints.yml").write_text("")
    # In its own process: --aws-endpoint points the whole process's AWS clients at moto.
    command = [sys.executable, "-m", "stratus.cli.main", "export", "--project", str(tmp_path)]
    command += ["--aws-endpoint", moto_endpoint, "--template", str(REPO / "template.yaml")]
    command += ["--conversation-ids", "dana"]  # the shared moto table holds other tests' too
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Done! Published 7 events." in done.stdout

    kinesis = boto3.client("kinesis", endpoint_url=moto_endpoint, region_name=stack.region)
    shard = kinesis.describe_stream(StreamName=stack.event_stream)["StreamDescription"]
    records = []
    for s in shard["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stack.event_stream, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += kinesis.get_records(ShardIterator=iterator)["Records"]
    sent = [json.loads(r["Data"]) for r in records]
    dana = [e for e in sent if e["sender_id"] == "dana"]
    assert [e["timestamp"] for e in dana] == [e["timestamp"] for e in events("dana", 3000.0)]
