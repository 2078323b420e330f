"""The local AWS stack: template.yaml's data resources, created at a local endpoint.

`create_local_stack` reads the template and creates, at an AWS-compatible endpoint (moto
server), the tracker table, the model bucket, the event stream, the event bus, the
dead-letter queue and the model-version parameter, each from its resource's Properties,
so the local and the deployed stack cannot drift. Names are derived from the stage, and
a second call reuses what exists, so a door can call it at every start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.local.template import read_template, resource_properties
from stratus.shared.exceptions import StratusError

DEFAULT_REGION = "us-east-1"

# Logical ids in template.yaml.
TABLE_ID = "TrackerTable"
BUCKET_ID = "ModelBucket"
STREAM_ID = "EventStream"
BUS_ID = "EventBus"
QUEUE_ID = "EventDeadLetterQueue"
PARAMETER_ID = "ModelVersionParameter"

# SQS attributes CloudFormation sets from properties of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
)


class LocalStackError(StratusError):
    """The local endpoint refused to create a resource of the template."""


@dataclass(frozen=True)
class LocalStack:
    """Names and addresses of the local resources, what a door configures itself with."""

    endpoint_url: str
    region: str
    stage: str
    tracker_table: str
    model_bucket: str
    model_prefix: str
    model_version: str
    model_version_parameter: str
    event_stream: str
    event_stream_arn: str
    event_bus: str
    event_bus_arn: str
    event_dlq_url: str
    event_dlq_arn: str

    def environment(self) -> dict[str, str]:
        """The variables template.yaml gives the functions, pointed at this stack."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "STRATUS_MODEL_BUCKET": self.model_bucket,
            "STRATUS_MODEL_PREFIX": self.model_prefix,
            "STRATUS_MODEL_VERSION": self.model_version,
            "STRATUS_MODEL_VERSION_PARAMETER": self.model_version_parameter,
            "STRATUS_TRACKER_TABLE": self.tracker_table,
            "STRATUS_EVENT_STREAM": self.event_stream,
            "STRATUS_EVENT_BUS": self.event_bus,
            "STRATUS_EVENT_DLQ_URL": self.event_dlq_url,
        }


def create_local_stack(
    endpoint_url: str,
    template_path: Path,
    stage: str = "local",
    *,
    region: str = DEFAULT_REGION,
) -> LocalStack:
    """Create (or reuse) the template's data resources at `endpoint_url`."""
    import boto3  # lazily: only the local stack needs it here

    template = read_template(template_path)
    parameters = _parameter_values(template, stage)
    session = boto3.session.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    table = _create_table(template, f"stratus-{stage}-trackers", region, endpoint_url)
    bucket = _create_bucket(client("s3"), template, f"stratus-{stage}-models", region)
    stream, stream_arn = _create_stream(client("kinesis"), template, f"stratus-{stage}-events")
    bus_name = _resolve(resource_properties(template, BUS_ID).get("Name"), parameters)
    bus, bus_arn = _create_bus(client("events"), bus_name or f"stratus-{stage}-events")
    queue_url, queue_arn = _create_queue(client("sqs"), template, f"stratus-{stage}-event-dlq")
    parameter_name, version = _create_parameter(client("ssm"), template, parameters)
    return LocalStack(
        endpoint_url=endpoint_url,
        region=region,
        stage=stage,
        tracker_table=table,
        model_bucket=bucket,
        model_prefix=parameters.get("ModelPrefix", ""),
        model_version=version,
        model_version_parameter=parameter_name,
        event_stream=stream,
        event_stream_arn=stream_arn,
        event_bus=bus,
        event_bus_arn=bus_arn,
        event_dlq_url=queue_url,
        event_dlq_arn=queue_arn,
    )


def _parameter_values(template: Mapping[str, Any], stage: str) -> dict[str, str]:
    """The template's parameter defaults, with Stage set to the local stage."""
    values = {
        name: str(spec.get("Default", ""))
        for name, spec in (template.get("Parameters") or {}).items()
    }
    values["Stage"] = stage
    return values


