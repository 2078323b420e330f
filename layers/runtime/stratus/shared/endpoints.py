"""endpoints.yml and credentials.yml in Rasa's shapes, with `${ENV_VAR}` substitution."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem, unknown_key, warning
from stratus.shared.yaml_io import line_of, read_yaml_mapping, substitute_env_vars

ENDPOINT_SECTIONS = {
    "action_endpoint",
    "tracker_store",
    "lock_store",
    "event_broker",
    "models",
    "model",
    "nlg",
    "nlu",
    "action",
    "empty",
}
# keys of an endpoint that EndpointConfig knows; anything else is passed on in `kwargs`
_ENDPOINT_FIELDS = {
    "url",
    "params",
    "headers",
    "basic_auth",
    "token",
    "token_name",
    "cafile",
    "type",
}


@dataclass(frozen=True)
class EndpointConfig:
    """One section of endpoints.yml (Rasa's EndpointConfig)."""

    url: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] = field(default_factory=dict)
    basic_auth: Mapping[str, Any] | None = None
    token: str | None = None
    token_name: str = "token"
    cafile: str | None = None
    type: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndpointConfig:
        return cls(
            url=data.get("url"),
            params=dict(data.get("params") or {}),
            headers=dict(data.get("headers") or {}),
            basic_auth=data.get("basic_auth"),
            token=data.get("token"),
            token_name=data.get("token_name") or "token",
            cafile=data.get("cafile"),
            type=data.get("type") or data.get("store_type"),
            kwargs={k: v for k, v in data.items() if k not in _ENDPOINT_FIELDS},
        )


@dataclass(frozen=True)
class AvailableEndpoints:
    """Every endpoint section of endpoints.yml; a missing section is None."""

    action: EndpointConfig | None = None
    tracker_store: EndpointConfig | None = None
    lock_store: EndpointConfig | None = None
    event_broker: EndpointConfig | None = None
    model: EndpointConfig | None = None
    nlg: EndpointConfig | None = None
    nlu: EndpointConfig | None = None
    file: str | None = None
    warnings: tuple[Problem, ...] = ()


def endpoints_from_dict(
    data: Mapping[str, Any], file: str = "endpoints.yml", env: Mapping[str, str] | None = None
) -> AvailableEndpoints:
    """Validate endpoints.yml content and substitute environment variables."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    sections: dict[str, EndpointConfig | None] = {}
    for key, value in data.items():
        line = line_of(data, key)
        if key not in ENDPOINT_SECTIONS:
            warnings.append(
                warning(
                    unknown_key(str(key), ENDPOINT_SECTIONS, "endpoints.yml")
                    + " Stratus ignores it.",
                    file,
                    line,
                    str(key),
                )
            )
            continue
        if value is None:
            continue
        if not isinstance(value, Mapping):
            problems.append(
                Problem(
                    f"must be a mapping of settings, not {type(value).__name__}",
                    file,
                    line,
                    str(key),
                )
            )
            continue
        sections[str(key)] = EndpointConfig.from_dict(substitute_env_vars(value, env, file))
    if problems:
        raise ConfigError(problems)
    return AvailableEndpoints(
        action=sections.get("action_endpoint") or sections.get("action"),
        tracker_store=sections.get("tracker_store"),
        lock_store=sections.get("lock_store"),
        event_broker=sections.get("event_broker"),
        model=sections.get("models") or sections.get("model"),
        nlg=sections.get("nlg"),
        nlu=sections.get("nlu"),
        file=file,
        warnings=tuple(warnings),
    )


def load_endpoints(
    path: str | Path | None, env: Mapping[str, str] | None = None
) -> AvailableEndpoints:
    """Load endpoints.yml; no file means every endpoint is the embedded default."""
    if path is None or not Path(path).exists():
        return AvailableEndpoints()
    return endpoints_from_dict(read_yaml_mapping(path, "endpoints file"), str(path), env)


CHANNEL_KEYS: dict[str, frozenset[str]] = {
    "rest": frozenset(),
    "slack": frozenset(
        {
            "slack_token",
            "slack_channel",
            "slack_signing_secret",
            "proxy",
            "slack_retry_reason_header",
            "slack_retry_number_header",
            "errors_ignore_retry",
            "use_threads",
            "conversation_granularity",
        }
    ),
    "telegram": frozenset({"access_token", "verify", "webhook_url", "secret_token"}),
    "facebook": frozenset({"verify", "secret", "page-access-token"}),
}


def load_credentials(
    path: str | Path | None, env: Mapping[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """Load credentials.yml: channel name -> its settings (None -> {})."""
    if path is None or not Path(path).exists():
        return {}
    file = str(path)
    data = read_yaml_mapping(path, "credentials file")
    problems: list[Problem] = []
    out: dict[str, dict[str, Any]] = {}
    for channel, settings in data.items():
        line = line_of(data, channel)
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            problems.append(Problem("channel settings must be a mapping", file, line, str(channel)))
            continue
        allowed = CHANNEL_KEYS.get(str(channel))
        if allowed:
            for key in settings:
                if key not in allowed:
                    problems.append(
                        Problem(
                            unknown_key(str(key), allowed, f"the '{channel}' channel"),
                            file,
                            line_of(settings, key),
                            f"{channel}.{key}",
                        )
                    )
        out[str(channel)] = dict(substitute_env_vars(settings, env, file))
    if problems:
        raise ConfigError(problems)
    return out
