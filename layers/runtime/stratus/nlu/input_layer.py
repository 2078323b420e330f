"""The sparse input layer of an exported DIET or ResponseSelector, computed in numpy.

The network's first layers are linear on sparse features (Rasa's `DenseForSparse`): a
token's vector is the sum of the kernel rows its cells name, weighted by their values,
plus a bias; the sentence's likewise, with a kernel of its own. The exporter keeps these
two kernels out of model.onnx (they are most of a model: SNIPS' are 2 x 20 MB) and saves
them as .npy files, memory-mapped here, so only the rows parses read are paged in. The
graph starts from the layer's output (`SEQ_IN`, `SENT_IN`).

A block whose token rows depend on the token's text alone (`SparseBlock.keys`, set by
CountVectorsFeaturizer) is looked up per word: each word's share of the token and the
sentence vectors is kept, so a parse of familiar words gathers no kernel rows for it. A
narrow block's rows (LexicalSyntactic's flags) repeat too, and are kept by their cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import chain
from pathlib import Path

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

SEQ_KERNEL_FILE = "seq_kernel.npy"
SENT_KERNEL_FILE = "sent_kernel.npy"
BIASES_FILE = "input_biases.npz"  # "seq" and "sent"
# Words (or rows) whose vectors are kept per block; a full table starts over. A vector is
# 256 float32s (128 token and 128 sentence units by default): at most 4 MB per block,
# committed as words arrive.
VECTORS_KEPT = 4096
# A block this narrow (LexicalSyntactic's ~20 flags, a regex featurizer's patterns) has
# few distinct rows: they are kept by their cells, as words are by their text.
ROW_KEYED_DIM = 256


class SparseInputLayer:
    """`seq` [batch, steps, units] and `sent` [batch, units] for featurized messages."""

    def __init__(
        self,
        layout: FeatureLayout,
        seq_kernel: np.ndarray,
        seq_bias: np.ndarray,
        sent_kernel: np.ndarray,
        sent_bias: np.ndarray,
    ) -> None:
        self.offsets = layout.offsets()
        # Plain arrays over the mapped file: indexing a np.memmap costs ~10 us more.
        self.seq_kernel, self.sent_kernel = np.asarray(seq_kernel), np.asarray(sent_kernel)
        self.seq_bias = np.asarray(seq_bias, dtype=np.float32)
        self.sent_bias = np.asarray(sent_bias, dtype=np.float32)
        self.seq_units, self.sent_units = len(self.seq_bias), len(self.sent_bias)
        self._kept: dict[str, _KeptVectors] = {}

    @classmethod
    def load(cls, directory: Path, layout: FeatureLayout) -> SparseInputLayer:
        with np.load(directory / BIASES_FILE) as biases:
            seq_bias, sent_bias = biases["seq"], biases["sent"]
        return cls(
            layout,
            np.load(directory / SEQ_KERNEL_FILE, mmap_mode="r"),
            seq_bias,
            np.load(directory / SENT_KERNEL_FILE, mmap_mode="r"),
            sent_bias,
        )

    @staticmethod
    def save(
        directory: Path,
        seq_kernel: np.ndarray,
        seq_bias: np.ndarray,
        sent_kernel: np.ndarray,
        sent_bias: np.ndarray,
    ) -> None:
        np.save(directory / SEQ_KERNEL_FILE, np.ascontiguousarray(seq_kernel, np.float32))
        np.save(directory / SENT_KERNEL_FILE, np.ascontiguousarray(sent_kernel, np.float32))
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
        # Rows of wide blocks that are not looked up, each aimed at one output row.
        seq_rows, sent_rows = _Rows(), _Rows()
        for b, (message, length) in enumerate(zip(messages, lengths)):
            tokens = seq[b * steps : b * steps + length]
            for block in message.sparse:
                base = self.offsets.get(block.featurizer)
                if base is None:
                    continue
                keys: Sequence[Hashable] | None = block.keys
                if keys is None and block.dim <= ROW_KEYED_DIM:
                    keys = [tuple(row) for row in block.sequence]
                if keys is not None:
                    kept = self._kept.get(block.featurizer)
                    if kept is None:
                        kept = self._kept[block.featurizer] = _KeptVectors(self, base)
                    if kept.add(keys, block, tokens, sent[b]):
                        if block.sentence and not block.sentence_sums_tokens:
                            sent_rows.add(block.sentence, base, b)
                        continue
                for t, row in enumerate(block.sequence[:length]):
                    seq_rows.add(row, base, b * steps + t)
                if block.sentence_sums_tokens:
                    for row in block.sequence:
                        sent_rows.add(row, base, b)
                elif block.sentence:
                    sent_rows.add(block.sentence, base, b)
        seq_rows.sum_into(seq, self.seq_kernel)
        sent_rows.sum_into(sent, self.sent_kernel)
        return seq.reshape(batch, steps, self.seq_units), sent


class _KeptVectors:
    """One block's kept rows: what each row adds to a token's and to the sentence's vector,
    one row of a table per key ([token units | sentence units])."""

    def __init__(self, layer: SparseInputLayer, base: int) -> None:
        self.layer, self.base = layer, base
        self.index: dict[Hashable, int] = {}
        # Pages are committed as rows are written: a model that sees few words uses little.
        self.table = np.empty((VECTORS_KEPT, layer.seq_units + layer.sent_units), dtype=np.float32)

    def add(
        self, keys: Sequence[Hashable], block: SparseBlock, tokens: np.ndarray, sentence: np.ndarray
    ) -> bool:
        """tokens[t] += row t's token vector; sentence += the sum of every row's sentence
        vector if the block's sentence row is the sum of its token rows. False if the block
        has more rows than the table."""
        if len(keys) > len(self.table):
            return False
        index = self.index
        if len(index) + len(keys) > len(self.table):
            index.clear()  # full: start over (this block's rows then all fit)
        at = []
        for key, row in zip(keys, block.sequence):
            i = index.get(key)
            if i is None:
                i = index[key] = len(index)
                self._compute(i, row)
            at.append(i)
        if at:
            vectors = self.table[at]
            units = self.layer.seq_units
            tokens += vectors[: len(tokens), :units]
            if block.sentence_sums_tokens:
                sentence += vectors[:, units:].sum(axis=0)
        return True

    def _compute(self, i: int, row: SparseRow) -> None:
        layer, out = self.layer, self.table[i]
        if not row:
            out[:] = 0.0
            return
        columns = np.fromiter((c for c, _ in row), dtype=np.int64, count=len(row)) + self.base
        values = np.fromiter((v for _, v in row), dtype=np.float32, count=len(row))
        out[: layer.seq_units] = values @ layer.seq_kernel[columns]
        out[layer.seq_units :] = values @ layer.sent_kernel[columns]


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

    def sum_into(self, out: np.ndarray, kernel: np.ndarray) -> None:
        """out[target] += sum of value * kernel[column] over each row's cells."""
        if not self.rows:
            return
        counts = np.fromiter(map(len, self.rows), dtype=np.int64, count=len(self.rows))
        cells = chain.from_iterable(chain.from_iterable(self.rows))
        flat = np.fromiter(cells, dtype=np.float64, count=2 * int(counts.sum()))
        columns = flat[0::2].astype(np.int64) + np.repeat(self.bases, counts)
        weighted = kernel[columns] * flat[1::2, None].astype(np.float32)
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        sums = np.add.reduceat(weighted, starts, axis=0)  # one sum per row (none is empty)
        targets = self.targets
        if len(set(targets)) == len(targets):
            out[targets] += sums
        else:  # several blocks' rows for one token: add.at adds every one of them
            np.add.at(out, targets, sums)