def _resolve(value: Any, parameters: Mapping[str, str]) -> str | None:
    """A literal, a Ref to a parameter or a Fn::Sub of parameters, as a string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text: str = value["Fn::Sub"]
        for name, parameter in parameters.items():
            text = text.replace("${" + name + "}", parameter)
        if "${" not in text:
            return text
    raise LocalStackError(f"template.yaml: cannot resolve {value!r} for a local stack")


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _create_table(template: Mapping[str, Any], name: str, region: str, endpoint_url: str) -> str:
    from stratus.stores.dynamo.table import check_table_properties, create_table

    properties = resource_properties(dict(template), TABLE_ID)
    check_table_properties(properties)
    try:
        create_table(properties, table_name=name, region=region, host=endpoint_url)
    except Exception as error:
        if _error_code(error) != "ResourceInUseException":
            raise LocalStackError(f"cannot create the tracker table {name}: {error}") from error
    return name


def _create_bucket(s3: Any, template: Mapping[str, Any], name: str, region: str) -> str:
    properties = resource_properties(dict(template), BUCKET_ID)
    request: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**request)
    except Exception as error:
        if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise LocalStackError(f"cannot create the model bucket {name}: {error}") from error
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
        )
    encryption = properties.get("BucketEncryption")
    if encryption:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                    for rule in encryption["ServerSideEncryptionConfiguration"]
                ]
            },
        )
    public_access = properties.get("PublicAccessBlockConfiguration")
    if public_access:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(public_access))
    return name


def _create_stream(kinesis: Any, template: Mapping[str, Any], name: str) -> tuple[str, str]:
    properties = resource_properties(dict(template), STREAM_ID)
    mode = (properties.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    request: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        request["ShardCount"] = int(properties.get("ShardCount", 1))
    try:
        kinesis.create_stream(**request)
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
        )
    except Exception as error:
        if _error_code(error) != "ResourceInUseException":
            raise LocalStackError(f"cannot create the event stream {name}: {error}") from error
    description = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    encryption = properties.get("StreamEncryption")
    if encryption and description.get("EncryptionType", "NONE") == "NONE":
        kinesis.start_stream_encryption(
            StreamName=name,
            EncryptionType=encryption["EncryptionType"],
            KeyId=encryption["KeyId"],
        )
    hours = int(properties.get("RetentionPeriodHours", 24))
    if hours > int(description.get("RetentionPeriodHours", 24)):
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=hours)
    return name, str(description["StreamARN"])


def _create_bus(events: Any, name: str) -> tuple[str, str]:
    try:
        arn = events.create_event_bus(Name=name)["EventBusArn"]
    except Exception as error:
        if _error_code(error) != "ResourceAlreadyExistsException":
            raise LocalStackError(f"cannot create the event bus {name}: {error}") from error
        arn = events.describe_event_bus(Name=name)["Arn"]
    return name, str(arn)


def _create_queue(sqs: Any, template: Mapping[str, Any], name: str) -> tuple[str, str]:
    properties = resource_properties(dict(template), QUEUE_ID)
    attributes = {
        key: str(properties[key]).lower()
        if isinstance(properties[key], bool)
        else str(properties[key])
        for key in _QUEUE_ATTRIBUTES
        if key in properties
    }
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except Exception as error:
        raise LocalStackError(f"cannot create the dead-letter queue {name}: {error}") from error
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(url), str(arn["QueueArn"])


def _create_parameter(
    ssm: Any, template: Mapping[str, Any], parameters: Mapping[str, str]
) -> tuple[str, str]:
    """The parameter with the template's initial value; an existing value is kept."""
    properties = resource_properties(dict(template), PARAMETER_ID)
    name = _resolve(properties.get("Name"), parameters)
    value = _resolve(properties.get("Value"), parameters)
    if not name or value is None:
        raise LocalStackError(f"template.yaml: {PARAMETER_ID} needs a Name and a Value")
    try:
        ssm.put_parameter(
            Name=name, Value=value, Type=properties.get("Type", "String"), Overwrite=False
        )
    except Exception as error:
        if _error_code(error) != "ParameterAlreadyExists":
            raise LocalStackError(f"cannot create the parameter {name}: {error}") from error
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    return name, value
