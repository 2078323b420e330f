"""Adam as one fused kernel per variable, for the hand-written training steps.

Keras' Adam builds ~40 graph ops per variable (DIET: ~1,500 of a 3,600-op training
step), which costs tracing time once and executor time on every step. TensorFlow's
`ResourceApplyAdam` does the same update in one op: m += (g - m)(1 - b1),
v += (g^2 - v)(1 - b2), w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), which
is Keras 3's Adam (same defaults), so swapping it changes no result beyond float rounding.

`l2` applies the weights' L2 terms as Rasa 3.6 does (`RasaModel.train_step`): the
regularization gradient 2·reg·W is added only where the prediction gradient is positive,
element by element. A sparse-input kernel's rows that no cell of the batch touched thus
get no decay at all, where a plain L2 term (as the tape computes it) would pull every row
of the vocabulary to zero on every step: on BANKING77 at 100 epochs that left the median
row of the sequence kernel 12x smaller than Rasa's. `l2_terms` lists a network's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stratus_train.backend import keras, tf

# Keras' Adam defaults.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7


class FusedAdam:
    """Adam over a fixed list of variables (Keras or tf.Variable), created eagerly so a
    tf.function that applies it is traced once."""

    def __init__(
        self,
        variables: Sequence[Any],
        learning_rate: float,
        l2: Sequence[tuple[Any, float]] = (),
    ) -> None:
        """`l2`: (variable, reg) pairs whose loss has a reg * sum(w^2) term that the tape
        did not differentiate (`regularization` reports it without a gradient)."""
        self.variables = list(variables)
        self.l2 = {id(var): 2.0 * float(reg) for var, reg in l2 if reg}
        self.learning_rate = float(learning_rate)
        self.m = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in self.variables]
        self.v = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in self.variables]
        self.iterations = tf.Variable(0.0, trainable=False)

    def apply(self, gradients: Sequence[Any]) -> None:
        """One update; `None` gradients (variables the loss does not reach) are skipped."""
        t = self.iterations.assign_add(1.0)
        beta1_power, beta2_power = tf.pow(BETA_1, t), tf.pow(BETA_2, t)
        for var, grad, m, v in zip(self.variables, gradients, self.m, self.v):
            if grad is None:
                continue
            grad = self._with_l2(var, grad)
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle,
                m=m.handle,
                v=v.handle,
                beta1_power=beta1_power,
                beta2_power=beta2_power,
                lr=self.learning_rate,
                beta1=BETA_1,
                beta2=BETA_2,
                epsilon=EPSILON,
                # Gathered rows come as IndexedSlices; Keras' Adam densifies them too.
                grad=tf.convert_to_tensor(grad),
            )

    def _with_l2(self, var: Any, grad: Any) -> Any:
        scale = self.l2.get(id(var))
        if scale is None:
            return grad
        if isinstance(grad, tf.IndexedSlices):
            # Gathered rows: duplicates add up first, as the dense gradient has them;
            # rows not gathered have a zero prediction gradient, so no L2 term.
            rows, at = tf.unique(grad.indices)
            summed = tf.math.unsorted_segment_sum(grad.values, at, tf.shape(rows)[0])
            decay = tf.gather(var, rows) * scale
            values = summed + tf.where(summed > 0, decay, tf.zeros_like(decay))
            return tf.IndexedSlices(values, rows, grad.dense_shape)
        return grad + tf.where(grad > 0, var * scale, tf.zeros_like(grad))


def l2_terms(variables: Sequence[Any]) -> list[tuple[Any, float]]:
    """(variable, reg) for every variable with a Keras L2 regularizer (reg * sum(w^2))."""
    terms = []
    for var in variables:
        regularizer = getattr(var, "regularizer", None)
        if regularizer is None:
            continue
        if not isinstance(regularizer, keras.regularizers.L2):
            raise TypeError(f"{var.path}: only L2 regularizers are supported")
        terms.append((var, float(regularizer.l2)))
    return terms


def regularization(layer: Any) -> tf.Tensor:
    """The value of a layer's regularization losses, with no gradient: the optimizer
    applies their gradients itself (`FusedAdam(l2=...)`)."""
    losses = layer.losses
    return tf.stop_gradient(tf.add_n(losses)) if losses else tf.constant(0.0)
