"""Padded model inputs from featurized messages, as the network reads them in training.

Sparse rows become index/value arrays ([batch, tokens, nnz]) that the network turns into
dense vectors with an embedding bag (gather + weighted sum, i.e. a sparse matmul). Serving
computes that first layer itself from the same rows (`input_layer.SparseInputLayer`, the
check at export compares the two); models exported before 2026-12-06 read these arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from stratus.nlu.message import Message, SparseRow

# Input names of every exported NLU model.
SEQ_IDS, SEQ_VALS, SENT_IDS, SENT_VALS, MASK = (
    "seq_ids",
    "seq_vals",
    "sent_ids",
    "sent_vals",
    "mask",
)
SEQ_DENSE, SENT_DENSE = "seq_dense", "sent_dense"
# Inputs of models exported since 2026-12-06: the sparse input layer's output, computed by
# the engine (`input_layer.SparseInputLayer`) in place of the ids and values above.
SEQ_IN, SENT_IN = "seq_in", "sent_in"
_PAD = (0, 0.0)  # a padding cell: column 0 with weight 0


@dataclass(frozen=True)
class FeatureLayout:
    """Which featurizer blocks a model reads and where their columns start."""

    sparse: tuple[tuple[str, int], ...]  # (featurizer key, dim), in column order
    dense: tuple[tuple[str, int], ...] = ()

    @property
    def sparse_dim(self) -> int:
        return sum(d for _, d in self.sparse)

    @property
    def dense_dim(self) -> int:
        return sum(d for _, d in self.dense)

    def offsets(self) -> dict[str, int]:
        offsets, at = {}, 0
        for key, dim in self.sparse:
            offsets[key] = at
            at += dim
        return offsets

    def as_dict(self) -> dict[str, list[list[object]]]:
        return {"sparse": [list(b) for b in self.sparse], "dense": [list(b) for b in self.dense]}

    @classmethod
    def from_dict(cls, data: dict[str, list[list[object]]]) -> FeatureLayout:
        return cls(
            tuple((str(k), int(d)) for k, d in data["sparse"]),  # type: ignore[call-overload]
            tuple((str(k), int(d)) for k, d in data.get("dense", [])),  # type: ignore[call-overload]
        )

    @classmethod
    def of(cls, messages: Sequence[Message], keys: set[str] | None = None) -> FeatureLayout:
        """The blocks present in (training) messages, optionally only the given keys."""
        sparse: dict[str, int] = {}
        dense: dict[str, int] = {}
        for m in messages:
            for s in m.sparse:
                if keys is None or s.featurizer in keys:
                    sparse.setdefault(s.featurizer, s.dim)
            for d in m.dense:
                if keys is None or d.featurizer in keys:
                    dense.setdefault(d.featurizer, int(d.sentence.shape[-1]))
        return cls(tuple(sparse.items()), tuple(dense.items()))


def n_tokens(message: Message, max_tokens: int) -> int:
    return min(len(message.tokens), max_tokens)


def build_inputs(
    messages: Sequence[Message], layout: FeatureLayout, max_tokens: int
) -> dict[str, np.ndarray]:
    """Model inputs for a batch; tokens beyond `max_tokens` are left out.

    A sentence row may repeat a column (`SparseBlock.sentence_sums_tokens`): the embedding
    bag adds repeated cells up, so the sum needs no merging here.
    """
    offsets = layout.offsets()
    lengths = [n_tokens(m, max_tokens) for m in messages]
    steps = max([1, *lengths])
    # Per message, its blocks the model reads: (token rows, column offset, sentence row).
    read: list[list[tuple[list[SparseRow], int, SparseRow | None]]] = []
    for m in messages:
        blocks = []
        for block in m.sparse:
            base = offsets.get(block.featurizer)
            if base is not None:
                sentence = None if block.sentence_sums_tokens else (block.sentence or [])
                blocks.append((block.sequence, base, sentence))
        read.append(blocks)
    sizes = [
        [sum(len(rows[t]) for rows, _, _ in blocks) for t in range(length)]
        for blocks, length in zip(read, lengths)
    ]
    sent_sizes = [
        sum(len(s) if s is not None else sum(map(len, rows)) for rows, _, s in blocks)
        for blocks in read
    ]
    nnz = max([1, *(n for row_sizes in sizes for n in row_sizes)])
    sent_nnz = max([1, *sent_sizes])
    # Every (column, value) cell goes unshifted into one flat list that numpy reads in one
    # call, padded with (0, 0.0); each run of cells from one block gets that block's column
    # offset added afterwards (`_shifted_ids`). Shifting cell by cell in Python, or a slice
    # assignment per token row, costs more at serving's batch of one.
    seq_cells: SparseRow = []
    seq_runs: list[tuple[int, int]] = []  # (column offset, cells)
    for blocks, row_sizes in zip(read, sizes):
        for t, size in enumerate(row_sizes):
            for rows, base, _ in blocks:
                row = rows[t]
                seq_cells += row
                seq_runs.append((base, len(row)))
            seq_cells += [_PAD] * (nnz - size)
            seq_runs.append((0, nnz - size))
        missing = nnz * (steps - len(row_sizes))
        seq_cells += [_PAD] * missing
        seq_runs.append((0, missing))
    sent_cells: SparseRow = []
    sent_runs: list[tuple[int, int]] = []
    for blocks, size in zip(read, sent_sizes):
        for rows, base, sentence in blocks:
            for row in rows if sentence is None else (sentence,):
                sent_cells += row
                sent_runs.append((base, len(row)))
        sent_cells += [_PAD] * (sent_nnz - size)
        sent_runs.append((0, sent_nnz - size))
    batch = len(messages)
    seq = _cell_array(seq_cells)
    sent = _cell_array(sent_cells)
    mask = token_mask(lengths, steps)
    inputs: dict[str, np.ndarray] = {
        SEQ_IDS: _shifted_ids(seq[:, 0], seq_runs).reshape(batch, steps, nnz),
        SEQ_VALS: seq[:, 1].astype(np.float32).reshape(batch, steps, nnz),
        SENT_IDS: _shifted_ids(sent[:, 0], sent_runs).reshape(batch, sent_nnz),
        SENT_VALS: sent[:, 1].astype(np.float32).reshape(batch, sent_nnz),
        MASK: mask,
    }
    if layout.dense:
        inputs.update(dense_inputs(messages, layout, lengths, steps))
    return inputs


def token_mask(lengths: list[int], steps: int) -> np.ndarray:
    """[batch, steps]: 1 for each message's real tokens."""
    mask = np.zeros((len(lengths), steps), dtype=np.float32)
    for b, length in enumerate(lengths):
        mask[b, :length] = 1.0
    return mask


