"""Outbound calls to the messaging platforms: one small interface, one stdlib client.

The channels post JSON and read JSON back; nothing more is needed, so the Lambda
layer carries no HTTP library of its own. Retries are bounded: connection errors,
429 (after its Retry-After) and 5xx are tried again, anything else is final.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from typing import Any, Protocol

from stratus.shared.exceptions import StratusError

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]


class ChannelDeliveryError(StratusError):
    """A platform API could not be reached, or kept failing, after the retries."""


@dataclass(frozen=True)
class PlatformResponse:
    """A platform's answer: the HTTP status and its JSON body (`{}` if not JSON)."""

    status: int
    body: JsonDict

    @property
    def ok(self) -> bool:
        return HTTPStatus.OK <= self.status < HTTPStatus.MULTIPLE_CHOICES


class ChannelClient(Protocol):
    """Posts JSON to a platform API and returns its answer (any status).

    Raises ChannelDeliveryError only when no final answer could be had (connection
    errors, 429 or 5xx through all attempts)."""

    def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> PlatformResponse: ...


class UrllibChannelClient:
    """ChannelClient over urllib with a per-attempt timeout and bounded retries.

    `max_attempts` counts the first try. Backoff doubles from `backoff_seconds`; a 429's
    `Retry-After` (or Telegram's `parameters.retry_after`) is honoured up to
    `max_retry_after_seconds`, beyond which waiting would outlive the turn, so it fails.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        max_retry_after_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self.sleep = sleep

    def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> PlatformResponse:
        data = json.dumps(body).encode("utf-8")
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            wait = self.backoff_seconds * 2 ** (attempt - 1)
            try:
                response = self._post_once(url, data, all_headers)
            except (urllib.error.URLError, OSError) as e:
                problem = f"connection failed: {getattr(e, 'reason', e)}"
            else:
                if response.status == HTTPStatus.TOO_MANY_REQUESTS:
                    retry_after = _retry_after(response)
                    if retry_after is not None:
                        if retry_after > self.max_retry_after_seconds:
                            raise ChannelDeliveryError(
                                f"{_where(url)} asked to retry after {retry_after:g} s, "
                                f"longer than the {self.max_retry_after_seconds:g} s allowed."
                            )
                        wait = retry_after
                    problem = "429 Too Many Requests"
                elif response.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
                    problem = f"status {response.status}"
                else:
                    return PlatformResponse(response.status, response.body)
            if attempt < self.max_attempts:
                logger.warning(
                    "%s: %s (attempt %d of %d); retrying in %.2f s.",
                    _where(url),
                    problem,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                self.sleep(wait)
        raise ChannelDeliveryError(
            f"{_where(url)}: {problem} after {self.max_attempts} attempt(s)."
        )

    def _post_once(self, url: str, data: bytes, headers: Mapping[str, str]) -> _RawResponse:
        request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                return _RawResponse(response.status, response.headers, response.read())
        except urllib.error.HTTPError as e:  # 4xx/5xx still carry a body worth reading
            with e:
                return _RawResponse(e.code, e.headers, e.read())


@dataclass(frozen=True)
class _RawResponse:
    status: int
    headers: Message
    raw: bytes

    @property
    def body(self) -> JsonDict:
        try:
            value = json.loads(self.raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return value if isinstance(value, dict) else {"result": value}


def _retry_after(response: _RawResponse) -> float | None:
    header = response.headers.get("Retry-After") if response.headers else None
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            return None  # an HTTP date: fall back to the backoff
    parameters = response.body.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
        return max(0.0, float(parameters["retry_after"]))
    return None


def _where(url: str) -> str:
    """The URL without its query or secrets in the path (Telegram puts the token there)."""
    base = url.split("?", 1)[0]
    parts = base.split("/")
    return "/".join("bot***" if part.startswith("bot") and ":" in part else part for part in parts)
