"""Where events go that a broker could not deliver after its retries.

Every dead letter is logged (count and reason at ERROR). A sink that itself fails
logs the undeliverable events' JSON, so the last copy ends up in the function's logs
rather than nowhere; a sink never raises.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stratus.brokers.base import JsonDict, chunks, to_json

logger = logging.getLogger(__name__)

# SQS: at most 10 messages and 256 KiB per SendMessageBatch (the classic limits; safe
# on every queue).
SQS_MAX_BATCH = 10
SQS_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class DeadLetter:
    """One event that did not reach `destination` (e.g. `kinesis:events`), and why."""

    destination: str
    reason: str
    payload: JsonDict

    def as_dict(self) -> JsonDict:
        return {"destination": self.destination, "reason": self.reason, "payload": self.payload}


class DeadLetterSink(Protocol):
    """Takes undeliverable events; never raises."""

    def send(self, letters: Sequence[DeadLetter]) -> None: ...


def _log_lost(letters: Sequence[DeadLetter], why: str) -> None:
    for letter in letters:
        logger.error("Event lost (%s): %s", why, to_json(letter.as_dict()))


def _announce(letters: Sequence[DeadLetter], where: str) -> None:
    reasons = sorted({letter.reason for letter in letters})
    logger.error(
        "%d event(s) for %s could not be delivered (%s); sent to %s.",
        len(letters),
        letters[0].destination,
        "; ".join(reasons),
        where,
    )


class LogDeadLetterSink:
    """The fallback sink: the events' JSON in the log, nothing else."""

    def send(self, letters: Sequence[DeadLetter]) -> None:
        if letters:
            _announce(letters, "the log")
            _log_lost(letters, "no dead-letter queue configured")


class FileDeadLetterSink:
    """JSON lines appended to a local file (development, tests, `stratus run`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        _announce(letters, str(self.path))
        lines = "".join(to_json(letter.as_dict()) + "\n" for letter in letters)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as f:
                f.write(lines)
        except OSError as e:
            _log_lost(letters, f"cannot write {self.path}: {e}")


class SqsDeadLetterSink:
    """An SQS queue (`dead_letter_queue_url`), written with SendMessageBatch."""

    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self.client = client

    def send(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        _announce(letters, self.queue_url)
        bodies = [to_json(letter.as_dict()) for letter in letters]
        for batch in chunks([len(b.encode()) for b in bodies], SQS_MAX_BATCH, SQS_MAX_BYTES):
            entries = [{"Id": str(i), "MessageBody": bodies[i]} for i in batch]
            try:
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as e:  # any client or network error: the log keeps the events
                _log_lost([letters[i] for i in batch], f"SQS send failed: {type(e).__name__}: {e}")
                continue
            failed = response.get("Failed") or []
            if failed:
                why = "; ".join(sorted({str(f.get("Code")) for f in failed}))
                _log_lost([letters[int(f["Id"])] for f in failed], f"SQS refused: {why}")


def read_dead_letters(path: Path) -> list[JsonDict]:
    """The dead letters a FileDeadLetterSink wrote (for tools and tests)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
