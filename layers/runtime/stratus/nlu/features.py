"""Padded model inputs from featurized messages: the one function training and serving share.

Sparse rows become index/value arrays ([batch, tokens, nnz]) that the model turns into dense
vectors with an embedding bag (gather + weighted sum, i.e. a sparse matmul), which exports
to ONNX with dynamic batch, token and nnz axes.
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
    """Model inputs for a batch; tokens beyond `max_tokens` are left out."""
    offsets = layout.offsets()
    batch = len(messages)
    lengths = [n_tokens(m, max_tokens) for m in messages]
    steps = max([1, *lengths])
    seq_rows: list[list[SparseRow]] = []
    sent_rows: list[SparseRow] = []
    for m, length in zip(messages, lengths):
        rows: list[SparseRow] = [[] for _ in range(length)]
        sentence: SparseRow = []
        for block in m.sparse:
            base = offsets.get(block.featurizer)
            if base is None:
                continue
            for row, cells in zip(rows, block.sequence):
                row.extend([(base + c, v) for c, v in cells])
            sentence.extend([(base + c, v) for c, v in block.sentence or ()])
        seq_rows.append(rows)
        sent_rows.append(sentence)
    nnz = max([1, *(len(r) for rows in seq_rows for r in rows)])
    sent_nnz = max([1, *(len(r) for r in sent_rows)])
    # Every (column, value) cell, padded with (0, 0.0), goes into one flat list that
    # numpy reads in one call: a slice assignment per token row costs more at serving's
    # batch of one.
    seq_cells: SparseRow = []
    for rows in seq_rows:
        for row in rows:
            seq_cells.extend(row)
            seq_cells.extend([_PAD] * (nnz - len(row)))
        seq_cells.extend([_PAD] * (nnz * (steps - len(rows))))
    sent_cells: SparseRow = []
    for sentence in sent_rows:
        sent_cells.extend(sentence)
        sent_cells.extend([_PAD] * (sent_nnz - len(sentence)))
    seq = _cell_array(seq_cells).reshape(batch, steps, nnz, 2)
    sent = _cell_array(sent_cells).reshape(batch, sent_nnz, 2)
    mask = np.zeros((batch, steps), dtype=np.float32)
    for b, length in enumerate(lengths):
        mask[b, :length] = 1.0
    inputs: dict[str, np.ndarray] = {
        SEQ_IDS: seq[..., 0].astype(np.int64),
        SEQ_VALS: seq[..., 1].astype(np.float32),
        SENT_IDS: sent[..., 0].astype(np.int64),
        SENT_VALS: sent[..., 1].astype(np.float32),
        MASK: mask,
    }
    if layout.dense:
        inputs.update(_dense_inputs(messages, layout, lengths, steps))
    return inputs


def _cell_array(cells: SparseRow) -> np.ndarray:
    """[cells, 2] float64 (columns are exact: below 2**53)."""
    return np.fromiter(chain.from_iterable(cells), dtype=np.float64, count=2 * len(cells))


def _dense_inputs(
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
