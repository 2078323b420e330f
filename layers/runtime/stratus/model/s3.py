"""Models in S3: one key prefix per version, verified file by file on download.

    s3://bucket/prefix/<version>/manifest.json
    s3://bucket/prefix/<version>/<every file the manifest lists>
    s3://bucket/prefix/LATEST          (text: the newest uploaded version)

Per-file keys (rather than one archive) let the download check each file's sha256
against the manifest and name the file that does not match. The manifest is uploaded
after the files, so a version whose manifest exists is complete; `LATEST` is written
last. Downloads go to a staging folder next to the cache directory
(`/tmp/stratus-models/<version>` by default) and are renamed into place only after
every file matched: a cached version directory is therefore verified, and is reused
without touching S3 (a warm Lambda container, or a rollback to a version already seen).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from stratus.model.manifest import MANIFEST_FILE, read_manifest, sha256_file, verify_files
from stratus.model.storage import resolve_model_dir
from stratus.model.store import LATEST, ModelStoreError, check_version
from stratus.shared.exceptions import IncompatibleModelError

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path("/tmp/stratus-models")
LATEST_KEY = "LATEST"


@dataclass(frozen=True)
class S3Location:
    """`s3://bucket/prefix` split up; `prefix` has no leading or trailing slash."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        if not url.startswith("s3://"):
            raise ModelStoreError(f"'{url}' is not an S3 URL (s3://bucket/prefix).")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ModelStoreError(f"'{url}' names no bucket (s3://bucket/prefix).")
        return cls(bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"


def is_s3_url(value: str | os.PathLike[str]) -> bool:
    return str(value).startswith("s3://")


def _not_found(error: Exception) -> bool:
    response = getattr(error, "response", None)
    code = (
        str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""
    )
    return code in {"404", "NoSuchKey", "NotFound"}


def _safe_relative(name: str) -> PurePosixPath:
    """A manifest file name as a path inside the model directory (no escaping it)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise IncompatibleModelError(f"The manifest lists a file outside the model: '{name}'.")
    return path


class S3ModelStore:
    """Versions under `s3://bucket/prefix`, downloaded into `cache_dir/<version>`.

    `client` is a boto3 S3 client, made once by the door.
    """

    def __init__(self, url: str, client: Any, *, cache_dir: Path = DEFAULT_CACHE_DIR) -> None:
        self.location = S3Location.parse(url)
        self.client = client
        self.cache_dir = Path(cache_dir)

    # -- reading -------------------------------------------------------------------------

    def versions(self) -> list[str]:
        """Complete versions (those with a manifest), oldest name first."""
        prefix = self.location.key() + "/" if self.location.prefix else ""
        names: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes") or []:
                names.append(common["Prefix"][len(prefix) :].rstrip("/"))
        return sorted(name for name in names if self._exists(name, MANIFEST_FILE))

    def latest_version(self) -> str:
        """The `LATEST` pointer; without one, the last complete version by name."""
        try:
            body = self._get(LATEST_KEY)
        except ModelStoreError:
            versions = self.versions()
            if not versions:
                raise ModelStoreError(
                    f"{self.location.url()} holds no model; upload one with "
                    "`stratus train --out s3://...`."
                ) from None
            return versions[-1]
        return check_version(body.decode().strip(), f"{self.location.url(LATEST_KEY)}")

    def fetch(self, version: str = LATEST) -> Path:
        """The verified local copy of `version`, downloading it if not cached yet."""
        version = self.latest_version() if version == LATEST else check_version(version)
        target = self.cache_dir / version
        if (target / MANIFEST_FILE).is_file():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = self.cache_dir / f".{version}.{secrets.token_hex(4)}.partial"
        try:
            self._download(version, staging)
            try:
                staging.rename(target)
            except OSError:
                if not (target / MANIFEST_FILE).is_file():  # not a concurrent download's win
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        logger.info("Model version %s downloaded from %s.", version, self.location.url(version))
        return target

    def _download(self, version: str, staging: Path) -> None:
        staging.mkdir(parents=True)
        try:
            manifest_bytes = self._get(version, MANIFEST_FILE)
        except ModelStoreError:
            raise ModelStoreError(
                f"No model version '{version}' at {self.location.url()} (it has: "
                f"{', '.join(self.versions()) or 'none'})."
            ) from None
        (staging / MANIFEST_FILE).write_bytes(manifest_bytes)
        manifest = read_manifest(staging)
        for name, expected in sorted(manifest.files.items()):
            local = staging.joinpath(*_safe_relative(name).parts)
            local.parent.mkdir(parents=True, exist_ok=True)
            url = self.location.url(version, name)
            try:
                self.client.download_file(
                    self.location.bucket, self.location.key(version, name), str(local)
                )
            except Exception as e:
                raise ModelStoreError(f"Cannot download {url}: {e}") from e
            actual = sha256_file(local)
            if actual != expected:
                raise IncompatibleModelError(
                    f"Model file '{name}' of version '{version}' ({url}) does not match its "
                    f"manifest: sha256 {actual}, expected {expected}."
                )

    def _get(self, *parts: str) -> bytes:
        key = self.location.key(*parts)
        try:
            response = self.client.get_object(Bucket=self.location.bucket, Key=key)
        except Exception as e:
            if _not_found(e):
                raise ModelStoreError(f"{self.location.url(*parts)} does not exist.") from e
            raise ModelStoreError(f"Cannot read {self.location.url(*parts)}: {e}") from e
        body: bytes = response["Body"].read()
        return body

    def _exists(self, *parts: str) -> bool:
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self.location.key(*parts))
        except Exception as e:
            if _not_found(e):
                return False
            raise ModelStoreError(f"Cannot read {self.location.url(*parts)}: {e}") from e
        return True

    # -- writing -------------------------------------------------------------------------

    def upload(self, model_dir: Path, *, set_latest: bool = True) -> str:
        """Uploads a trained model directory as the version named like the directory;
        returns the version. Uploading the same model again changes nothing."""
        model_dir = resolve_model_dir(model_dir)
        version = check_version(model_dir.name, f"the model directory name '{model_dir}'")
        manifest = read_manifest(model_dir)
        wrong = verify_files(model_dir, manifest)
        if wrong:
            raise IncompatibleModelError(
                f"The model at '{model_dir}' does not match its manifest ({', '.join(wrong)}); "
                "retrain it before uploading."
            )
        manifest_bytes = (model_dir / MANIFEST_FILE).read_bytes()
        if self._exists(version, MANIFEST_FILE):
            if self._get(version, MANIFEST_FILE) != manifest_bytes:
                raise ModelStoreError(
                    f"{self.location.url(version)} already holds a different model; versions "
                    "are immutable, so train a new one."
                )
        else:
            for name in sorted(manifest.files):
                path = model_dir.joinpath(*_safe_relative(name).parts)
                self.client.upload_file(
                    str(path), self.location.bucket, self.location.key(version, name)
                )
            self.client.put_object(
                Bucket=self.location.bucket,
                Key=self.location.key(version, MANIFEST_FILE),
                Body=manifest_bytes,
                ContentType="application/json",
            )
        if set_latest:
            self.set_latest(version)
        logger.info("Model version %s uploaded to %s.", version, self.location.url(version))
        return version

    def set_latest(self, version: str) -> None:
        """Points `LATEST` at a complete version."""
        check_version(version)
        if not self._exists(version, MANIFEST_FILE):
            raise ModelStoreError(f"No model version '{version}' at {self.location.url()}.")
        self.client.put_object(
            Bucket=self.location.bucket,
            Key=self.location.key(LATEST_KEY),
            Body=version.encode(),
            ContentType="text/plain",
        )


def upload_model(
    model_dir: str | Path, url: str, *, client: Any | None = None, set_latest: bool = True
) -> str:
    """Uploads a model directory to `s3://bucket/prefix`; returns its version name.
    Without `client`, a boto3 S3 client configured by the environment is made."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    return S3ModelStore(url, client).upload(Path(model_dir), set_latest=set_latest)
