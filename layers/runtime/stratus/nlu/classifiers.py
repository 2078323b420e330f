"""Rule-based intent components: KeywordIntentClassifier and FallbackClassifier."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.message import Message
from stratus.shared.training_data.message import NluData

logger = logging.getLogger(__name__)

KEYWORDS_FILE = "keywords.json"
FALLBACK_INTENT = "nlu_fallback"


def keyword_pattern(keyword: str, flags: int) -> re.Pattern[str]:
    """Rasa matches a keyword as a regular expression between word boundaries (so "What is
    your name?" also matches "what is your nam"); a keyword that is not a valid regex, such
    as "c++", is matched literally instead of breaking the classifier."""
    try:
        return re.compile(r"\b" + keyword + r"\b", flags)
    except re.error:
        return re.compile(r"\b" + re.escape(keyword) + r"\b", flags)


class KeywordIntentClassifier(Component):
    """An intent whenever one of its examples occurs, as a whole word, in the message."""

    name = "KeywordIntentClassifier"
    defaults: ClassVar[dict[str, Any]] = {"case_sensitive": True}

    def __init__(self, config: dict[str, Any], keywords: dict[str, str] | None = None):
        super().__init__(config)
        self.keywords: dict[str, str] = keywords or {}
        self._compile()

    def _compile(self) -> None:
        flags = 0 if self.config["case_sensitive"] else re.IGNORECASE
        self._patterns = [
            (keyword_pattern(k, flags), intent) for k, intent in self.keywords.items()
        ]

    def fit(self, messages: list[Message], data: NluData) -> None:
        keywords: dict[str, str] = {}
        duplicates: set[str] = set()
        for ex in data.examples:
            if not ex.intent:
                continue
            if ex.text in keywords and keywords[ex.text] != ex.intent:
                logger.warning(
                    "Keyword '%s' triggers intents '%s' and '%s'; it is removed from both.",
                    ex.text,
                    keywords[ex.text],
                    ex.intent,
                )
                duplicates.add(ex.text)
            else:
                keywords[ex.text] = ex.intent
        for text in duplicates:
            keywords.pop(text, None)
        flags = 0 if self.config["case_sensitive"] else re.IGNORECASE
        ambiguous = {
            k1
            for k1, i1 in keywords.items()
            for k2, i2 in keywords.items()
            if i1 != i2 and keyword_pattern(k1, flags).search(k2)
        }
        for keyword in sorted(ambiguous):
            logger.warning(
                "Keyword '%s' of intent '%s' also occurs in a keyword of another intent; "
                "it is removed.",
                keyword,
                keywords[keyword],
            )
            keywords.pop(keyword)
        self.keywords = keywords
        self._compile()

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            intent = next((i for p, i in self._patterns if p.search(message.text)), None)
            if message.intent is None or intent is not None:
                message.intent = {"name": intent, "confidence": 0.0 if intent is None else 1.0}

    def persist(self, directory: Path) -> None:
        write_json(directory / KEYWORDS_FILE, self.keywords)

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> KeywordIntentClassifier:
        return cls(config, read_json(directory / KEYWORDS_FILE))


class FallbackClassifier(Component):
    """`nlu_fallback` when the top intent is unsure or too close to the runner-up."""

    name = "FallbackClassifier"
    defaults: ClassVar[dict[str, Any]] = {"threshold": 0.3, "ambiguity_threshold": 0.1}

    def _should_fall_back(self, message: Message) -> bool:
        confidence = (message.intent or {}).get("confidence") or 0.0
        if confidence < self.config["threshold"]:
            return True
        ranking = message.intent_ranking or []
        if len(ranking) >= 2:
            first = ranking[0].get("confidence", 1.0)
            second = ranking[1].get("confidence", 1.0)
            return bool(first - second < self.config["ambiguity_threshold"])
        return False

    def process(self, messages: list[Message]) -> None:
        threshold = self.config["threshold"]
        for message in messages:
            if not self._should_fall_back(message):
                continue
            # Rasa reports the threshold itself as the fallback's confidence.
            message.intent = {"name": FALLBACK_INTENT, "confidence": threshold}
            message.intent_ranking = [
                {"name": FALLBACK_INTENT, "confidence": threshold},
                *(message.intent_ranking or []),
            ]
