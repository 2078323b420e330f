"""`stratus train --out s3://bucket/prefix` trains and uploads a version, which a door
then downloads, loads and talks with; its published events name the version."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pytest
from moodbot import TEST_MOODBOT

from stratus.agent import Agent
from stratus.brokers import FileEventBroker
from stratus.brokers.file import read_events_file
from stratus.cli.main import main
from stratus.core.processor import UserMessage
from stratus.model.s3 import S3ModelStore
from stratus.stores import SQLiteTrackerStore

pytestmark = pytest.mark.slow


def test_train_out_s3_uploads_a_version_that_serves(
    aws: boto3.session.Session,
    model_bucket: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "moodbot"
    shutil.copytree(TEST_MOODBOT, project)
    url = f"s3://{model_bucket}/bots/mood"
    assert main(["train", "--project", str(project), "--out", url]) == 0
    out = capsys.readouterr().out
    models = S3ModelStore(url, aws.client("s3"), cache_dir=tmp_path / "cache")
    (version,) = models.versions()
    assert f"uploaded to '{url}/{version}'" in out
    assert models.latest_version() == version
    assert not (project / "models").exists()  # nothing was written locally

    agent = Agent.load(models.fetch())
    events_file = tmp_path / "events.jsonl"
    processor = agent.processor(
        SQLiteTrackerStore(tmp_path / "t.db"),
        event_broker=FileEventBroker(events_file),
        model_id=version,
    )
    result = processor.handle_message(UserMessage("/greet", sender_id="gina"))
    assert result.messages  # the downloaded model answers
    published = read_events_file(events_file)
    assert [e["event"] for e in published] == [e.as_dict()["event"] for e in result.events]
    assert {e["metadata"]["model_id"] for e in published} == {version}
