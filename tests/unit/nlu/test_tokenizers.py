"""Tokenizers split exactly as Rasa 3.6 does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.nlu.registry import fill_pipeline
from stratus.nlu.tokenizers import JiebaTokenizer, WhitespaceTokenizer

DATA = Path(__file__).parent / "data"


def whitespace(**options: object) -> WhitespaceTokenizer:
    config = fill_pipeline([{"name": "WhitespaceTokenizer", **options}])[0]
    return WhitespaceTokenizer({k: v for k, v in config.items() if k != "name"})


def test_matches_rasa_on_naughty_strings() -> None:
    tokenizer = whitespace()
    cases = json.loads((DATA / "rasa_whitespace_tokens.json").read_text("utf-8"))
    assert len(cases) > 500
    for text, expected in cases:
        got = [[t.text, t.start, t.end] for t in tokenizer.tokenize(text)]
        assert got == expected, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world!", ["Hello", "world"]),
        ("send 10,000.50 to bla@gmail.com", ["send", "10,000.50", "to", "bla@gmail.com"]),
        (":)", [":)"]),  # nothing left: the whole text is one token
        ("", [""]),
        ("hey 😀 you", ["hey", "you"]),
    ],
)
def test_whitespace_rules(text: str, expected: list[str]) -> None:
    assert [t.text for t in whitespace().tokenize(text)] == expected


def test_case_sensitive_false_lowercases_tokens() -> None:
    tokens = whitespace(case_sensitive=False).tokenize("Hello World")
    assert [(t.text, t.start, t.end) for t in tokens] == [("hello", 0, 5), ("world", 6, 11)]


def test_token_pattern_splits_further() -> None:
    tokens = whitespace(token_pattern=r"(?u)\b\w+\b").tokenize("state-of-the-art")
    assert [(t.text, t.start) for t in tokens] == [("state", 0), ("of", 6), ("the", 9), ("art", 13)]


def test_intent_split() -> None:
    assert [t.text for t in whitespace().split_intent("mood_great")] == ["mood_great"]
    flagged = whitespace(intent_tokenization_flag=True)
    assert [t.text for t in flagged.split_intent("faq/ask_name")] == ["faq", "ask", "name"]


def test_jieba_segments_chinese() -> None:
    pytest.importorskip("jieba")
    tokenizer = JiebaTokenizer(dict(JiebaTokenizer.defaults))
    tokens = tokenizer.tokenize("我想去北京")
    assert "".join(t.text for t in tokens) == "我想去北京"
    assert all("我想去北京"[t.start : t.end] == t.text for t in tokens)
    assert len(tokens) > 1
