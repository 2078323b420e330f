"""The working state of one message as it moves down the NLU pipeline.

Training and serving push the very same `Message` through the very same components, so
the features a model was trained on are the features it sees in the Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from stratus.shared.training_data.message import NluExample

# (column, value) pairs of one sparse row; columns are local to the featurizer that made them.
SparseRow = list[tuple[int, float]]


@dataclass(slots=True)
class Token:
    """A piece of the text with its character offsets (Rasa's `Token`)."""

    text: str
    start: int
    end: int
    lemma: str = ""

    def __post_init__(self) -> None:
        if not self.lemma:
            self.lemma = self.text


@dataclass(slots=True)
class SparseBlock:
    """What one sparse featurizer produced for one message: a row per token and one for the
    whole sentence (Rasa's sequence and sentence features)."""

    featurizer: str  # the featurizer's key in its pipeline (`3_CountVectorsFeaturizer`)
    dim: int
    sequence: list[SparseRow]
    sentence: SparseRow | None  # None: no sentence features, or see `sentence_sums_tokens`
    # The sentence row is the sum of the token rows (`sentence` is then None): the model's
    # embedding bag adds the cells up itself, so the sum is never built while parsing.
    sentence_sums_tokens: bool = False
    # Per token, a text its row depends on alone (CountVectors' cleaned token text), so a
    # model may keep what each word's row adds up to; None when rows read their context.
    keys: list[str] | None = None

    def sentence_row(self) -> SparseRow | None:
        """The sentence row with each column once, in column order."""
        if not self.sentence_sums_tokens:
            return self.sentence
        total: dict[int, float] = {}
        for row in self.sequence:
            for col, value in row:
                total[col] = total.get(col, 0.0) + value
        return sorted(total.items())


@dataclass(slots=True)
class DenseBlock:
    """Dense features of one message: `sequence` [tokens, dim] and `sentence` [dim]."""

    featurizer: str
    sequence: np.ndarray
    sentence: np.ndarray


@dataclass(slots=True)
class Message:
    """One user text plus everything the pipeline has learnt about it so far."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    tokenized: bool = False  # Rasa reports `text_tokens` only when a tokenizer ran
    sparse: list[SparseBlock] = field(default_factory=list)
    dense: list[DenseBlock] = field(default_factory=list)
    intent: dict[str, Any] | None = None
    intent_ranking: list[dict[str, Any]] | None = None
    entities: list[dict[str, Any]] | None = None
    response_selector: dict[str, Any] | None = None
    # Training only: the annotated example this message was made from.
    example: NluExample | None = None

    def output(self, original_text: str | None = None) -> dict[str, Any]:
        """Rasa's parse result for this message (the keys `/model/parse` returns)."""
        result: dict[str, Any] = {
            "text": self.text if original_text is None else original_text,
            "intent": self.intent or {"name": None, "confidence": 0.0},
            "entities": self.entities or [],
        }
        if self.tokenized:
            result["text_tokens"] = [[t.start, t.end] for t in self.tokens]
        if self.intent_ranking is not None:
            result["intent_ranking"] = self.intent_ranking
        if self.response_selector is not None:
            result["response_selector"] = self.response_selector
        return result
