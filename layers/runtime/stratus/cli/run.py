"""`stratus run`: serve a trained model over HTTP (Rasa's `rasa run`).

The embedded defaults: the newest model in PROJECT/models, an SQLite tracker store at
PROJECT/.stratus/trackers.db, and the project's `actions/handler.py` in-process.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_PORT = 5005
TRACKER_DB = Path(".stratus") / "trackers.db"
SQLITE_STORE_TYPES = frozenset({"sql", "sqlite", "in_memory", "memory"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=".", help="the Rasa project (default: .)")
    parser.add_argument(
        "-m",
        "--model",
        help="a model, or a folder whose newest model is served (default: PROJECT/models)",
    )
    parser.add_argument(
        "-i", "--interface", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)"
    )
    parser.add_argument(
        "-p", "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument("--endpoints", help="endpoints.yml (default: PROJECT/endpoints.yml)")
    parser.add_argument(
        "--credentials",
        help="credentials.yml naming the channels (default: PROJECT/credentials.yml; "
        "without one, the REST channel)",
    )
    parser.add_argument(
        "--enable-api", action="store_true", help="serve the HTTP API next to the channels"
    )
    parser.add_argument("--auth-token", help="require ?token=T on the HTTP API")
    parser.add_argument("--jwt-secret", help="accept HS256 JWTs signed with this secret")
    parser.add_argument(
        "--cors", nargs="*", default=[], metavar="ORIGIN", help="origins allowed by CORS ('*')"
    )


def build_app(args: argparse.Namespace) -> Any:
    """The app `run` serves, with the embedded defaults filled in."""
    from stratus.agent import Agent, local_action_client
    from stratus.server import create_app
    from stratus.shared.endpoints import load_credentials, load_endpoints
    from stratus.shared.exceptions import ConfigError
    from stratus.shared.problems import Problem
    from stratus.stores import SQLiteTrackerStore

    project = Path(args.project)
    agent = Agent.load(args.model or project / "models")
    endpoints = load_endpoints(args.endpoints or project / "endpoints.yml")
    credentials = load_credentials(args.credentials or project / "credentials.yml")
    store_config = endpoints.tracker_store
    if store_config is not None and (store_config.type or "sql").lower() not in (
        SQLITE_STORE_TYPES
    ):
        raise ConfigError(
            Problem(
                f"tracker store type '{store_config.type}' is not served by `stratus run` "
                "yet; remove the section to use the embedded SQLite store",
                endpoints.file,
                field="tracker_store.type",
            )
        )
    db = project / TRACKER_DB
    db.parent.mkdir(parents=True, exist_ok=True)
    return create_app(
        agent,
        SQLiteTrackerStore(db),
        endpoints=endpoints,
        credentials=credentials,
        enable_api=args.enable_api,
        auth_token=args.auth_token,
        jwt_secret=args.jwt_secret,
        cors=args.cors or (),
        action_client=local_action_client(project / "actions"),
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    app = build_app(args)
    uvicorn.run(app, host=args.interface, port=args.port, log_level="info")
    return 0
