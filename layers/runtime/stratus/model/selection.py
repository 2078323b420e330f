"""A/B split between two model versions, stable per conversation.

    ModelSelector.parse("20261122-a")          # everyone gets one version
    ModelSelector.parse("20261122-a,20261123-b=10")  # 10 % of conversations get b

A conversation's share is `sha256(conversation id) mod 100`, so it keeps its version
for its whole life and across containers; raising the percentage only moves
conversations from the primary to the candidate, never back. The version that served
a turn is recorded on its published events as `metadata.model_id` (the processor's
`model_id`), which is what the stream metrics group by.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stratus.model.store import ModelStoreError, check_version


def share_of(conversation_id: str) -> int:
    """0-99, fixed for a conversation id."""
    digest = hashlib.sha256(conversation_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100


@dataclass(frozen=True)
class ModelSelector:
    """`candidate` serves `percent` % of conversations, `primary` the rest."""

    primary: str
    candidate: str | None = None
    percent: int = 0

    def __post_init__(self) -> None:
        check_version(self.primary, "primary model version")
        if self.candidate is not None:
            check_version(self.candidate, "candidate model version")
        if isinstance(self.percent, bool) or not isinstance(self.percent, int):
            raise ModelStoreError(f"percent: must be a whole number, not {self.percent!r}.")
        if not 0 <= self.percent <= 100:
            raise ModelStoreError(f"percent: must be from 0 to 100, not {self.percent}.")
        if self.candidate is None and self.percent:
            raise ModelStoreError("percent: a split needs a candidate version.")

    @classmethod
    def parse(cls, value: str, field: str = "model version") -> ModelSelector:
        """`primary` or `primary,candidate=percent` (e.g. an SSM parameter's value)."""
        primary, _, rest = value.strip().partition(",")
        if not rest:
            return cls(primary.strip())
        candidate, sep, percent = rest.partition("=")
        if not sep or not percent.strip().isdigit():
            raise ModelStoreError(
                f"{field}: '{value}' must be 'primary' or 'primary,candidate=percent'."
            )
        return cls(primary.strip(), candidate.strip(), int(percent))

    @property
    def versions(self) -> list[str]:
        """The versions to load (one, or two when splitting)."""
        if self.candidate is None or self.percent == 0:
            return [self.primary]
        if self.percent == 100:
            return [self.candidate]
        return [self.primary, self.candidate]

    def choose(self, conversation_id: str) -> str:
        """The version that serves this conversation."""
        if self.candidate is not None and share_of(conversation_id) < self.percent:
            return self.candidate
        return self.primary