def _shifted_ids(columns: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    """int64 feature ids: each run's block-local columns plus its block's offset."""
    bases, counts = zip(*runs)
    return columns.astype(np.int64) + np.repeat(np.array(bases, dtype=np.int64), counts)


def _cell_array(cells: SparseRow) -> np.ndarray:
    """[cells, 2] float64 (columns are exact: below 2**53)."""
    flat = np.fromiter(chain.from_iterable(cells), dtype=np.float64, count=2 * len(cells))
    return flat.reshape(len(cells), 2)


def dense_inputs(
    messages: Sequence[Message], layout: FeatureLayout, lengths: list[int], steps: int
) -> dict[str, np.ndarray]:
    dim = layout.dense_dim
    seq = np.zeros((len(messages), steps, dim), dtype=np.float32)
    sent = np.zeros((len(messages), dim), dtype=np.float32)
    starts, at = {}, 0
    for key, d in layout.dense:
        starts[key] = (at, at + d)
        at += d
    for b, m in enumerate(messages):
        for block in m.dense:
            if block.featurizer not in starts:
                continue
            lo, hi = starts[block.featurizer]
            n = min(lengths[b], block.sequence.shape[0])
            seq[b, :n, lo:hi] = block.sequence[:n]
            sent[b, lo:hi] = block.sentence
    return {SEQ_DENSE: seq, SENT_DENSE: sent}
