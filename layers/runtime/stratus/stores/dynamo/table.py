"""Create the tracker table from a CloudFormation `Properties` mapping (local stacks, tests).

`template.yaml` is the source of truth for the deployed table; local endpoints (moto
server, dynalite) get their table from the same `Properties`, so the two cannot drift.
`TRACKER_TABLE_PROPERTIES` is what the store needs, for a stand-alone local setup and
as the reference `check_table_properties` compares a template against.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from stratus.stores.base import TrackerStoreError
from stratus.stores.dynamo.models import LIST_INDEX_NAME

TRACKER_TABLE_PROPERTIES: dict[str, Any] = {
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "list_shard", "AttributeType": "S"},
        {"AttributeName": "created_at", "AttributeType": "N"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": LIST_INDEX_NAME,
            "KeySchema": [
                {"AttributeName": "list_shard", "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ],
    "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
    "SSESpecification": {"SSEEnabled": True},
}

# CreateTable takes these CloudFormation properties unchanged.
_SAME_SHAPE = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "LocalSecondaryIndexes",
)


def check_table_properties(properties: Mapping[str, Any]) -> None:
    """Raise TrackerStoreError if the table lacks a key or index the store relies on."""
    problems: list[str] = []
    types = {
        a["AttributeName"]: a["AttributeType"] for a in properties.get("AttributeDefinitions", [])
    }

    def keys(schema: list[Mapping[str, str]]) -> list[tuple[str, str, str]]:
        return [
            (k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?")) for k in schema
        ]

    if keys(properties.get("KeySchema", [])) != [("pk", "HASH", "S"), ("sk", "RANGE", "N")]:
        problems.append("the key must be pk (S, HASH) + sk (N, RANGE)")
    indexes = {i["IndexName"]: i for i in properties.get("GlobalSecondaryIndexes", [])}
    index = indexes.get(LIST_INDEX_NAME)
    if index is None:
        problems.append(f"a global secondary index '{LIST_INDEX_NAME}' lists the conversations")
    elif sorted(keys(index["KeySchema"])) != [
        ("created_at", "RANGE", "N"),
        ("list_shard", "HASH", "S"),
    ]:
        problems.append(
            f"index '{LIST_INDEX_NAME}' must be list_shard (S, HASH) + created_at (N, RANGE)"
        )
    ttl = properties.get("TimeToLiveSpecification") or {}
    if ttl.get("AttributeName") != "expires_at":
        problems.append("TimeToLiveSpecification.AttributeName must be expires_at")
    if problems:
        raise TrackerStoreError("The tracker table does not fit the store: " + "; ".join(problems))


def create_table_request(properties: Mapping[str, Any], table_name: str) -> dict[str, Any]:
    """The CreateTable request for CloudFormation `Properties` (TableName comes separately)."""
    request: dict[str, Any] = {"TableName": table_name}
    for key in _SAME_SHAPE:
        if key in properties:
            request[key] = properties[key]
    if "GlobalSecondaryIndexes" in properties:
        # CloudFormation-only keys (ContributorInsightsSpecification, ...) are dropped.
        allowed = {"IndexName", "KeySchema", "Projection", "ProvisionedThroughput"}
        request["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k in allowed}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    # Encryption, tags, point-in-time recovery and deletion protection change nothing a
    # local endpoint can show, and some local endpoints refuse them: left out.
    return request


def create_table(
    properties: Mapping[str, Any],
    *,
    table_name: str,
    region: str,
    host: str | None = None,
    enable_ttl: bool = True,
    timeout_seconds: float = 30.0,
) -> None:
    """Create the table as CloudFormation would and wait until it (and its indexes) are ACTIVE.

    `enable_ttl=False` for endpoints without the TTL API (dynalite).
    """
    import boto3  # lazily: the SQLite-only paths never need boto3

    client = boto3.client("dynamodb", region_name=region, endpoint_url=host)
    client.create_table(**create_table_request(properties, table_name))
    deadline = time.monotonic() + timeout_seconds
    while True:
        table = client.describe_table(TableName=table_name)["Table"]
        statuses = [table["TableStatus"]] + [
            index.get("IndexStatus", "ACTIVE") for index in table.get("GlobalSecondaryIndexes", [])
        ]
        if all(status == "ACTIVE" for status in statuses):
            break
        if time.monotonic() > deadline:
            raise TrackerStoreError(
                f"Table {table_name} is still {statuses} after {timeout_seconds} s."
            )
        time.sleep(0.05)
    ttl = properties.get("TimeToLiveSpecification")
    if enable_ttl and ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
