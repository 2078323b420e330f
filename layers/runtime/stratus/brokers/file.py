"""The local event broker: JSON lines appended to a file (`stratus run`, tests).

Rasa's FileEventBroker (`type: file`, `path`) writes the same lines: one published
event (`{**event, "sender_id": ...}`) per line.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from stratus.brokers.base import JsonDict, event_payload, to_json
from stratus.brokers.dead_letter import DeadLetter, DeadLetterSink, LogDeadLetterSink

logger = logging.getLogger(__name__)

DEFAULT_EVENTS_FILE = Path(".stratus") / "events.jsonl"


class FileEventBroker:
    """Appends each published event as a JSON line to `path` (parents are created)."""

    def __init__(self, path: Path, *, dead_letter: DeadLetterSink | None = None) -> None:
        self.path = path
        self.dead_letter = dead_letter or LogDeadLetterSink()
        self._lock = threading.Lock()

    def publish(
        self, sender_id: str, events: Sequence[JsonDict], *, model_id: str | None = None
    ) -> None:
        if not events:
            return
        payloads = [event_payload(sender_id, event, model_id) for event in events]
        # one write per turn: concurrent writers in append mode do not interleave lines
        text = "".join(to_json(payload) + "\n" for payload in payloads)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            reason = f"cannot write {self.path}: {e}"
            self.dead_letter.send([DeadLetter(f"file:{self.path}", reason, p) for p in payloads])

    def close(self) -> None:
        """Nothing is kept open between publishes."""


def read_events_file(path: Path) -> list[JsonDict]:
    """The events a FileEventBroker wrote, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
