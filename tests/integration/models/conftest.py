"""The model bucket and version parameter on the moto server, made from template.yaml
(ModelBucket, ModelVersionParameter), and small model directories with manifests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stratus.local.template import read_template, resource_properties
from stratus.model.manifest import write_manifest

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return read_template(TEMPLATE)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """A boto3 session whose clients (and any the code under test makes) reach moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def model_bucket(aws: boto3.session.Session, template: dict[str, Any]) -> str:
    props = resource_properties(template, "ModelBucket")
    name = f"models-{uuid.uuid4().hex[:12]}"
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=name)
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration=dict(props["VersioningConfiguration"])
        )
    return name


@pytest.fixture
def version_parameter(aws: boto3.session.Session, template: dict[str, Any]) -> str:
    props = resource_properties(template, "ModelVersionParameter")
    name = f"/stratus/test-{uuid.uuid4().hex[:8]}/model-version"
    aws.client("ssm").put_parameter(Name=name, Type=props.get("Type", "String"), Value="latest")
    return name


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., Path]:
    """`make_model(name, files={...})`: a model directory with those files and a manifest."""

    def make(name: str, files: dict[str, str] | None = None) -> Path:
        model_dir = tmp_path / "trained" / name
        for rel, text in (files or {"nlu/pipeline.json": f'{{"model": "{name}"}}'}).items():
            (model_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (model_dir / rel).write_text(text)
        write_manifest(
            model_dir,
            stratus_version="0.1.0",
            rasa_compatible_version="3.6.21",
            model_id=f"id-{name}",
            trained_at="2026-11-22T04:40:00+00:00",
            assistant_id="test",
            config={},
            parts=["nlu"],
            fingerprints={"nlu": "0" * 64},
        )
        return model_dir

    return make
