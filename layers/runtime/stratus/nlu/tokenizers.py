"""Tokenizers with Rasa 3.6's exact splitting rules (offsets included)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, ClassVar

import regex  # Rasa splits with `regex`: its \w covers combining marks that `re`'s misses

from stratus.nlu.component import Component
from stratus.nlu.message import Message, Token

logger = logging.getLogger(__name__)

# Rasa's WhitespaceTokenizer: drop punctuation at word edges, but keep it inside numbers,
# e-mail addresses and URLs ("10'000.00", "bla@gmail.com").
_PUNCTUATION = regex.compile(
    r"[^\w#@&]+(?=\s|$)|"
    r"(\s|^)[^\w#@&]+(?=[^0-9\s])|"
    r"(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)
# Rasa's emoji class. The range U+24C2..U+1F251 is deliberately kept as wide as Rasa's
# (it also swallows CJK and Hangul tokens), because parity with Rasa is the contract.
_EMOJI = re.compile(
    "["
    "\U0001f600-\U0001f64f"
    "\U0001f300-\U0001f5ff"
    "\U0001f680-\U0001f6ff"
    "\U0001f1e0-\U0001f1ff"
    "\U00002702-\U000027b0"
    "\U000024c2-\U0001f251"
    "\u200d"
    "\u200c"
    "]+"
)
RESPONSE_KEY_SYMBOL = "/"


def words_to_tokens(words: list[str], text: str) -> list[Token]:
    """Locate each word in `text`, left to right (Rasa's `_convert_words_to_tokens`)."""
    tokens: list[Token] = []
    offset = 0
    for word in words:
        start = text.find(word, offset)
        if start < 0:  # cannot happen for words cut out of `text`; never crash on it
            continue
        offset = start + len(word)
        tokens.append(Token(word, start, offset))
    return tokens


class Tokenizer(Component):
    """Shared options: intent splitting and the optional `token_pattern` re-split."""

    defaults: ClassVar[dict[str, Any]] = {
        "intent_tokenization_flag": False,
        "intent_split_symbol": "_",
        "token_pattern": None,
        "prefix_separator_symbol": None,
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        pattern = config.get("token_pattern")
        self._token_pattern = re.compile(pattern) if pattern else None

    def words(self, text: str) -> list[str]:
        raise NotImplementedError

    def tokenize(self, text: str) -> list[Token]:
        """The tokens of `text`; at least one token, even for empty text (as Rasa)."""
        tokens = words_to_tokens(self.words(text), text)
        return self._apply_token_pattern(tokens)

    def split_intent(self, intent: str) -> list[Token]:
        """Tokens of an intent (or `intent/response_key`) name for label features."""
        prefix_symbol = self.config.get("prefix_separator_symbol")
        if prefix_symbol and prefix_symbol in intent:
            prefix, rest = intent.split(prefix_symbol, 1)
            parts = [prefix, *rest.split(RESPONSE_KEY_SYMBOL)]
        else:
            parts = intent.split(RESPONSE_KEY_SYMBOL)
        words: list[str] = []
        for part in parts:
            if self.config["intent_tokenization_flag"]:
                words.extend(w for w in part.split(self.config["intent_split_symbol"]) if w)
            else:
                words.append(part)
        return words_to_tokens(words, intent)

    def process(self, messages: list[Message]) -> None:
        for message in messages:
            message.tokens = self.tokenize(message.text)
            message.tokenized = True

    def _apply_token_pattern(self, tokens: list[Token]) -> list[Token]:
        if self._token_pattern is None:
            return tokens
        result: list[Token] = []
        for token in tokens:
            pieces = [
                p for p in self._token_pattern.findall(token.text) if isinstance(p, str) and p
            ]
            if not pieces:
                result.append(token)
                continue
            offset = 0
            for piece in pieces:
                at = token.text.find(piece, offset)
                if at < 0:
                    continue
                offset = at + len(piece)
                result.append(Token(piece, token.start + at, token.start + offset, token.lemma))
        return result


class WhitespaceTokenizer(Tokenizer):
    """Splits on whitespace and strips punctuation as Rasa 3.6 does; drops pure-emoji words."""

    name = "WhitespaceTokenizer"
    defaults: ClassVar[dict[str, Any]] = {
        **Tokenizer.defaults,
        # Rasa 3.6 moved this option to the featurizers and ignores it here (with a
        # warning); Stratus honours it by lower-casing token texts when it is False.
        "case_sensitive": True,
    }

    def words(self, text: str) -> list[str]:
        words = [w for w in _PUNCTUATION.sub(" ", text).split() if not _EMOJI.fullmatch(w)]
        # Rasa keeps the whole text as one token when nothing survives (":)" or "").
        return words or [text]

    def tokenize(self, text: str) -> list[Token]:
        tokens = super().tokenize(text)
        if not self.config.get("case_sensitive", True):
            for token in tokens:
                token.text = token.lemma = token.text.lower()
        return tokens


class JiebaTokenizer(Tokenizer):
    """Chinese word segmentation with jieba (the `zh` extra), as Rasa's JiebaTokenizer."""

    name = "JiebaTokenizer"
    defaults: ClassVar[dict[str, Any]] = {**Tokenizer.defaults, "dictionary_path": None}
    _DICTIONARY_DIR = "dictionary"

    def __init__(self, config: dict[str, Any], dictionary: Path | None = None) -> None:
        super().__init__(config)
        try:
            import jieba
        except ImportError as e:  # pragma: no cover - depends on the installed extras
            from stratus.shared.exceptions import ConfigError
            from stratus.shared.problems import Problem

            raise ConfigError(
                Problem(
                    "JiebaTokenizer needs the `jieba` package: pip install 'stratus[zh]'",
                    field="pipeline",
                )
            ) from e
        jieba.setLogLevel(logging.WARNING)
        # One jieba instance per component, so a custom dictionary never leaks between models.
        self._jieba = jieba.Tokenizer()
        given = config.get("dictionary_path")
        self._dictionary_files = _dictionary_files(
            dictionary if dictionary is not None else Path(given) if given else None
        )
        for path in self._dictionary_files:
            self._jieba.load_userdict(str(path))

    def tokenize(self, text: str) -> list[Token]:
        # Rasa keeps jieba's tokens as they come, whitespace included.
        tokens = [Token(w, s, e) for w, s, e in self._jieba.tokenize(text)]
        return self._apply_token_pattern(tokens)

    def persist(self, directory: Path) -> None:
        # The model carries its dictionary: serving never reads the training machine's path.
        if self._dictionary_files:
            target = directory / self._DICTIONARY_DIR
            target.mkdir(exist_ok=True)
            for i, path in enumerate(self._dictionary_files):
                (target / f"{i:03d}_{path.name}").write_bytes(path.read_bytes())

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> JiebaTokenizer:
        return cls(config, dictionary=directory / cls._DICTIONARY_DIR)


def _dictionary_files(path: Path | None) -> list[Path]:
    if path is None or not path.exists():
        return []
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file())
    return [path]
