"""The local stack is template.yaml's data resources, created on a moto server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from stratus.local.stack import LocalStack, create_local_stack
from stratus.local.template import read_template, resource_properties
from stratus.shared.exceptions import ProjectError

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
REGION = "us-east-1"


def _stage() -> str:
    # Tests share one moto server: a stage of their own keeps their resources apart.
    return f"t{uuid.uuid4().hex[:10]}"


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


@pytest.fixture(scope="module")
def stack(moto_endpoint: str) -> LocalStack:
    return create_local_stack(moto_endpoint, TEMPLATE, _stage())


def test_the_tracker_table_has_the_templates_keys_index_and_ttl(
    stack: LocalStack, moto_endpoint: str
) -> None:
    properties = resource_properties(read_template(TEMPLATE), "TrackerTable")
    dynamodb = _client("dynamodb", moto_endpoint)
    table = dynamodb.describe_table(TableName=stack.tracker_table)["Table"]
    assert table["KeySchema"] == properties["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        properties["AttributeDefinitions"], key=str
    )
    (index,) = table["GlobalSecondaryIndexes"]
    (expected,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == expected["IndexName"]
    assert index["KeySchema"] == expected["KeySchema"]
    assert index["Projection"] == expected["Projection"]
    assert table["BillingModeSummary"]["BillingMode"] == properties["BillingMode"]
    ttl = dynamodb.describe_time_to_live(TableName=stack.tracker_table)
    assert ttl["TimeToLiveDescription"] == {
        "AttributeName": properties["TimeToLiveSpecification"]["AttributeName"],
        "TimeToLiveStatus": "ENABLED",
    }


def test_the_model_bucket_is_versioned_encrypted_and_private(
    stack: LocalStack, moto_endpoint: str
) -> None:
    s3 = _client("s3", moto_endpoint)
    assert s3.get_bucket_versioning(Bucket=stack.model_bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=stack.model_bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=stack.model_bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())
    # a second upload of one key keeps the first: a rollback target
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=stack.model_bucket, Key="models/m/manifest.json", Body=body)
    versions = s3.list_object_versions(Bucket=stack.model_bucket)["Versions"]
    assert len(versions) == 2


def test_the_event_stream_bus_and_queue_follow_the_template(
    stack: LocalStack, moto_endpoint: str
) -> None:
    template = read_template(TEMPLATE)
    kinesis = _client("kinesis", moto_endpoint)
    summary = kinesis.describe_stream_summary(StreamName=stack.event_stream)[
        "StreamDescriptionSummary"
    ]
    assert (
        summary["StreamModeDetails"]
        == resource_properties(template, "EventStream")["StreamModeDetails"]
    )
    assert summary["EncryptionType"] == "KMS"
    assert summary["StreamARN"] == stack.event_stream_arn
    kinesis.put_record(StreamName=stack.event_stream, Data=b"{}", PartitionKey="c1")

    events = _client("events", moto_endpoint)
    # the bus name is the template's own !Sub stratus-${Stage}-events
    assert stack.event_bus == f"stratus-{stack.stage}-events"
    assert events.describe_event_bus(Name=stack.event_bus)["Arn"] == stack.event_bus_arn

    queue = resource_properties(template, "EventDeadLetterQueue")
    sqs = _client("sqs", moto_endpoint)
    attributes = sqs.get_queue_attributes(QueueUrl=stack.event_dlq_url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["MessageRetentionPeriod"] == str(queue["MessageRetentionPeriod"])
    assert attributes["VisibilityTimeout"] == str(queue["VisibilityTimeout"])
    assert attributes["QueueArn"] == stack.event_dlq_arn


def test_the_model_version_parameter_starts_at_the_templates_default(
    stack: LocalStack, moto_endpoint: str
) -> None:
    template = read_template(TEMPLATE)
    ssm = _client("ssm", moto_endpoint)
    assert stack.model_version_parameter == f"/stratus/{stack.stage}/model-version"
    value = ssm.get_parameter(Name=stack.model_version_parameter)["Parameter"]["Value"]
    assert value == stack.model_version == template["Parameters"]["ModelVersion"]["Default"]
    assert stack.environment()["STRATUS_MODEL_VERSION_PARAMETER"] == stack.model_version_parameter
    assert stack.environment()["AWS_ENDPOINT_URL"] == moto_endpoint


def test_a_second_call_reuses_the_stack_and_keeps_its_data(moto_endpoint: str) -> None:
    stage = _stage()
    first = create_local_stack(moto_endpoint, TEMPLATE, stage)
    dynamodb = _client("dynamodb", moto_endpoint)
    dynamodb.put_item(TableName=first.tracker_table, Item={"pk": {"S": "c1"}, "sk": {"N": "1"}})
    _client("ssm", moto_endpoint).put_parameter(
        Name=first.model_version_parameter, Value="v7", Type="String", Overwrite=True
    )
    second = create_local_stack(moto_endpoint, TEMPLATE, stage)
    assert second == LocalStack(**{**first.__dict__, "model_version": "v7"})
    item = dynamodb.get_item(
        TableName=first.tracker_table, Key={"pk": {"S": "c1"}, "sk": {"N": "1"}}
    )
    assert "Item" in item
    queues = _client("sqs", moto_endpoint).list_queues(QueueNamePrefix=f"stratus-{stage}")
    assert queues["QueueUrls"] == [first.event_dlq_url]


def test_properties_come_from_the_template_given(moto_endpoint: str, tmp_path: Path) -> None:
    # Change the template: the local stack follows, so it cannot drift from a deploy.
    template = read_template(TEMPLATE)  # long-form intrinsics: plain YAML again
    resources = template["Resources"]
    resources["EventDeadLetterQueue"]["Properties"]["VisibilityTimeout"] = 45
    resources["EventStream"]["Properties"]["RetentionPeriodHours"] = 48
    resources["ModelBucket"]["Properties"]["VersioningConfiguration"]["Status"] = "Suspended"
    resources["EventBus"]["Properties"]["Name"] = {"Fn::Sub": "bus-${Stage}"}
    changed = tmp_path / "template.yaml"
    changed.write_text(yaml.safe_dump(template), encoding="utf-8")

    stack = create_local_stack(moto_endpoint, changed, _stage())
    attributes = _client("sqs", moto_endpoint).get_queue_attributes(
        QueueUrl=stack.event_dlq_url, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    summary = _client("kinesis", moto_endpoint).describe_stream_summary(
        StreamName=stack.event_stream
    )["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    versioning = _client("s3", moto_endpoint).get_bucket_versioning(Bucket=stack.model_bucket)
    assert versioning["Status"] == "Suspended"
    assert stack.event_bus == f"bus-{stack.stage}"


def test_a_template_without_a_resource_names_it(moto_endpoint: str, tmp_path: Path) -> None:
    template = read_template(TEMPLATE)
    del template["Resources"]["EventStream"]
    broken = tmp_path / "template.yaml"
    broken.write_text(yaml.safe_dump(template), encoding="utf-8")
    with pytest.raises(ProjectError, match="no resource 'EventStream'"):
        create_local_stack(moto_endpoint, broken, _stage())
