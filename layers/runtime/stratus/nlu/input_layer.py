"""The sparse input layer of an exported DIET or ResponseSelector, computed in numpy.

The network's first layers are linear on sparse features (Rasa's `DenseForSparse`): a
token's vector is the sum of the kernel rows its cells name, weighted by their values,
plus a bias; the sentence's likewise, with a kernel of its own. The exporter keeps these
two kernels out of model.onnx (they are most of a model: SNIPS' are 2 x 20 MB) and saves
them side by side in one .npy file, memory-mapped here, so only the rows parses read are
paged in. The graph starts from the layer's output (`SEQ_IN`, `SENT_IN`).

A block whose token rows depend on the token's text alone (`SparseBlock.keys`, set by
CountVectorsFeaturizer) is looked up per word: each word's share of the token and the
sentence vectors is kept, so a parse of familiar words gathers no kernel rows for it. A
narrow block's rows (LexicalSyntactic's flags) repeat too, and are kept by their cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import chain
from pathlib import Path
from threading import Lock

import numpy as np

from stratus.nlu.features import (
    MASK,
    SENT_IN,
    SEQ_IN,
    FeatureLayout,
    dense_inputs,
    n_tokens,
    token_mask,
)
from stratus.nlu.message import Message, SparseBlock, SparseRow

# The token and the sentence kernels side by side, [features, token + sentence units]: a
# row is what one feature adds to both, read with one gather. A model whose graph reads
# no token vector (a ResponseSelector without a transformer) has the sentence kernel
# alone: zero token units.
KERNEL_FILE = "input_kernel.npy"
BIASES_FILE = "input_biases.npz"  # "seq" and "sent"
# With `quantize: int8` the kernel is int8 and each row has a float32 scale: a row's
# weights are its int8 values times its scale. Folded into the cells' values, the scales
# cost one gather per parse; the kernel is a quarter of the size.
SCALES_FILE = "input_kernel_scales.npy"
# Words (or rows) whose vectors are kept, all blocks together; a full table starts over.
# A vector is 256 float32s (128 token and 128 sentence units by default): 8 MB at most,
# committed as words arrive.
VECTORS_KEPT = 8192
# A block this narrow (LexicalSyntactic's ~20 flags, a regex featurizer's patterns) has
# few distinct rows: they are kept by their cells, as words are by their text.
ROW_KEYED_DIM = 256


class SparseInputLayer:
    """`seq` [batch, steps, units] and `sent` [batch, units] for featurized messages."""

    def __init__(
        self,
        layout: FeatureLayout,
        kernel: np.ndarray,
        seq_bias: np.ndarray,
        sent_bias: np.ndarray,
        scales: np.ndarray | None = None,
    ) -> None:
        self.offsets = layout.offsets()
        # A plain array over the mapped file: indexing a np.memmap costs ~10 us more.
        self.kernel = np.asarray(kernel)
        self.scales = None if scales is None else np.asarray(scales, dtype=np.float32)
        self.seq_bias = np.asarray(seq_bias, dtype=np.float32)
        self.sent_bias = np.asarray(sent_bias, dtype=np.float32)
        self.seq_units, self.sent_units = len(self.seq_bias), len(self.sent_bias)
        assert self.kernel.shape[1] == self.seq_units + self.sent_units
        # (featurizer, word or row) -> its row in the table of kept vectors
        self._index: dict[tuple[str, Hashable], int] = {}
        self._table: np.ndarray | None = None
        # `stratus run` parses in a thread pool: a row must not be read before it is
        # written, nor overwritten (a full table starting over) while another parse reads it.
        self._lock = Lock()

    @classmethod
    def load(cls, directory: Path, layout: FeatureLayout) -> SparseInputLayer:
        with np.load(directory / BIASES_FILE) as biases:
            seq_bias, sent_bias = biases["seq"], biases["sent"]
        scales = np.load(directory / SCALES_FILE) if (directory / SCALES_FILE).exists() else None
        kernel = np.load(directory / KERNEL_FILE, mmap_mode="r")
        return cls(layout, kernel, seq_bias, sent_bias, scales)

    @staticmethod
    def save(
        directory: Path, kernel: np.ndarray, seq_bias: np.ndarray, sent_bias: np.ndarray
    ) -> None:
        np.save(directory / KERNEL_FILE, np.ascontiguousarray(kernel, np.float32))
        np.savez(
            directory / BIASES_FILE,
            seq=np.asarray(seq_bias, np.float32),
            sent=np.asarray(sent_bias, np.float32),
        )

    def __call__(
        self, messages: Sequence[Message], lengths: list[int], steps: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Token vectors for the first `lengths[b]` tokens of message b (padding steps get
        the bias alone; the graph masks them), and sentence vectors."""
        batch = len(messages)
        seq = np.empty((batch * steps, self.seq_units), dtype=np.float32)
        seq[:] = self.seq_bias
        sent = np.empty((batch, self.sent_units), dtype=np.float32)
        sent[:] = self.sent_bias
        # Rows gathered cell by cell (wide blocks, sentence rows of their own), each aimed
        # at one output row.
        seq_rows, sent_rows = _Rows(), _Rows()
        for b, (message, length) in enumerate(zip(messages, lengths)):
            kept: list[tuple[SparseBlock, int, Sequence[Hashable]]] = []
            wide: list[tuple[SparseBlock, int]] = []
            for block in message.sparse:
                base = self.offsets.get(block.featurizer)
                if base is None:
                    continue
                if block.sentence:  # a sentence row of its own, whichever way tokens go
                    sent_rows.add(block.sentence, base, b)
                keys: Sequence[Hashable] | None = block.keys
                if keys is None and block.dim <= ROW_KEYED_DIM:
                    keys = [tuple(row) for row in block.sequence]
                if keys is None:
                    wide.append((block, base))
                else:
                    kept.append((block, base, keys))
            counts = {len(keys) for _, _, keys in kept}
            # Kept blocks are read as [blocks, rows]: a row per token in each, and all of a
            # message's rows in the table at once (not so for thousands of tokens).
            if len(counts) > 1 or sum(counts) * len(kept) > VECTORS_KEPT:
                wide += [(block, base) for block, base, _ in kept]
                kept = []
            for block, base in wide:
                for t, row in enumerate(block.sequence[:length] if self.seq_units else ()):
                    seq_rows.add(row, base, b * steps + t)
                if block.sentence_sums_tokens:
                    for row in block.sequence:
                        sent_rows.add(row, base, b)
            if kept:
                with self._lock:
                    self._add_kept(kept, seq[b * steps : b * steps + length], sent[b])
        seq_rows.sum_into(seq, self.kernel[:, : self.seq_units], self.scales)
        sent_rows.sum_into(sent, self.kernel[:, self.seq_units :], self.scales)
        return seq.reshape(batch, steps, self.seq_units), sent

    def _add_kept(
        self,
        kept: list[tuple[SparseBlock, int, Sequence[Hashable]]],
        tokens: np.ndarray,
        sentence: np.ndarray,
    ) -> None:
        """tokens[t] += every kept block's vector for row t; sentence += the sum of the
        sentence vectors of blocks whose sentence row sums their token rows. One message's
        blocks are read, and their new rows computed, with one gather each: per block, or
        per new row, the numpy calls would cost more than the arithmetic."""
        if self._table is None:
            # Pages are committed as rows are written: few words seen, little memory used.
            self._table = np.empty((VECTORS_KEPT, self.kernel.shape[1]), dtype=np.float32)
        table, index = self._table, self._index
        if len(index) + sum(len(keys) for _, _, keys in kept) > VECTORS_KEPT:
            index.clear()  # full: start over (one message's rows always fit)
        at: list[int] = []
        missing, new = _Rows(), []
        for block, base, keys in kept:
            name = block.featurizer
            for key, row in zip(keys, block.sequence):
                i = index.get((name, key))
                if i is None:
                    i = index[(name, key)] = len(index)
                    new.append(i)
                    missing.add(row, base, i)
                at.append(i)
        if new:
            table[new] = 0.0
            missing.sum_into(table, self.kernel, self.scales)
        units = self.seq_units
        vectors = table[at].reshape(len(kept), len(kept[0][2]), -1)  # [blocks, rows, units]
        tokens += vectors[:, : len(tokens), :units].sum(axis=0)
        summing = [k for k, (block, _, _) in enumerate(kept) if block.sentence_sums_tokens]
        if summing:
            sentence += vectors[summing, :, units:].sum(axis=(0, 1))


