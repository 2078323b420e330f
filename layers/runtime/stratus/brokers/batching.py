"""Delivery shared by the AWS brokers: size-bounded batches, retry of the entries
the service refused, dead letters for the rest.

A batch API (Kinesis PutRecords, EventBridge PutEvents) answers 200 even when some
entries failed, with one result per entry in request order; those with an error code
are retried with backoff if the code is transient, and dead-lettered otherwise or when
the attempts run out. A whole call that fails is retried the same way unless its error
says retrying cannot help (a missing stream, missing permissions).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stratus.brokers.base import JsonDict, RetryPolicy, chunks, event_payload
from stratus.brokers.dead_letter import DeadLetter, DeadLetterSink, LogDeadLetterSink

logger = logging.getLogger(__name__)

# Whole-call errors that no retry can fix.
PERMANENT_CALL_ERRORS = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ValidationException",
        "InvalidArgumentException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSNotFoundException",
        "KMSInvalidStateException",
        "NotAuthorized",
    }
)


@dataclass(frozen=True)
class Entry:
    """One event ready to send: the request entry and its size as the service counts it."""

    payload: JsonDict
    request: JsonDict
    size: int


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError; the exception's type name otherwise
    (connection errors and the like)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


class BatchingEventBroker(ABC):
    """An event broker over a batch-put API; subclasses say how to build and send."""

    max_batch_count: int
    max_batch_bytes: int
    max_entry_bytes: int
    retryable_codes: frozenset[str]

    def __init__(
        self,
        *,
        dead_letter: DeadLetterSink | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.dead_letter = dead_letter or LogDeadLetterSink()
        self.retry = retry or RetryPolicy()

    @property
    @abstractmethod
    def destination(self) -> str:
        """Names the target in logs and dead letters (`kinesis:<stream>`)."""

    @abstractmethod
    def _entry(self, sender_id: str, payload: JsonDict) -> Entry:
        """The request entry for one published event."""

    @abstractmethod
    def _send(self, requests: list[JsonDict]) -> list[str | None]:
        """Sends one batch; one error code (None: delivered) per request, in order.
        Raises whatever the client raises when the whole call fails."""

    def publish(
        self, sender_id: str, events: Sequence[JsonDict], *, model_id: str | None = None
    ) -> None:
        if not events:
            return
        payloads = [event_payload(sender_id, event, model_id) for event in events]
        try:
            self._deliver(sender_id, payloads)
        except Exception as e:  # publishing must never fail a committed turn
            logger.exception("Publishing to %s failed unexpectedly.", self.destination)
            self._bury(payloads, f"unexpected error: {type(e).__name__}: {e}")

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract one
        """Nothing is buffered: every publish is sent before it returns."""

    def _deliver(self, sender_id: str, payloads: list[JsonDict]) -> None:
        pending: list[Entry] = []
        letters: list[DeadLetter] = []
        for payload in payloads:
            entry = self._entry(sender_id, payload)
            if entry.size > self.max_entry_bytes:
                letters.append(
                    self._letter(payload, f"event of {entry.size} bytes exceeds the limit")
                )
            else:
                pending.append(entry)
        last_error = ""
        for _ in self.retry.pauses() if pending else ():
            retry: list[Entry] = []
            batches = chunks([e.size for e in pending], self.max_batch_count, self.max_batch_bytes)
            for batch in batches:
                entries = [pending[i] for i in batch]
                try:
                    codes = self._send([entry.request for entry in entries])
                except Exception as e:  # the client's own errors and connection failures
                    code = error_code(e)
                    last_error = f"{code}: {e}"
                    if code in PERMANENT_CALL_ERRORS:
                        letters.extend(self._letter(x.payload, last_error) for x in entries)
                    else:
                        retry.extend(entries)
                    continue
                for entry, failed in zip(entries, codes, strict=True):
                    if failed is None:
                        continue
                    last_error = failed
                    if failed in self.retryable_codes:
                        retry.append(entry)
                    else:
                        letters.append(self._letter(entry.payload, failed))
            if retry:
                logger.warning(
                    "%s refused %d of the events (%s); retrying.",
                    self.destination,
                    len(retry),
                    last_error,
                )
            pending = retry
            if not pending:
                break
        letters.extend(
            self._letter(
                entry.payload, f"gave up after {self.retry.attempts} attempts: {last_error}"
            )
            for entry in pending
        )
        if letters:
            self.dead_letter.send(letters)

    def _letter(self, payload: JsonDict, reason: str) -> DeadLetter:
        return DeadLetter(self.destination, reason, payload)

    def _bury(self, payloads: list[JsonDict], reason: str) -> None:
        try:
            self.dead_letter.send([self._letter(p, reason) for p in payloads])
        except Exception:  # a sink must not raise, but a custom one might
            logger.exception("The dead-letter sink failed too; %d event(s) lost.", len(payloads))


def client_error_code(response: Any) -> str | None:
    """Per-entry error code of a batch response entry (None when it was delivered)."""
    if not isinstance(response, dict):
        return "MissingResult"
    code = response.get("ErrorCode")
    return str(code) if code else None
