"""What a deployed function is configured with, read once from its environment.

The SAM template sets these variables; a door reads them at init with
`ServiceSettings.from_environ(os.environ)` and passes the result on, so nothing deeper
in the engine reads the environment.

| variable | meaning |
|---|---|
| STRATUS_MODEL_DIR | a local model (or folder of models); wins over the S3 settings |
| STRATUS_MODEL_BUCKET, STRATUS_MODEL_PREFIX | where `stratus train --out s3://...` uploaded models |
| STRATUS_MODEL_VERSION | the version to serve (`latest`: the newest upload) |
| STRATUS_MODEL_VERSION_PARAMETER | an SSM parameter naming the version; wins over the variable |
| STRATUS_MODEL_CANDIDATE_VERSION, STRATUS_MODEL_CANDIDATE_PERCENT | an optional A/B split |
| STRATUS_MODEL_CACHE | where downloaded models are kept (default /tmp/stratus-models) |
| STRATUS_TRACKER_TABLE | the DynamoDB tracker table; without it, SQLite in /tmp |
| STRATUS_TRACKER_TTL_SECONDS | forget a conversation after this much silence |
| STRATUS_ACTION_FUNCTION | the Lambda function running custom actions |
| STRATUS_ACTION_URL | an existing action server (Rasa's action endpoint) instead |
| STRATUS_ACTION_HANDLER | `module:function`: run the actions function's handler in this process, as Lambda would (local runs and tests) |
| STRATUS_EVENT_STREAM, STRATUS_EVENT_BUS, STRATUS_EVENT_DLQ_URL | event streams |
| STRATUS_AUTH_TOKEN_SECRET, STRATUS_JWT_SECRET_ARN | HTTP API auth (Secrets Manager) |
| STRATUS_CHANNEL_SECRET | a Secrets Manager secret with the channel's credentials |
| STRATUS_CHANNEL_API_URL | the platform API's base URL (default: the real one) |
| STRATUS_REMINDER_GROUP, STRATUS_REMINDER_FUNCTION_ARN, STRATUS_REMINDER_ROLE_ARN | reminders as EventBridge Scheduler schedules firing that function |
| RASA_DUCKLING_HTTP_URL | the Duckling server of a DucklingEntityExtractor (Rasa's variable); wins over its `url` |
| STRATUS_ASYNC_FUNCTION | the function itself, for acknowledging now and working later (default: AWS_LAMBDA_FUNCTION_NAME) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem

DEFAULT_MODEL_CACHE = "/tmp/stratus-models"
DEFAULT_SQLITE_PATH = "/tmp/stratus-trackers.db"


@dataclass(frozen=True)
class ServiceSettings:
    """A function's configuration; None means the feature is off."""

    model_dir: str | None = None
    model_bucket: str | None = None
    model_prefix: str = "models"
    model_version: str = "latest"
    model_version_parameter: str | None = None
    candidate_version: str | None = None
    candidate_percent: float = 0.0
    model_cache: str = DEFAULT_MODEL_CACHE
    tracker_table: str | None = None
    tracker_ttl_seconds: float | None = None
    sqlite_path: str = DEFAULT_SQLITE_PATH
    action_function: str | None = None
    action_url: str | None = None
    action_handler: str | None = None
    event_stream: str | None = None
    event_bus: str | None = None
    event_dlq_url: str | None = None
    auth_token_secret: str | None = None
    jwt_secret_arn: str | None = None
    channel_secret: str | None = None
    channel_api_url: str | None = None
    async_function: str | None = None
    reminder_group: str | None = None
    reminder_function_arn: str | None = None
    reminder_role_arn: str | None = None
    region: str | None = None
    duckling_url: str | None = None

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> ServiceSettings:
        """Settings from environment variables; a malformed number is a ConfigError."""

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str) -> float | None:
            value = text(name)
            if value is None:
                return None
            try:
                return float(value)
            except ValueError:
                raise ConfigError(
                    Problem(f"must be a number, not '{value}'", "environment", field=name)
                ) from None

        percent = number("STRATUS_MODEL_CANDIDATE_PERCENT") or 0.0
        if not 0.0 <= percent <= 100.0:
            raise ConfigError(
                Problem(
                    f"must be between 0 and 100, not {percent:g}",
                    "environment",
                    field="STRATUS_MODEL_CANDIDATE_PERCENT",
                )
            )
        settings = cls(
            model_dir=text("STRATUS_MODEL_DIR"),
            model_bucket=text("STRATUS_MODEL_BUCKET"),
            model_prefix=(text("STRATUS_MODEL_PREFIX") or "models").strip("/"),
            model_version=text("STRATUS_MODEL_VERSION") or "latest",
            model_version_parameter=text("STRATUS_MODEL_VERSION_PARAMETER"),
            candidate_version=text("STRATUS_MODEL_CANDIDATE_VERSION"),
            candidate_percent=percent,
            model_cache=text("STRATUS_MODEL_CACHE") or DEFAULT_MODEL_CACHE,
            tracker_table=text("STRATUS_TRACKER_TABLE"),
            tracker_ttl_seconds=number("STRATUS_TRACKER_TTL_SECONDS"),
            sqlite_path=text("STRATUS_SQLITE_PATH") or DEFAULT_SQLITE_PATH,
            action_function=text("STRATUS_ACTION_FUNCTION"),
            action_url=text("STRATUS_ACTION_URL"),
            action_handler=text("STRATUS_ACTION_HANDLER"),
            event_stream=text("STRATUS_EVENT_STREAM"),
            event_bus=text("STRATUS_EVENT_BUS"),
            event_dlq_url=text("STRATUS_EVENT_DLQ_URL"),
            auth_token_secret=text("STRATUS_AUTH_TOKEN_SECRET"),
            jwt_secret_arn=text("STRATUS_JWT_SECRET_ARN"),
            channel_secret=text("STRATUS_CHANNEL_SECRET"),
            channel_api_url=text("STRATUS_CHANNEL_API_URL"),
            async_function=text("STRATUS_ASYNC_FUNCTION") or text("AWS_LAMBDA_FUNCTION_NAME"),
            reminder_group=text("STRATUS_REMINDER_GROUP"),
            reminder_function_arn=text("STRATUS_REMINDER_FUNCTION_ARN"),
            reminder_role_arn=text("STRATUS_REMINDER_ROLE_ARN"),
            region=text("AWS_REGION") or text("AWS_DEFAULT_REGION"),
            duckling_url=text("RASA_DUCKLING_HTTP_URL"),
        )
        if settings.model_dir is None and settings.model_bucket is None:
            raise ConfigError(
                Problem(
                    "no model configured: set STRATUS_MODEL_DIR (a local model) or "
                    "STRATUS_MODEL_BUCKET (models uploaded by `stratus train --out s3://...`)",
                    "environment",
                    field="STRATUS_MODEL_BUCKET",
                )
            )
        return settings