def layer_inputs(
    messages: Sequence[Message], layout: FeatureLayout, max_tokens: int, layer: SparseInputLayer
) -> dict[str, np.ndarray]:
    """What a model exported with its input layer apart reads: the layer's output, the
    mask and any dense features (tokens beyond `max_tokens` are left out)."""
    lengths = [n_tokens(m, max_tokens) for m in messages]
    steps = max([1, *lengths])
    seq, sent = layer(messages, lengths, steps)
    inputs = {SEQ_IN: seq, SENT_IN: sent, MASK: token_mask(lengths, steps)}
    if layout.dense:
        inputs.update(dense_inputs(messages, layout, lengths, steps))
    return inputs


class _Rows:
    """Sparse rows gathered for one kernel, each aimed at one row of the output."""

    def __init__(self) -> None:
        self.rows: list[SparseRow] = []
        self.bases: list[int] = []
        self.targets: list[int] = []

    def add(self, row: SparseRow, base: int, target: int) -> None:
        if row:
            self.rows.append(row)
            self.bases.append(base)
            self.targets.append(target)

    def sum_into(
        self, out: np.ndarray, kernel: np.ndarray, scales: np.ndarray | None = None
    ) -> None:
        """out[target] += sum of value * kernel[column] over each row's cells (an int8
        kernel's row times `scales[column]`)."""
        if not self.rows:
            return
        counts = np.fromiter(map(len, self.rows), dtype=np.int64, count=len(self.rows))
        cells = chain.from_iterable(chain.from_iterable(self.rows))
        flat = np.fromiter(cells, dtype=np.float64, count=2 * int(counts.sum()))
        columns = flat[0::2].astype(np.int64) + np.repeat(self.bases, counts)
        values = flat[1::2].astype(np.float32)
        if scales is not None:
            values *= scales[columns]
        weighted = kernel[columns] * values[:, None]
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        sums = np.add.reduceat(weighted, starts, axis=0)  # one sum per row (none is empty)
        targets = self.targets
        if len(set(targets)) == len(targets):
            out[targets] += sums
        else:  # several blocks' rows for one token: add.at adds every one of them
            np.add.at(out, targets, sums)
