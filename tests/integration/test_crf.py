"""The CRF loss equals brute-force enumeration, also for batches of one-token messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


def brute_force_nll(logits: np.ndarray, trans: np.ndarray, tags: np.ndarray, n: int) -> float:
    def score(seq: tuple[int, ...]) -> float:
        unary = sum(logits[t, seq[t]] for t in range(n))
        return float(unary + sum(trans[seq[t], seq[t + 1]] for t in range(n - 1)))

    tags_n = logits.shape[-1]
    log_z = np.log(sum(np.exp(score(s)) for s in itertools.product(range(tags_n), repeat=n)))
    return float(log_z - score(tuple(tags[:n])))


def test_crf_nll_matches_enumeration_with_padding_and_single_tokens() -> None:
    from stratus_train.crf import crf_nll

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4, 4)).astype("float32")
    tags = rng.integers(0, 4, (3, 4)).astype("int32")
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], "float32")
    trans = rng.normal(size=(4, 4)).astype("float32")
    got = crf_nll(tf.constant(logits), tf.constant(tags), tf.constant(mask), tf.constant(trans))
    for b, n in enumerate([4, 2, 1]):
        assert got.numpy()[b] == pytest.approx(
            brute_force_nll(logits[b], trans, tags[b], n), abs=1e-4
        )
    # a whole batch of one-token messages, in graph mode as training runs it
    graph = tf.function(crf_nll)
    one = graph(
        tf.constant(logits[:, :1]),
        tf.constant(tags[:, :1]),
        tf.constant(mask[:, :1]),
        tf.constant(trans),
    ).numpy()
    for b in range(3):
        assert one[b] == pytest.approx(brute_force_nll(logits[b], trans, tags[b], 1), abs=1e-4)


def test_crf_nll_is_exact_with_widely_spread_scores() -> None:
    """The forward pass runs in exp space (a matmul); large logits must neither overflow
    nor lose precision."""
    from stratus_train.crf import crf_nll

    rng = np.random.default_rng(1)
    logits = (rng.normal(size=(2, 3, 3)) * 40).astype("float32")
    tags = rng.integers(0, 3, (2, 3)).astype("int32")
    mask = np.array([[1, 1, 1], [1, 1, 0]], "float32")
    trans = (rng.normal(size=(3, 3)) * 8).astype("float32")
    got = crf_nll(tf.constant(logits), tf.constant(tags), tf.constant(mask), tf.constant(trans))
    for b, n in enumerate([3, 2]):
        expected = brute_force_nll(logits[b].astype("float64"), trans.astype("float64"), tags[b], n)
        assert got.numpy()[b] == pytest.approx(expected, rel=1e-5, abs=1e-3)
