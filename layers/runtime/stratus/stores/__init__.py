"""Tracker stores: conversations as one record per event, with a fair per-conversation lock.

`SQLiteTrackerStore` is the embedded default; `stratus.stores.dynamo.DynamoTrackerStore`
is imported from its own module so the SQLite path never loads pynamodb and botocore.
"""

from stratus.stores.base import (
    EventTooLargeError,
    StoredConversation,
    TrackerStore,
    TrackerStoreError,
)
from stratus.stores.locking import (
    LockLostError,
    LockSettings,
    LockTimeoutError,
    LockToken,
    Ticket,
)
from stratus.stores.sqlite import SQLiteTrackerStore

__all__ = [
    "EventTooLargeError",
    "LockLostError",
    "LockSettings",
    "LockTimeoutError",
    "LockToken",
    "SQLiteTrackerStore",
    "StoredConversation",
    "Ticket",
    "TrackerStore",
    "TrackerStoreError",
]
