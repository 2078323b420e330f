"""Backends the tracker store contract runs against: SQLite, moto server, dynalite."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tracker_store_helpers import StoreKit, template_table

from stratus.stores import SQLiteTrackerStore, TrackerStore

REPO = Path(__file__).resolve().parents[3]
DYNALITE_CLI = REPO / "infra" / "local" / "node_modules" / "dynalite" / "cli.js"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def dynalite_endpoint(aws_credentials: None) -> Iterator[str]:
    """dynalite (npm): an independent DynamoDB implementation, in memory, on loopback."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm/node are not installed, so dynalite (the second DynamoDB) cannot run")
    if not DYNALITE_CLI.is_file():
        pytest.fail(
            "dynalite is not installed: run `npm ci --prefix infra/local` (`make install` does)"
        )
    port = _free_port()
    process = subprocess.Popen(
        [
            *("node", str(DYNALITE_CLI), "--host", "127.0.0.1", "--port", str(port)),
            # Tables are ACTIVE at once instead of after dynalite's default 500 ms.
            *("--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"dynalite did not start on port {port}: {error}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _dynamo_kit(name: str, host: str, *, transactions: bool, ttl_api: bool) -> StoreKit:
    from stratus.stores.dynamo import DynamoTrackerStore, create_table

    # One table per test: tests stay independent without resetting the server.
    table = f"trackers-{uuid.uuid4().hex[:12]}"
    create_table(template_table(), table_name=table, region=REGION, host=host, enable_ttl=ttl_api)

    def factory(**settings: Any) -> TrackerStore:
        return DynamoTrackerStore(
            table, region=REGION, host=host, use_transactions=transactions, **settings
        )

    return StoreKit(name, factory, transactions=transactions)


@pytest.fixture(params=["sqlite", "moto", "dynalite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreKit]:
    """Each backend in turn; dynalite has no TransactWriteItems, so its store uses claims."""
    if request.param == "sqlite":
        made = StoreKit("sqlite", lambda **s: SQLiteTrackerStore(tmp_path / "trackers.db", **s))
    elif request.param == "moto":
        made = _dynamo_kit(
            "moto", request.getfixturevalue("moto_endpoint"), transactions=True, ttl_api=True
        )
    else:
        made = _dynamo_kit(
            "dynalite",
            request.getfixturevalue("dynalite_endpoint"),
            transactions=False,
            ttl_api=False,
        )
    yield made
    for store in made.opened:
        store.close()


@pytest.fixture
def store(kit: StoreKit) -> TrackerStore:
    return kit.make()
