"""The tracker table's definition: what the store requires and how CloudFormation maps to it."""

from __future__ import annotations

import copy

import pytest

from stratus.stores import TrackerStoreError
from stratus.stores.dynamo import TRACKER_TABLE_PROPERTIES, check_table_properties
from stratus.stores.dynamo.table import create_table_request


def test_the_reference_table_fits_the_store() -> None:
    check_table_properties(TRACKER_TABLE_PROPERTIES)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda p: p.pop("GlobalSecondaryIndexes"), "index 'conversations'"),
        (
            lambda p: p["AttributeDefinitions"].__setitem__(
                1, {"AttributeName": "sk", "AttributeType": "S"}
            ),
            "pk (S, HASH) + sk (N, RANGE)",
        ),
        (
            lambda p: p.__setitem__(
                "TimeToLiveSpecification", {"AttributeName": "ttl", "Enabled": True}
            ),
            "expires_at",
        ),
    ],
)
def test_a_table_missing_what_the_store_needs_is_named(change: object, complaint: str) -> None:
    properties = copy.deepcopy(TRACKER_TABLE_PROPERTIES)
    change(properties)  # type: ignore[operator]
    with pytest.raises(TrackerStoreError, match="does not fit") as caught:
        check_table_properties(properties)
    assert complaint in str(caught.value)


def test_cloudformation_properties_become_a_create_table_request() -> None:
    properties = copy.deepcopy(TRACKER_TABLE_PROPERTIES)
    properties["TableName"] = {"Fn::Sub": "stratus-${Stage}"}  # intrinsic: ignored
    properties["StreamSpecification"] = {"StreamViewType": "NEW_IMAGE"}
    properties["GlobalSecondaryIndexes"][0]["ContributorInsightsSpecification"] = {"Enabled": True}
    request = create_table_request(properties, "local-table")
    assert request["TableName"] == "local-table"
    assert request["KeySchema"] == TRACKER_TABLE_PROPERTIES["KeySchema"]
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert request["GlobalSecondaryIndexes"] == TRACKER_TABLE_PROPERTIES["GlobalSecondaryIndexes"]
    # TTL is a separate API call; encryption means nothing to a local endpoint
    assert "TimeToLiveSpecification" not in request and "SSESpecification" not in request


def test_the_templates_table_is_what_the_store_needs() -> None:
    from pathlib import Path

    from stratus.local.template import read_template, resource_properties

    template = read_template(Path(__file__).resolve().parents[3] / "template.yaml")
    properties = resource_properties(template, "TrackerTable")
    check_table_properties(properties)
    assert properties == TRACKER_TABLE_PROPERTIES
