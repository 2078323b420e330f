"""Linear-chain CRF negative log-likelihood (training only; serving decodes in numpy)."""

from __future__ import annotations

from stratus_train.backend import tf


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

    # logsumexp_i(alpha_i + T_ij) as a matmul in exp space, each factor shifted by its max:
    # a [B, N] x [N, N] product instead of exp over [B, N, N] per token, which made the
    # CRF a third of a SNIPS training step (157 BILOU tags). The floor only matters for
    # tags already ~80 nats below the best path, whose share of the sum is nil anyway.
    column_max = tf.reduce_max(transitions, axis=0)
    exp_transitions = tf.exp(transitions - column_max[None])

    def step(t: tf.Tensor, alpha: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        top = tf.reduce_max(alpha, axis=-1, keepdims=True)
        total = tf.matmul(tf.exp(alpha - tf.stop_gradient(top)), exp_transitions)
        new = tf.math.log(tf.maximum(total, 1e-30)) + tf.stop_gradient(top) + column_max
        new += logits[:, t]
        return t + 1, tf.where(mask[:, t][:, None] > 0, new, alpha)

    _, final = tf.while_loop(lambda t, _: t < length, step, (tf.constant(1), logits[:, 0]))
    log_z = tf.reduce_logsumexp(final, axis=-1)
    return (log_z - unary - binary) * tf.cast(tf.reduce_sum(mask, -1) > 0, logits.dtype)
