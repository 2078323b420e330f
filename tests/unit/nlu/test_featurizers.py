"""Featurizers compute what Rasa's (sklearn-based) featurizers compute, without sklearn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stratus.nlu.featurizers.count_vectors import CountVectorsFeaturizer, _char_wb_ngrams
from stratus.nlu.featurizers.lexical_syntactic import LexicalSyntacticFeaturizer
from stratus.nlu.featurizers.regex_featurizer import RegexFeaturizer
from stratus.nlu.message import Message
from stratus.nlu.registry import fill_pipeline
from stratus.nlu.tokenizers import WhitespaceTokenizer
from stratus.shared.training_data.message import LookupTable, NluData, NluExample, RegexPattern


def config(name: str, **options: Any) -> dict[str, Any]:
    filled = fill_pipeline([{"name": "WhitespaceTokenizer"}, {"name": name, **options}])[1]
    return {k: v for k, v in filled.items() if k != "name"}


def messages(*texts: str) -> list[Message]:
    result = [Message(t) for t in texts]
    WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults)).process(result)
    return result


def data(*texts: str) -> NluData:
    return NluData(examples=tuple(NluExample(t, "x") for t in texts))


def test_char_wb_ngrams_match_sklearn() -> None:
    # sklearn: CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).build_analyzer()("hi")
    assert _char_wb_ngrams("hi", 1, 3) == [" ", "h", "i", " ", " h", "hi", "i ", " hi", "hi "]
    assert _char_wb_ngrams("a", 2, 4) == [" a", "a ", " a "]


def test_word_counts_per_token_and_sentence(tmp_path: Path) -> None:
    train = messages("hello hello world", "good bye")
    cvf = CountVectorsFeaturizer(config("CountVectorsFeaturizer"))
    cvf.fit(train, data())
    assert cvf.vocabulary == {"bye": 0, "good": 1, "hello": 2, "world": 3}
    test = messages("Hello there hello")
    cvf.process(test)
    block = test[0].sparse[0]
    assert block.sequence == [[(2, 1.0)], [], [(2, 1.0)]]
    assert block.sentence_row() == [(2, 2.0)]
    cvf.persist(tmp_path)
    loaded = CountVectorsFeaturizer.load(cvf.config, tmp_path)
    assert loaded.vocabulary == cvf.vocabulary


def test_numbers_and_oov_token() -> None:
    cvf = CountVectorsFeaturizer(
        config("CountVectorsFeaturizer", OOV_token="oov", OOV_words=["foo"])
    )
    cvf.fit(messages("call 123 now", "say foo"), data())
    assert "__number__" in cvf.vocabulary and "oov" in cvf.vocabulary
    test = messages("say something")
    cvf.process(test)
    assert test[0].sparse[0].sequence[1] == [(cvf.vocabulary["oov"], 1.0)]


def test_max_features_keeps_the_most_frequent() -> None:
    cvf = CountVectorsFeaturizer(config("CountVectorsFeaturizer", max_features=2))
    cvf.fit(messages("a b b c c c"), data())
    assert set(cvf.vocabulary) == {"b", "c"}


def test_lexical_syntactic_window_features() -> None:
    lsf = LexicalSyntacticFeaturizer(config("LexicalSyntacticFeaturizer"))
    train = messages("Hello world", "HI 42")
    lsf.fit(train, data())
    lsf.process(train)
    rows = train[0].sparse[0].sequence
    assert len(rows) == 2 and all(rows)
    assert train[0].sparse[0].sentence is None  # Rasa gives no sentence features here


def test_regex_featurizer_marks_overlapping_tokens() -> None:
    nlu = NluData(
        regexes=(RegexPattern("zip", r"\d{5}"),),
        lookup_tables=(LookupTable("city", ("new york", "berlin")),),
    )
    featurizer = RegexFeaturizer(config("RegexFeaturizer"))
    featurizer.fit([], nlu)
    test = messages("from new york to 12345")
    featurizer.process(test)
    block = test[0].sparse[0]
    assert block.sequence == [[], [(1, 1.0)], [(1, 1.0)], [], [(0, 1.0)]]
    assert block.sentence == [(0, 1.0), (1, 1.0)]


def test_sentence_row_equals_analysing_the_joined_text() -> None:
    train = messages("Hello there, general Kenobi!", "you are a bold one", "I don't like sand")
    for options in ({"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}, {}):
        cvf = CountVectorsFeaturizer(config("CountVectorsFeaturizer", **options))
        cvf.fit(train, data())
        test = messages("hello there you bold general", "", "sand sand  sand!")
        cvf.process(test)
        for message in test:
            joined = " ".join(cvf.token_texts(message))
            assert message.sparse[0].sentence_row() == cvf._row(joined)


def test_token_rows_follow_a_refitted_vocabulary() -> None:
    # Token rows are kept between messages; fitting again must not serve the old ones.
    cvf = CountVectorsFeaturizer(config("CountVectorsFeaturizer", analyzer="char_wb"))
    cvf.fit(messages("hello"), data())
    first = messages("hello")
    cvf.process(first)
    again = messages("hello hello")
    cvf.process(again)
    assert again[0].sparse[0].sequence == [first[0].sparse[0].sequence[0]] * 2
    cvf.fit(messages("yellow"), data())
    refitted = messages("hello")
    cvf.process(refitted)
    assert refitted[0].sparse[0].sequence[0] == cvf._row("hello")
    assert refitted[0].sparse[0].sequence != first[0].sparse[0].sequence


def test_lexical_syntactic_columns_follow_a_refitted_index() -> None:
    config_ = config("LexicalSyntacticFeaturizer")
    refitted = LexicalSyntacticFeaturizer(config_)
    refitted.fit(messages("hello World", "HI 42"), data())
    refitted.process(messages("hello World"))
    refitted.fit(messages("Hello world", "go 42 GO"), data())
    fresh = LexicalSyntacticFeaturizer(config_)
    fresh.fit(messages("Hello world", "go 42 GO"), data())
    a, b = messages("hello World 42"), messages("hello World 42")
    refitted.process(a)
    fresh.process(b)
    assert a[0].sparse[0].sequence == b[0].sparse[0].sequence


def test_lexical_syntactic_cells_are_kept_per_word_shape_not_per_word() -> None:
    # Cells depend on the window's feature values only: new words of a known shape reuse
    # them, and each row equals the one computed from the features directly.
    for features in (
        None,  # Rasa's default windows: booleans only
        [["suffix2", "low"], ["BOS", "EOS", "prefix2", "suffix3", "title", "digit"], ["upper"]],
    ):
        options = {} if features is None else {"features": features}
        lsf = LexicalSyntacticFeaturizer(config("LexicalSyntacticFeaturizer", **options))
        train = messages("Hello world", "HI 42 there", "book a table")
        lsf.fit(train, data())
        lsf.process(messages("Hello world"))
        seen = messages("Goodbye planet", "Hello there world 42", "a")
        lsf.process(seen)
        for message in seen:
            tokens, n = message.tokens, len(message.tokens)
            expected = []
            for anchor in range(n):
                row = []
                for position, relative in enumerate(lsf._offsets):
                    at = anchor + relative
                    if 0 <= at < n:
                        values = lsf._token_features(position, tokens[at], at == 0, at == n - 1)
                        found = (lsf.index.get(k, {}).get(v) for k, v in values.items())
                        row += [(col, 1.0) for col in sorted(c for c in found if c is not None)]
                expected.append(row)
            assert message.sparse[0].sequence == expected, message.text
    lsf = LexicalSyntacticFeaturizer(config("LexicalSyntacticFeaturizer"))
    lsf.fit(messages("Hello world"), data())
    lsf.process(messages("Hello world"))
    kept = len(lsf._cells_of)
    lsf.process(messages("Goodbye planet"))  # the shapes of "Hello world"
    assert len(lsf._cells_of) == kept
    assert set(lsf._shapes_of) == {"Hello", "world", "Goodbye", "planet"}


def test_kept_token_rows_share_their_cells() -> None:
    # A serving process keeps thousands of token rows: each cell with count 1 (nearly
    # all of them) is one shared tuple, not a tuple and a float per row.
    cvf = CountVectorsFeaturizer(
        config("CountVectorsFeaturizer", analyzer="char_wb", min_ngram=1, max_ngram=3)
    )
    cvf.fit(messages("booking books"), data())
    first, second = cvf._token_row("booking"), cvf._token_row("books")
    shared = set(first) & set(second)
    assert shared and all(any(a is b for b in second) for a in first if a in shared and a[1] == 1.0)
    assert first == sorted(first) and (cvf.vocabulary[" bo"], 1.0) in first
    assert (cvf.vocabulary["o"], 4.0) in cvf._token_row("boooo")  # counts above 1 kept
