"""The S3 model store against moto: upload, verified download, cache, sha256
mismatch, `latest`, and switching/rolling back the version through SSM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from stratus.model.manifest import read_manifest, verify_files
from stratus.model.s3 import S3ModelStore, upload_model
from stratus.model.store import (
    ModelStoreError,
    resolve_version,
    rollback_version_parameter,
    set_version_parameter,
)
from stratus.shared.exceptions import IncompatibleModelError

MakeModel = Callable[..., Path]


def store(aws: boto3.session.Session, bucket: str, cache: Path) -> S3ModelStore:
    return S3ModelStore(f"s3://{bucket}/models/", aws.client("s3"), cache_dir=cache)


def test_upload_then_download_verifies_and_caches(
    aws: boto3.session.Session, model_bucket: str, make_model: MakeModel, tmp_path: Path
) -> None:
    model = make_model(
        "20261122-a", {"nlu/pipeline.json": "{}", "core/policy.onnx": "\x00bin", "domain.yml": "x"}
    )
    version = upload_model(model, f"s3://{model_bucket}/models")  # a client from the environment
    assert version == "20261122-a"
    s3 = aws.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=model_bucket)["Contents"])
    assert keys == [
        "models/20261122-a/core/policy.onnx",
        "models/20261122-a/domain.yml",
        "models/20261122-a/manifest.json",
        "models/20261122-a/nlu/pipeline.json",
        "models/LATEST",
    ]
    models = store(aws, model_bucket, tmp_path / "cache")
    local = models.fetch(version)
    assert local == tmp_path / "cache" / version
    assert verify_files(local, read_manifest(local)) == []
    assert (local / "core" / "policy.onnx").read_text() == "\x00bin"
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]

    # the verified copy is reused without S3
    for obj in s3.list_object_versions(Bucket=model_bucket).get("Versions", []):
        s3.delete_object(Bucket=model_bucket, Key=obj["Key"], VersionId=obj["VersionId"])
    assert models.fetch(version) == local


def test_a_file_that_does_not_match_the_manifest_is_refused_by_name(
    aws: boto3.session.Session, model_bucket: str, make_model: MakeModel, tmp_path: Path
) -> None:
    models = store(aws, model_bucket, tmp_path / "cache")
    version = models.upload(
        make_model("20261122-b", {"nlu/pipeline.json": "{}", "domain.yml": "good"})
    )
    aws.client("s3").put_object(
        Bucket=model_bucket, Key=f"models/{version}/domain.yml", Body=b"evil"
    )
    with pytest.raises(
        IncompatibleModelError, match=r"'domain.yml' of version '20261122-b'.*does not match"
    ):
        models.fetch(version)
    assert list((tmp_path / "cache").iterdir()) == []  # nothing half-verified is left to reuse


def test_latest_pointer_versions_and_immutability(
    aws: boto3.session.Session, model_bucket: str, make_model: MakeModel, tmp_path: Path
) -> None:
    models = store(aws, model_bucket, tmp_path / "cache")
    with pytest.raises(ModelStoreError, match="holds no model"):
        models.latest_version()
    first = models.upload(make_model("20261120-a"))
    second = models.upload(make_model("20261121-b"))
    assert models.versions() == [first, second]
    assert models.latest_version() == second
    assert read_manifest(models.fetch()).model_id == "id-20261121-b"
    models.set_latest(first)
    assert models.latest_version() == first
    assert models.upload(make_model("20261121-b"), set_latest=False) == second  # same model: no-op
    changed = make_model("20261121-b", {"nlu/pipeline.json": '{"other": 1}'})
    with pytest.raises(ModelStoreError, match="already holds a different model"):
        models.upload(changed)
    with pytest.raises(ModelStoreError, match=r"No model version 'nope'.*20261120-a, 20261121-b"):
        models.fetch("nope")


def test_ssm_parameter_switches_and_rolls_back_the_version(
    aws: boto3.session.Session,
    model_bucket: str,
    version_parameter: str,
    make_model: MakeModel,
    tmp_path: Path,
) -> None:
    models = store(aws, model_bucket, tmp_path / "cache")
    v1 = models.upload(make_model("20261120-v1"))
    v2 = models.upload(make_model("20261121-v2"), set_latest=False)
    ssm = aws.client("ssm")

    def served() -> str:
        version = resolve_version(models, parameter_name=version_parameter, ssm_client=ssm)
        return read_manifest(models.fetch(version)).model_id

    assert served() == "id-20261120-v1"  # the parameter says `latest`
    set_version_parameter(ssm, version_parameter, v2)
    assert served() == "id-20261121-v2"
    assert rollback_version_parameter(ssm, version_parameter) == "latest"
    set_version_parameter(ssm, version_parameter, v1)
    set_version_parameter(ssm, version_parameter, v2)
    assert rollback_version_parameter(ssm, version_parameter) == v1
    assert served() == "id-20261120-v1"
    # an explicit version (the door's environment) wins over the parameter
    assert (
        resolve_version(models, version=v2, parameter_name=version_parameter, ssm_client=ssm) == v2
    )
    with pytest.raises(ModelStoreError, match="Cannot read the model version parameter '/no/such'"):
        resolve_version(models, parameter_name="/no/such", ssm_client=ssm)
