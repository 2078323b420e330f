"""Shared test fixtures: where the repository and ../shared live, and AWS APIs as real
HTTP endpoints on loopback (moto server) for the integration and end-to-end tests."""

from __future__ import annotations

import logging
import os
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# Helpers several test folders share (fake platforms, ...), imported as top-level
# modules: a `tests` package from site-packages would shadow `tests.support`.
SUPPORT = Path(__file__).resolve().parent / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))
# CI clones the repository next to shared/, as the developers' checkout is.
SHARED = REPO.parent / "shared"
RASA_EXAMPLES = SHARED / "rasa-examples"
RASA_FIXTURES = SHARED / "rasa-fixtures"
# Each xdist worker takes a core already: training the dialogue part in a second process
# (stratus_train.background) would only add a TensorFlow import to every model the tests
# train. tests/integration/test_train_parts.py turns it back on where it is the subject.
os.environ.setdefault("STRATUS_TRAINING_PROCESSES", "1")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: clone the repository next to shared/")
    return SHARED


AWS_REGION = "us-east-1"
# Dummy credentials: botocore signs every request, and nothing here may reach real AWS.
_FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": AWS_REGION,
    "AWS_REGION": AWS_REGION,
}
# A developer's own AWS settings must not redirect or authenticate the tests.
_REAL_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
)


@pytest.fixture(scope="session")
def aws_credentials() -> Iterator[None]:
    """Dummy credentials and region for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        for name in _REAL_AWS_ENV:
            patch.delenv(name, raising=False)
        for name, value in _FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        yield


class _OneRequestAtATime:
    """WSGI middleware: handle one request at a time, response body included."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


@pytest.fixture(scope="session")
def moto_endpoint(aws_credentials: None) -> Iterator[str]:
    """A moto server on a free loopback port, shared by the session; yields its URL.

    Tests isolate themselves with unique resource names; call `moto_reset` when a test
    needs an empty account.
    """
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    # werkzeug logs every request at INFO; keep failures readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # This is moto.server.ThreadedMotoServer with one change: requests are handled one
    # at a time. DynamoDB applies each request, and each TransactWriteItems, atomically;
    # moto checks conditions and then writes without a lock (a failed transaction
    # even restores a snapshot of the whole table), so concurrent requests on its
    # threaded server can both pass one condition. Serializing them restores
    # DynamoDB's guarantee, which the concurrency tests rely on.
    app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def moto_reset(moto_endpoint: str) -> Callable[[], None]:
    """Call to clear every resource on the moto server (POST /moto-api/reset)."""

    def reset() -> None:
        request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    return reset
