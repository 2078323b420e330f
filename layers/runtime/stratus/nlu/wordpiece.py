"""BERT's WordPiece tokenizer in pure Python, so that serving needs no `transformers`.

Two steps, as in BERT's reference `BertTokenizer`: basic tokenization (clean control
characters, space out CJK ideographs, lower-case and strip accents, split on whitespace
and punctuation), then greedy longest-match-first word pieces, continuations marked `##`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

UNK, CLS, SEP, PAD = "[UNK]", "[CLS]", "[SEP]", "[PAD]"
# BERT gives up on (and emits [UNK] for) words longer than this many characters.
MAX_CHARS_PER_WORD = 100


def load_vocab(path: Path) -> dict[str, int]:
    """vocab.txt: one piece per line, its id being its line number."""
    pieces = path.read_text("utf-8").split("\n")
    if pieces and pieces[-1] == "":
        pieces.pop()
    return {piece.rstrip("\r"): i for i, piece in enumerate(pieces)}


def _is_whitespace(char: str) -> bool:
    if char in " \t\n\r":
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":  # whitespace for BERT, not control
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def _is_punctuation(char: str) -> bool:
    # BERT treats every non-alphanumeric ASCII character as punctuation ("$", "^", "`").
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class WordPieceTokenizer:
    """Text -> word pieces -> vocabulary ids, exactly as an uncased BERT tokenizer does."""

    def __init__(
        self, vocab: dict[str, int], lowercase: bool = True, strip_accents: bool | None = None
    ) -> None:
        if UNK not in vocab:
            raise ValueError(f"the vocabulary has no {UNK} piece")
        self.vocab = vocab
        self.lowercase = lowercase
        # BERT's default: accents go with lower-casing unless set explicitly.
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.unk_id = vocab[UNK]

    def basic_tokens(self, text: str) -> list[str]:
        """Words and punctuation marks, before word pieces."""
        cleaned = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                cleaned.append(" ")
            elif _is_cjk(cp):
                cleaned.append(f" {char} ")
            else:
                cleaned.append(char)
        tokens: list[str] = []
        for word in "".join(cleaned).split():
            if self.lowercase:
                word = word.lower()
            if self.strip_accents:
                word = _strip_accents(word)
            tokens.extend(self._split_punctuation(word))
        return tokens

    @staticmethod
    def _split_punctuation(word: str) -> list[str]:
        pieces: list[str] = []
        current: list[str] = []
        for char in word:
            if _is_punctuation(char):
                if current:
                    pieces.append("".join(current))
                    current = []
                pieces.append(char)
            else:
                current.append(char)
        if current:
            pieces.append("".join(current))
        return pieces

    def word_pieces(self, word: str) -> list[str]:
        """Greedy longest match first; a word with any unmatchable rest is [UNK] whole."""
        if len(word) > MAX_CHARS_PER_WORD:
            return [UNK]
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else f"##{word[start:end]}"
                if piece in self.vocab:
                    found = piece
                    break
                end -= 1
            if found is None:
                return [UNK]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        return [p for word in self.basic_tokens(text) for p in self.word_pieces(word)]

    def encode(self, text: str) -> list[int]:
        """Vocabulary ids of the pieces of `text`, without [CLS] and [SEP]."""
        return [self.vocab.get(p, self.unk_id) for p in self.tokenize(text)]

    def id_of(self, piece: str) -> int:
        return self.vocab[piece]
