"""The engine's sparse input layer computes what the network's first layers compute."""

from __future__ import annotations

import sys
from pathlib import Path
from threading import Thread

import numpy as np
import pytest

from stratus.nlu import input_layer
from stratus.nlu.features import MASK, SENT_IN, SEQ_IN, FeatureLayout
from stratus.nlu.input_layer import SparseInputLayer, layer_inputs
from stratus.nlu.message import Message, SparseBlock, SparseRow, Token

LAYOUT = FeatureLayout((("lexical", 4), ("words", 6), ("regex", 2)))
UNITS = 3


def _weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    dim = LAYOUT.sparse_dim
    return {  # the token kernel, then the sentence kernel
        "kernel": rng.normal(size=(dim, 2 * UNITS)).astype(np.float32),
        "seq_bias": rng.normal(size=UNITS).astype(np.float32),
        "sent_bias": rng.normal(size=UNITS).astype(np.float32),
    }


WORDS: dict[str, SparseRow] = {"hi": [(0, 1.0), (3, 1.0)], "there": [(1, 1.0)], "you": [(5, 2.0)]}


def _message(words: list[str], rows: dict[str, SparseRow] = WORDS) -> Message:
    """Words looked up per word (their sentence row is the sum of theirs), a lexical
    block that reads context (no sentence row), a regex block with a sentence row."""
    message = Message(" ".join(words), tokens=[Token(w, 0, 0) for w in words])
    message.sparse = [
        SparseBlock("lexical", 4, [[(t % 4, 1.0), (3, 0.5)] for t in range(len(words))], None),
        SparseBlock("words", 6, [rows[w] for w in words], None, True, keys=list(words)),
        SparseBlock("regex", 2, [[(1, 1.0)] if w == "hi" else [] for w in words], [(1, 1.0)]),
        SparseBlock("unread", 9, [[(0, 1.0)] for _ in words], [(0, 1.0)]),  # not in layout
    ]
    return message


def _three_messages() -> list[Message]:
    """Three, two and one tokens: one padded batch with shared and distinct words."""
    return [_message(["hi", "there", "you"]), _message(["you"]), _message(["there", "hi"])]


