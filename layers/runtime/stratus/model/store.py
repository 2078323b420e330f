"""Model stores: where the serving side gets a model directory by version name.

A version is the name of a model directory (`20261122-044000-k3x9`, as `stratus train`
names them). `LocalModelStore` serves a folder of models (today's `--model models/`);
`S3ModelStore` (stratus.model.s3) serves uploaded versions through a local cache.
Which version to serve is decided at the door: an explicit name, `latest`, or the value
of an SSM parameter (`resolve_version`).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Protocol

from stratus.model.storage import is_model_dir, newest_model, resolve_model_dir
from stratus.shared.exceptions import StratusError

logger = logging.getLogger(__name__)

LATEST = "latest"
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class ModelStoreError(StratusError):
    """The model store cannot give what was asked (no such version, no models, an
    unreachable bucket or parameter)."""


def check_version(version: str, field: str = "model version") -> str:
    """A version name safe as one path and key segment; `latest` is reserved."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ModelStoreError(
            f"{field}: {version!r} is not a valid version name (letters, digits, '.', '_', "
            "'-'; at most 128 characters)."
        )
    if version.lower() == LATEST:
        raise ModelStoreError(f"{field}: '{version}' is reserved for the newest version.")
    return version


class ModelStore(Protocol):
    """Versions of a model, fetched as a local directory ready for `Agent.load`."""

    def versions(self) -> list[str]:
        """Every complete version the store holds, oldest first."""
        ...

    def latest_version(self) -> str:
        """The version `latest` stands for."""
        ...

    def fetch(self, version: str = LATEST) -> Path:
        """The model directory of `version` (`latest`: `latest_version()`)."""
        ...


class LocalModelStore:
    """A folder of model directories, or one model directory (today's `--model`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def versions(self) -> list[str]:
        if is_model_dir(self.folder):
            return [self.folder.name]
        children = sorted(self.folder.iterdir()) if self.folder.is_dir() else []
        return [child.name for child in children if is_model_dir(child)]

    def latest_version(self) -> str:
        if is_model_dir(self.folder):
            return self.folder.name
        newest = newest_model(self.folder)
        if newest is None:
            raise ModelStoreError(
                f"'{self.folder}' holds no model; train one with `stratus train`."
            )
        return newest.name

    def fetch(self, version: str = LATEST) -> Path:
        if version == LATEST:
            return resolve_model_dir(self.folder)
        check_version(version)
        if is_model_dir(self.folder) and self.folder.name == version:
            return self.folder
        candidate = self.folder / version
        if not is_model_dir(candidate):
            raise ModelStoreError(
                f"No model version '{version}' in '{self.folder}' (it has: "
                f"{', '.join(self.versions()) or 'none'})."
            )
        return candidate


def version_from_parameter(ssm_client: Any, name: str) -> str:
    """The version an SSM parameter names (its value, trimmed)."""
    try:
        response = ssm_client.get_parameter(Name=name)
    except Exception as e:  # ParameterNotFound, AccessDenied, no connection
        raise ModelStoreError(f"Cannot read the model version parameter '{name}': {e}") from e
    value = str(response["Parameter"]["Value"]).strip()
    if not value:
        raise ModelStoreError(f"The model version parameter '{name}' is empty.")
    return value


def resolve_version(
    store: ModelStore,
    *,
    version: str | None = None,
    parameter_name: str | None = None,
    ssm_client: Any | None = None,
) -> str:
    """The concrete version to serve: `version` if given, else the SSM parameter's
    value, else `latest`; `latest` becomes the store's newest version."""
    if not version and parameter_name:
        if ssm_client is None:
            raise ModelStoreError("Reading the model version parameter needs an SSM client.")
        version = version_from_parameter(ssm_client, parameter_name)
    version = version or LATEST
    if version.lower() == LATEST:
        return store.latest_version()
    return check_version(version)


def set_version_parameter(ssm_client: Any, name: str, version: str) -> None:
    """Points the SSM parameter at `version` or `latest` (the switch a deployment makes)."""
    value = LATEST if version.lower() == LATEST else check_version(version)
    ssm_client.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


def rollback_version_parameter(ssm_client: Any, name: str) -> str:
    """Points the parameter back at the version it named before the current one (from
    the parameter's history) and returns that version."""
    current = version_from_parameter(ssm_client, name)
    values: list[str] = []
    kwargs: dict[str, Any] = {"Name": name}
    while True:
        page = ssm_client.get_parameter_history(**kwargs)
        values.extend(str(p["Value"]).strip() for p in page.get("Parameters", []))
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    # History is oldest first; the current value may repeat (a re-deploy of it).
    for value in reversed(values):
        if value and value != current:
            set_version_parameter(ssm_client, name, value)
            return value
    raise ModelStoreError(f"The parameter '{name}' names no earlier version to roll back to.")
