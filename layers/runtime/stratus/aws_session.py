"""One AWS SDK session per process, for every client a container keeps.

Each botocore session loads its own copy of the endpoint, partition and default
configuration data and of each service model (about 7 MB for a second session), so the
tracker store (pynamodb), the event broker and the door's other clients share boto3's
default session. Its clients are made once, at init; botocore's client creation is not
thread-safe, so it runs under one lock.
"""

from __future__ import annotations

import threading
from typing import Any

CLIENT_LOCK = threading.Lock()


def boto3_session() -> Any:
    """boto3's default session, made on first use (configured by the environment)."""
    import boto3  # lazily: the SQLite and file paths need no AWS SDK

    with CLIENT_LOCK:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        return boto3.DEFAULT_SESSION


def botocore_session() -> Any:
    """The botocore session under `boto3_session()`, for pynamodb."""
    return boto3_session()._session
