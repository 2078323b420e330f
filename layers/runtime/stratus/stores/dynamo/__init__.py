"""The DynamoDB tracker store (pynamodb) and the helper that creates its table."""

from stratus.stores.dynamo.store import DynamoTrackerStore
from stratus.stores.dynamo.table import (
    TRACKER_TABLE_PROPERTIES,
    check_table_properties,
    create_table,
)

__all__ = [
    "TRACKER_TABLE_PROPERTIES",
    "DynamoTrackerStore",
    "check_table_properties",
    "create_table",
]
