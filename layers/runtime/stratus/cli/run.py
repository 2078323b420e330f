"""`stratus run`: serve a trained model over HTTP (Rasa's `rasa run`).

The embedded defaults: the newest model in PROJECT/models, an SQLite tracker store at
PROJECT/.stratus/trackers.db, the project's `actions/handler.py` in-process, and the
tracker events appended to PROJECT/.stratus/events.jsonl. endpoints.yml changes each as
in Rasa (`tracker_store: {type: dynamo}`, `action_endpoint: {url}` or `{type: lambda}`,
`event_broker: {type: kinesis|eventbridge|aws|file}`); `--aws-endpoint URL` runs against
the AWS resources template.yaml declares, created at URL (a moto server).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from stratus.shared.endpoints import EndpointConfig

DEFAULT_PORT = 5005
TRACKER_DB = Path(".stratus") / "trackers.db"
EVENTS_FILE = Path(".stratus") / "events.jsonl"
SQLITE_STORE_TYPES = frozenset({"sql", "sqlite", "in_memory", "memory"})
DYNAMO_STORE_TYPES = frozenset({"dynamo", "dynamodb"})


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
    parser.add_argument(
        "--aws-endpoint",
        metavar="URL",
        help="point every AWS client at URL (e.g. a moto server) and create there the table, "
        "bucket, stream, bus and queue template.yaml declares",
    )
    parser.add_argument(
        "--template", help="the SAM template for --aws-endpoint (default: template.yaml)"
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log a line per request (off by default, as in rasa run: it costs every "
        "request ~0.1 ms)",
    )


def build_app(args: argparse.Namespace) -> Any:
    """The app `run` serves, with the embedded defaults filled in."""
    from stratus.agent import Agent
    from stratus.allocator import fix_mmap_threshold
    from stratus.brokers import broker_for
    from stratus.core.actions.clients import action_client_for
    from stratus.nlu.duckling import duckling_url_from
    from stratus.server import create_app
    from stratus.shared.endpoints import load_credentials, load_endpoints

    project = Path(args.project)
    fix_mmap_threshold()  # before loading the model: see stratus.allocator
    agent = Agent.load(args.model or project / "models", duckling_url=duckling_url_from(os.environ))
    endpoints = load_endpoints(args.endpoints or project / "endpoints.yml")
    credentials = load_credentials(args.credentials or project / "credentials.yml")
    stack = None
    if args.aws_endpoint:
        stack = local_stack(args)
    file = endpoints.file or "endpoints.yml"
    store_config = endpoints.tracker_store
    broker_config = endpoints.event_broker
    if stack is not None:
        store_config, broker_config = stack_endpoints(stack, store_config, broker_config)
    return create_app(
        agent,
        tracker_store_for(store_config, project, file, args.aws_endpoint),
        endpoints=endpoints,
        credentials=credentials,
        enable_api=args.enable_api,
        auth_token=args.auth_token,
        jwt_secret=args.jwt_secret,
        cors=args.cors or (),
        action_client=action_client_for(
            endpoints.action, actions_dir=project / "actions", file=file
        ),
        processor_options={
            "event_broker": broker_for(
                broker_config, default_file=project / EVENTS_FILE, file=file
            ),
        },
    )


def stack_endpoints(
    stack: Any, store: EndpointConfig | None, broker: EndpointConfig | None
) -> tuple[EndpointConfig, EndpointConfig]:
    """The local stack stands in for the deployed one: the template's table and streams,
    unless endpoints.yml names others."""
    return (
        store
        or EndpointConfig(
            type="dynamo", kwargs={"table_name": stack.tracker_table, "region": stack.region}
        ),
        broker
        or EndpointConfig(
            type="aws",
            kwargs={
                "stream_name": stack.event_stream,
                "event_bus_name": stack.event_bus,
                "dead_letter_queue_url": stack.event_dlq_url,
                "region": stack.region,
            },
        ),
    )


def local_stack(args: argparse.Namespace) -> Any:
    """Creates (or reuses) at `--aws-endpoint` what template.yaml declares, and points
    every AWS client of this process at that endpoint."""
    from stratus.local.stack import create_local_stack

    template = Path(args.template) if args.template else _default_template(Path(args.project))
    stack = create_local_stack(args.aws_endpoint, template)
    os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint
    os.environ.setdefault("AWS_REGION", stack.region)
    os.environ.setdefault("AWS_DEFAULT_REGION", stack.region)
    return stack


def _default_template(project: Path) -> Path:
    """PROJECT/template.yaml, else the template of the Stratus checkout running this."""
    if (project / "template.yaml").is_file():
        return project / "template.yaml"
    return Path(__file__).resolve().parents[4] / "template.yaml"


def tracker_store_for(
    config: EndpointConfig | None, project: Path, file: str, aws_endpoint: str | None = None
) -> Any:
    """endpoints.yml's `tracker_store`: SQLite (the default) or `type: dynamo` (Rasa's
    keys `table_name` and `region`, plus Stratus' `ttl_seconds`)."""
    from stratus.shared.exceptions import ConfigError
    from stratus.shared.problems import Problem
    from stratus.stores import SQLiteTrackerStore

    kind = ((config.type if config else None) or "sql").lower()
    if kind in SQLITE_STORE_TYPES:
        db = project / TRACKER_DB
        db.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteTrackerStore(db)
    if kind in DYNAMO_STORE_TYPES and config is not None:
        from stratus.stores.dynamo import DynamoTrackerStore

        options = dict(config.kwargs)
        table = options.get("table_name")
        if not isinstance(table, str) or not table:
            raise ConfigError(
                Problem("a DynamoDB tracker store needs `table_name`", file, field="tracker_store")
            )
        ttl = options.get("ttl_seconds")
        return DynamoTrackerStore(
            table,
            region=str(options.get("region") or "us-east-1"),
            host=aws_endpoint or config.url,
            ttl_seconds=float(ttl) if ttl is not None else None,
        )
    raise ConfigError(
        Problem(
            f"tracker store type '{config.type if config else kind}' is not served by Stratus; "
            "use `dynamo` (DynamoDB) or leave the section out for the embedded SQLite store",
            file,
            field="tracker_store.type",
        )
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    app = build_app(args)
    uvicorn.run(
        app, host=args.interface, port=args.port, log_level="info", access_log=args.access_log
    )
    return 0