def _dense(message: Message, weights: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The first layers as matrices: one dense feature row per token and for the sentence."""
    offsets = LAYOUT.offsets()
    tokens = np.zeros((len(message.tokens), LAYOUT.sparse_dim), dtype=np.float32)
    sentence = np.zeros(LAYOUT.sparse_dim, dtype=np.float32)
    for block in message.sparse:
        if block.featurizer not in offsets:
            continue
        base = offsets[block.featurizer]
        for t, row in enumerate(block.sequence):
            for column, value in row:
                tokens[t, base + column] += value
        for column, value in block.sentence_row() or []:
            sentence[base + column] += value
    return (
        tokens @ weights["kernel"][:, :UNITS] + weights["seq_bias"],
        sentence @ weights["kernel"][:, UNITS:] + weights["sent_bias"],
    )


@pytest.fixture(params=[256, 0], ids=["narrow-rows-kept", "cells"])
def both_row_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks without words kept by their rows when narrow (Rasa's LexicalSyntactic), or
    gathered cell by cell: each test using this runs once per path."""
    monkeypatch.setattr(input_layer, "ROW_KEYED_DIM", request.param)


@pytest.mark.usefixtures("both_row_paths")
def test_token_and_sentence_vectors_are_the_first_layers_outputs() -> None:
    # Cell by cell, two blocks without words add to the same tokens.
    weights = _weights()
    layer = SparseInputLayer(LAYOUT, **weights)
    messages = _three_messages()
    inputs = layer_inputs(messages, LAYOUT, 512, layer)
    assert inputs[SEQ_IN].shape == (3, 3, UNITS) and inputs[SENT_IN].shape == (3, UNITS)
    np.testing.assert_array_equal(inputs[MASK], [[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    for b, message in enumerate(messages):
        _assert_first_layers(inputs, b, message, weights)


@pytest.mark.usefixtures("both_row_paths")
def test_a_layer_without_token_units_gives_the_same_sentence_vectors() -> None:
    # A ResponseSelector without a transformer reads no token vector: its model keeps the
    # sentence kernel alone.
    weights = _weights()
    alone = {
        "kernel": weights["kernel"][:, UNITS:].copy(),
        "seq_bias": np.zeros(0, np.float32),
        "sent_bias": weights["sent_bias"],
    }
    messages = _three_messages()
    both = layer_inputs(messages, LAYOUT, 512, SparseInputLayer(LAYOUT, **weights))
    inputs = layer_inputs(messages, LAYOUT, 512, SparseInputLayer(LAYOUT, **alone))
    assert inputs[SEQ_IN].shape == (3, 3, 0)
    np.testing.assert_allclose(inputs[SENT_IN], both[SENT_IN], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(inputs[MASK], both[MASK])


def _assert_first_layers(
    inputs: dict[str, np.ndarray], b: int, message: Message, weights: dict[str, np.ndarray]
) -> None:
    tokens, sentence = _dense(message, weights)
    n = len(message.tokens)
    np.testing.assert_allclose(inputs[SEQ_IN][b, :n], tokens, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(inputs[SENT_IN][b], sentence, rtol=1e-5, atol=1e-5)


def _layer_keeping(
    vectors: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[SparseInputLayer, dict[str, np.ndarray]]:
    """A layer whose table of kept vectors holds this many rows."""
    monkeypatch.setattr(input_layer, "VECTORS_KEPT", vectors)
    weights = _weights(vectors)
    return SparseInputLayer(LAYOUT, **weights), weights


def test_a_word_is_computed_once_and_a_full_table_starts_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer, weights = _layer_keeping(8, monkeypatch)

    def words() -> set[object]:
        return {key for featurizer, key in layer._index if featurizer == "words"}

    first = layer_inputs([_message(["hi", "hi"])], LAYOUT, 512, layer)
    assert words() == {"hi"} and len(layer._index) == 4  # 2 lexical rows, 1 regex row
    layer_inputs([_message(["there", "you"])], LAYOUT, 512, layer)
    assert words() == {"there", "you"}  # 4 kept + 6 rows > 8: started over
    again = layer_inputs([_message(["hi", "hi"])], LAYOUT, 512, layer)
    np.testing.assert_array_equal(again[SEQ_IN], first[SEQ_IN])
    _assert_first_layers(again, 0, _message(["hi", "hi"]), weights)


def test_a_message_with_more_rows_than_the_table_holds_is_computed_cell_by_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer, weights = _layer_keeping(4, monkeypatch)
    message = _message(["hi", "there", "you"])  # 9 rows
    inputs = layer_inputs([message], LAYOUT, 512, layer)
    assert not layer._index
    _assert_first_layers(inputs, 0, message, weights)


def test_parses_in_several_threads_read_only_whole_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # `stratus run` parses in a thread pool; a table this small starts over all the time.
    layer, weights = _layer_keeping(8, monkeypatch)
    rows = {**WORDS, **{f"x{k}": [(k % 6, 1.0 + k)] for k in range(12)}}
    vocabulary = list(rows)
    messages = [
        _message([vocabulary[(i + k) % len(vocabulary)] for k in range(2)], rows)
        for i in range(len(vocabulary))
    ]
    expected = [_dense(m, weights) for m in messages]
    wrong: list[int] = []

    def parse_all(offset: int) -> None:
        for n in range(300):
            i = (offset + n) % len(messages)
            got = layer_inputs([messages[i]], LAYOUT, 512, layer)
            if not np.allclose(got[SEQ_IN][0], expected[i][0], rtol=1e-5, atol=1e-5):
                wrong.append(i)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [Thread(target=parse_all, args=(k * 5,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert not wrong, f"{len(wrong)} parses read rows another thread was writing"


def test_tokens_beyond_the_maximum_are_left_out() -> None:
    layer = SparseInputLayer(LAYOUT, **_weights(2))
    inputs = layer_inputs([_message(["hi", "there", "you"])], LAYOUT, 2, layer)
    assert inputs[SEQ_IN].shape == (1, 2, UNITS)
    tokens, _ = _dense(_message(["hi", "there"]), _weights(2))
    np.testing.assert_allclose(inputs[SEQ_IN][0], tokens, rtol=1e-5, atol=1e-5)


def test_a_message_without_tokens_gets_the_biases() -> None:
    weights = _weights(3)
    inputs = layer_inputs([Message("")], LAYOUT, 512, SparseInputLayer(LAYOUT, **weights))
    np.testing.assert_array_equal(inputs[MASK], [[0.0]])
    np.testing.assert_allclose(inputs[SENT_IN][0], weights["sent_bias"])


def test_saved_kernels_are_memory_mapped_on_load(tmp_path: Path) -> None:
    weights = _weights(4)
    SparseInputLayer.save(tmp_path, **weights)
    layer = SparseInputLayer.load(tmp_path, LAYOUT)
    # Only the rows parses read are paged in: a model's kernels are tens of megabytes.
    assert isinstance(layer.kernel.base, np.memmap) and not layer.kernel.flags.owndata
    message = _message(["you", "hi"])
    loaded = layer_inputs([message], LAYOUT, 512, layer)
    direct = layer_inputs([message], LAYOUT, 512, SparseInputLayer(LAYOUT, **weights))
    np.testing.assert_allclose(loaded[SEQ_IN], direct[SEQ_IN], rtol=1e-6)
    np.testing.assert_allclose(loaded[SENT_IN], direct[SENT_IN], rtol=1e-6)


@pytest.mark.usefixtures("both_row_paths")
def test_an_int8_kernel_with_row_scales_computes_its_dequantized_weights(tmp_path: Path) -> None:
    # `quantize: int8`: int8 rows, a float32 scale per row, read from the model's files.
    weights = _weights(5)
    scales = (np.abs(weights["kernel"]).max(axis=1) / 127.0).astype(np.float32)
    rows = np.rint(weights["kernel"] / scales[:, None]).astype(np.int8)
    dequantized = {**weights, "kernel": rows.astype(np.float32) * scales[:, None]}
    np.save(tmp_path / input_layer.KERNEL_FILE, rows)
    np.save(tmp_path / input_layer.SCALES_FILE, scales)
    np.savez(tmp_path / input_layer.BIASES_FILE, seq=weights["seq_bias"], sent=weights["sent_bias"])
    layer = SparseInputLayer.load(tmp_path, LAYOUT)
    assert layer.kernel.dtype == np.int8
    messages = _three_messages()
    inputs = layer_inputs(messages, LAYOUT, 512, layer)
    for b, message in enumerate(messages):
        _assert_first_layers(inputs, b, message, dequantized)
    # and close to the float32 weights they were made from
    floats = layer_inputs(messages, LAYOUT, 512, SparseInputLayer(LAYOUT, **weights))
    np.testing.assert_allclose(inputs[SENT_IN], floats[SENT_IN], atol=0.05)
