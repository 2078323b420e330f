"""CountVectorsFeaturizer: bag of words / character n-grams, per token and per sentence.

Rasa wraps scikit-learn's CountVectorizer; this is the same arithmetic in plain Python
(a vocabulary dict and counts), so serving needs neither sklearn nor scipy.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.message import Message, SparseBlock, SparseRow
from stratus.shared.training_data.message import NluData

logger = logging.getLogger(__name__)

_WORD = re.compile(r"(?u)\b\w+\b")  # Rasa's token_pattern for the word analyzer
_NUMBER = re.compile(r"\b[0-9]+\b")
_WHITE_SPACES = re.compile(r"\s\s+")
_HAS_SPACE = re.compile(r"\s")
NUMBER_TOKEN = "__NUMBER__"
VOCABULARY_FILE = "vocabulary.json"
# Token rows kept for reuse: words repeat from message to message (a char_wb 1-4 row costs
# ~20 us to build), and a full cache starts over. A kept row holds references to shared
# cells (`_cell`), ~0.4 KB for a word's ~40 n-grams; with a cell of its own per n-gram it
# was ~4.5 KB (a SNIPS model serving 48,000 texts with 20,000 distinct words grew by
# 25 MB then, 14 MB now).
TOKEN_ROWS_KEPT = 8192


def _strip_accents_unicode(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(c for c in normalized if not unicodedata.combining(c))


def _strip_accents_ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


def _word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    if hi == 1:
        return tokens
    grams = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    grams = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(text) + 1)):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def _char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < len(w):
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once (as sklearn does)
                break
    return grams


class CountVectorsFeaturizer(Component):
    """Counts of the words (or character n-grams) of each token and of the whole sentence."""

    name = "CountVectorsFeaturizer"
    defaults: ClassVar[dict[str, Any]] = {
        "alias": None,
        "use_shared_vocab": False,
        "analyzer": "word",
        "strip_accents": None,
        "stop_words": None,
        "min_df": 1,
        "max_df": 1.0,
        "min_ngram": 1,
        "max_ngram": 1,
        "max_features": None,
        "lowercase": True,
        "OOV_token": None,
        "OOV_words": [],
        "use_lemma": True,
        "additional_vocabulary_size": {"text": None, "response": None, "action_text": None},
    }
    # Rasa 2 options that Rasa 3.6 silently ignores (its word pattern is fixed).
    ignored_options = frozenset({"token_pattern"})

    def __init__(self, config: dict[str, Any], vocabulary: dict[str, int] | None = None) -> None:
        super().__init__(config)
        self.vocabulary: dict[str, int] = vocabulary or {}
        lowercase = bool(config["lowercase"])
        oov = config.get("OOV_token")
        self.oov_token: str | None = oov.lower() if (oov and lowercase) else oov
        words = config.get("OOV_words") or []
        if isinstance(words, str):
            words = [words]
        self.oov_words = {w.lower() if lowercase else w for w in words}
        if config["analyzer"] != "word":
            self.oov_token = None  # Rasa: OOV handling only applies to the word analyzer
        self._analyze = self._build_analyzer()
        # token text -> its row; rows are shared between messages and never mutated
        self._token_rows: dict[str, SparseRow] = {}
        # column -> the cell (column, 1.0), the count nearly every n-gram has in a row
        self._single: dict[int, tuple[int, float]] = {}
        # When no n-gram can span two tokens, the sentence row is the sum of the token rows:
        # the same numbers as analysing the joined text, for half the work on the hot path.
        self._sentence_is_sum = config["analyzer"] == "char_wb" or (
            config["analyzer"] == "word" and int(config["max_ngram"]) == 1
        )

    # -- analysis (what sklearn's build_analyzer does) --------------------------------------

    def _build_analyzer(self) -> Callable[[str], list[str]]:
        cfg = self.config
        lowercase = bool(cfg["lowercase"])
        accents: Callable[[str], str] | None = {
            "ascii": _strip_accents_ascii,
            "unicode": _strip_accents_unicode,
        }.get(cfg.get("strip_accents") or "")
        lo, hi = int(cfg["min_ngram"]), int(cfg["max_ngram"])
        analyzer = cfg["analyzer"]
        stop_words = set(cfg.get("stop_words") or []) if analyzer == "word" else set()

        def preprocess(text: str) -> str:
            if lowercase:
                text = text.lower()
            return accents(text) if accents else text

        if analyzer == "char":
            return lambda text: _char_ngrams(preprocess(text), lo, hi)
        if analyzer == "char_wb":
            return lambda text: _char_wb_ngrams(preprocess(text), lo, hi)

        def words(text: str) -> list[str]:
            tokens = _WORD.findall(preprocess(text))
            if stop_words:
                tokens = [t for t in tokens if t not in stop_words]
            return _word_ngrams(tokens, lo, hi)

        return words

    def token_texts(self, message: Message) -> list[str]:
        """Token texts after Rasa's cleaning: lemma, numbers, lower case, OOV."""
        use_lemma = self.config["use_lemma"]
        texts = [t.lemma if use_lemma else t.text for t in message.tokens]
        texts = [_NUMBER.sub(NUMBER_TOKEN, t) for t in texts]
        if self.config["lowercase"]:
            texts = [t.lower() for t in texts]
        if self.oov_token:
            if self.vocabulary and self.oov_token in self.vocabulary:
                texts = [t if t in self.vocabulary else self.oov_token for t in texts]
            elif self.oov_words:  # training: the listed words stand for unseen ones
                texts = [self.oov_token if t in self.oov_words else t for t in texts]
        return texts

    def _row(self, text: str) -> SparseRow:
        vocabulary = self.vocabulary
        counts = Counter(g for g in self._analyze(text) if g in vocabulary)
        return sorted(self._cell(vocabulary[g], c) for g, c in counts.items())

    def _cell(self, column: int, count: int) -> tuple[int, float]:
        if count != 1:
            return (column, float(count))
        cell = self._single.get(column)
        if cell is None:
            cell = self._single[column] = (column, 1.0)
        return cell

    def _token_row(self, text: str) -> SparseRow:
        row = self._token_rows.get(text)
        if row is None:
            if len(self._token_rows) >= TOKEN_ROWS_KEPT:
                self._token_rows.clear()
            row = self._token_rows[text] = self._row(text)
        return row

    # -- training -----------------------------------------------------------------------------

    def fit(self, messages: list[Message], data: NluData) -> None:
        documents = [" ".join(self.token_texts(m)) for m in messages if m.tokens]
        self.vocabulary = self._fit_vocabulary(documents)
        self._token_rows.clear()
        self._single.clear()
        if self.oov_token and self.oov_token not in self.vocabulary and not self.oov_words:
            logger.warning(
                "The out of vocabulary token '%s' was configured, but it does not appear in "
                "the training data; unseen words will be ignored.",
                self.oov_token,
            )
        logger.info("%d vocabulary items were created for text attribute.", len(self.vocabulary))

    def _fit_vocabulary(self, documents: list[str]) -> dict[str, int]:
        df: Counter[str] = Counter()
        tf: Counter[str] = Counter()
        for doc in documents:
            grams = self._analyze(doc)
            tf.update(grams)
            df.update(set(grams))
        n = len(documents)
        max_df, min_df = self.config["max_df"], self.config["min_df"]
        max_count = max_df if isinstance(max_df, int) else max_df * n
        min_count = min_df if isinstance(min_df, int) else min_df * n
        terms = [t for t, d in df.items() if min_count <= d <= max_count]
        max_features = self.config.get("max_features")
        if max_features:
            # Most frequent first; ties by term so that training is deterministic.
            terms = sorted(terms, key=lambda t: (-tf[t], t))[: int(max_features)]
        if not terms and documents:
            logger.warning(
                "CountVectorsFeaturizer (%s) learnt no vocabulary; it adds no features.", self.alias
            )
        return {t: i for i, t in enumerate(sorted(terms))}

    # -- inference ----------------------------------------------------------------------------

    def process(self, messages: list[Message]) -> None:
        dim = len(self.vocabulary)
        if not dim:
            return
        for message in messages:
            if not message.tokens:
                continue
            texts = self.token_texts(message)
            sequence = [self._token_row(t) for t in texts]
            if self._sentence_is_sum and not any(_HAS_SPACE.search(t) for t in texts):
                block = SparseBlock(
                    self.key, dim, sequence, None, sentence_sums_tokens=True, keys=texts
                )
            else:
                sentence = self._row(" ".join(texts))
                block = SparseBlock(self.key, dim, sequence, sentence, keys=texts)
            message.sparse.append(block)

    def persist(self, directory: Path) -> None:
        write_json(directory / VOCABULARY_FILE, self.vocabulary)

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> CountVectorsFeaturizer:
        return cls(config, read_json(directory / VOCABULARY_FILE))
