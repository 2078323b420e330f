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

    def step(alpha: tf.Tensor, inputs: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        emit, keep = inputs
        new = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + emit
        return tf.where(keep[:, None] > 0, new, alpha)

    alpha0 = logits[:, 0]
    rest = (tf.transpose(logits[:, 1:], [1, 0, 2]), tf.transpose(mask[:, 1:], [1, 0]))
    alphas = tf.scan(step, rest, initializer=alpha0)
    final = tf.cond(tf.shape(logits)[1] > 1, lambda: alphas[-1], lambda: alpha0)
    log_z = tf.reduce_logsumexp(final, axis=-1)
    return (log_z - unary - binary) * tf.cast(tf.reduce_sum(mask, -1) > 0, logits.dtype)
