"""Linear-chain CRF negative log-likelihood (training only; serving decodes in numpy)."""

from __future__ import annotations

import tensorflow as tf


def crf_nll(
    logits: tf.Tensor, tags: tf.Tensor, mask: tf.Tensor, transitions: tf.Tensor
) -> tf.Tensor:
    """Per-sequence -log p(tags | logits) for left-aligned sequences.

    logits [B, T, N], tags [B, T] int32, mask [B, T] float (1 for real tokens),
    transitions [N, N] with transitions[i, j] the score of tag i followed by tag j.
    """
    n_tags = tf.shape(logits)[-1]
    one_hot = tf.one_hot(tags, n_tags, dtype=logits.dtype)
    unary = tf.reduce_sum(tf.reduce_sum(logits * one_hot, -1) * mask, -1)
    pair = tf.einsum("bti,ij,btj->bt", one_hot[:, :-1], transitions, one_hot[:, 1:])
    binary = tf.reduce_sum(pair * mask[:, 1:], -1)

    # A while loop rather than tf.scan: a batch of one-token sequences has no transition
    # to scan over, and scan cannot stack an empty list in graph mode.
    length = tf.shape(logits)[1]

    def step(t: tf.Tensor, alpha: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        new = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + logits[:, t]
        return t + 1, tf.where(mask[:, t][:, None] > 0, new, alpha)

    _, final = tf.while_loop(lambda t, _: t < length, step, (tf.constant(1), logits[:, 0]))
    log_z = tf.reduce_logsumexp(final, axis=-1)
    return (log_z - unary - binary) * tf.cast(tf.reduce_sum(mask, -1) > 0, logits.dtype)
