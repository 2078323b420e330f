"""Keras building blocks of DIET, written to export cleanly to ONNX.

Every op here has an onnxruntime kernel: the embedding bag is Gather + weighted sum (a
sparse matmul), GELU is written with erf (Keras' own gelu exports an Erfc that onnxruntime
rejects), and attention is plain MatMul/Softmax with an additive mask.
"""

from __future__ import annotations

import math

import numpy as np

from stratus.nlu.pipeline import MAX_TOKENS
from stratus_train.backend import keras, tf


def gelu(x: tf.Tensor) -> tf.Tensor:
    return 0.5 * x * (1.0 + tf.math.erf(x / math.sqrt(2.0)))


def connection_mask(rng: np.random.Generator, n_in: int, n_out: int, density: float) -> np.ndarray:
    """Rasa's RandomlyConnectedDense mask: each input and each output keeps a connection."""
    if density >= 1.0:
        return np.ones((n_in, n_out), dtype=np.float32)
    mask = rng.random((n_in, n_out)) < density
    for i in range(max(n_in, n_out)):
        mask[i % n_in, i % n_out] = True
    return mask.astype(np.float32)


def _constant_weight(layer: keras.layers.Layer, value: np.ndarray, name: str) -> keras.Variable:
    # A non-trainable weight, not a tf.constant: Keras builds layers in a scratch graph.
    return layer.add_weight(
        shape=value.shape,
        initializer=keras.initializers.Constant(value),
        trainable=False,
        name=name,
    )


class SparseDense(keras.layers.Layer):
    """Dense layer over sparse rows given as (ids, values): an embedding bag.

    Serving form (`call`): `ids`/`values` of shape [..., nnz], padded with value 0; the
    result is sum_k values[..., k] * W[ids[..., k]]. Training form (`flat`): the same sum
    over the batch's cells only. Its kernel's L2 regularizer, like every other layer's,
    counts in the loss as a value only (`optimizer.regularization`): the optimizer adds
    its gradient only where the prediction gradient is positive, as Rasa's train step
    gates it, so rows no cell of the batch touched are not decayed.

    Always fully connected, as Rasa's DenseForSparse is: `connection_density` thins only
    the layers after it (`MaskedDense`).
    """

    baked = True  # no connection mask to fold in before export (`bake_masks`)

    def __init__(self, n_in: int, units: int, reg: float, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.n_in, self.units, self.reg = max(n_in, 1), units, reg

    def build(self, input_shape: object = None) -> None:
        self.kernel = self.add_weight(
            shape=(self.n_in, self.units),
            initializer="glorot_uniform",
            regularizer=keras.regularizers.L2(self.reg) if self.reg else None,
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def _rows(self, ids: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.kernel, ids)

    def call(self, ids: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(self._rows(ids) * values[..., None], axis=-2) + self.bias

    def flat(
        self, rows: tf.Tensor, ids: tf.Tensor, values: tf.Tensor, n_rows: tf.Tensor
    ) -> tf.Tensor:
        """[n_rows, units] from cells (row, id, value), `rows` ascending (as
        `TrainingSet.batch` builds them); rows without cells get the bias.

        Equal to `call` on the padded form, whose every token is padded to the batch's
        widest row: on SNIPS (46 cells per token on average, up to 120, and 9 tokens per
        message, up to 35) that gathered ~20x more kernel rows than there are cells.
        The sorted segment sum, rather than the unsorted one, has a plain Gather for its
        gradient instead of Gather + ZerosLike + Select: a CLINC150 step at batch 256 took
        8% less (255 -> 234 ms), the same loss.
        """
        cells = self._rows(ids) * values[:, None]
        summed = tf.math.segment_sum(cells, rows)  # rows up to the last one with a cell
        summed = tf.pad(summed, [[0, n_rows - tf.shape(summed)[0]], [0, 0]])
        return summed + self.bias


class MaskedDense(keras.layers.Layer):
    """A Dense layer whose kernel is randomly sparse (Rasa's RandomlyConnectedDense)."""

    def __init__(
        self,
        units: int,
        density: float,
        reg: float,
        rng: np.random.Generator,
        activation: str | None = None,
        use_bias: bool = True,
        blocks: int = 1,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.units, self.density, self.reg, self.rng = units, density, reg, rng
        self.activation, self.use_bias, self.blocks = activation, use_bias, blocks

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        n_in = int(input_shape[-1])  # type: ignore[arg-type]
        mask = connection_mask(self.rng, n_in, self.units, self.density)
        # Glorot's range as for `blocks` separate layers of units / blocks outputs each: a
        # fused query/key/value projection starts as Rasa's three layers do (a range of
        # sqrt(6 / (256 + 256)) rather than sqrt(6 / (256 + 768)), ~1.4x wider).
        scale = (n_in + self.units) / (n_in + self.units // self.blocks)
        glorot = keras.initializers.VarianceScaling(scale, "fan_avg", "uniform")
        # Cut connections start at zero, as Rasa's first call leaves them. They get no
        # gradient (nor, with the gated L2, any decay), so this changes no prediction; but
        # their L2 term would otherwise count in the reported loss, ~0.25 above Rasa's.
        self.kernel = self.add_weight(
            shape=(n_in, self.units),
            initializer=lambda shape, dtype=None: glorot(shape, dtype) * mask,
            name="kernel",
            regularizer=keras.regularizers.L2(self.reg) if self.reg else None,
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        else:  # zeros all the same, so the ONNX writers read every layer alike
            self.bias = _constant_weight(self, np.zeros(self.units, np.float32), "bias")
        if mask.all():
            self.baked = True  # fully connected: nothing to mask
        else:
            self.mask = _constant_weight(self, mask, "mask")

    baked = False

    def call(self, x: tf.Tensor) -> tf.Tensor:
        kernel = self.kernel if self.baked else self.kernel * self.mask
        if x.shape.rank is not None and x.shape.rank > 2:
            # One product over all positions: TensorFlow's batched product of [B, T, n]
            # with a 2-D kernel runs slice by slice, packing the kernel again for each,
            # ~7x slower forward and backward ([128, 14, 512] x [512, 256]: 130 -> 15 ms).
            shape = tf.shape(x)
            y = tf.matmul(tf.reshape(x, tf.stack([-1, shape[-1]])), kernel)
            y = tf.reshape(y, tf.concat([shape[:-1], [self.units]], axis=0))
            y.set_shape(x.shape[:-1].concatenate([self.units]))
        else:
            y = tf.matmul(x, kernel)
        if self.use_bias:  # the zero bias is there for the ONNX writers only
            y += self.bias
        if self.activation == "relu":
            y = tf.nn.relu(y)
        elif self.activation == "gelu":
            y = gelu(y)
        return y


class Ffnn(keras.layers.Layer):
    """Hidden layers (`hidden_layers_sizes`): dense + ReLU + dropout each."""

    def __init__(
        self,
        sizes: list[int],
        drop_rate: float,
        density: float,
        reg: float,
        rng: np.random.Generator,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.dense = [MaskedDense(s, density, reg, rng, "relu") for s in sizes]
        self.dropout = keras.layers.Dropout(drop_rate)

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.dense:
            x = self.dropout(layer(x), training=training)
        return x


def _layer_norm(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float
) -> tuple[tf.Tensor, object]:
    mean = tf.reduce_mean(x, -1, keepdims=True)
    centred = x - mean
    inv = tf.math.rsqrt(tf.reduce_mean(tf.square(centred), -1, keepdims=True) + epsilon)
    normed = centred * inv

    def grad(dy: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        flat_dy = tf.reshape(dy, [-1, tf.shape(dy)[-1]])
        flat_normed = tf.reshape(normed, [-1, tf.shape(normed)[-1]])
        g = dy * gamma
        dx = inv * (
            g
            - tf.reduce_mean(g, -1, keepdims=True)
            - normed * tf.reduce_mean(g * normed, -1, keepdims=True)
        )
        return dx, tf.reduce_sum(flat_dy * flat_normed, 0), tf.reduce_sum(flat_dy, 0)

    return normed * gamma + beta, grad


class LayerNorm(keras.layers.Layer):
    """Layer normalisation over the last axis with its gradient written out.

    Same result as `keras.layers.LayerNormalization` (same `gamma`, `beta`, `epsilon`,
    which the ONNX writers read), but autodiff through Keras' version builds a dozen
    broadcasting ops per layer whose gradients were ~20% of DIET's training step;
    the closed-form gradient is six.
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        dim = int(input_shape[-1])  # type: ignore[arg-type]
        self.gamma = self.add_weight(shape=(dim,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(dim,), initializer="zeros", name="beta")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        norm = tf.custom_gradient(lambda x, g, b: _layer_norm(x, g, b, self.epsilon))
        return norm(x, tf.convert_to_tensor(self.gamma), tf.convert_to_tensor(self.beta))


class TransformerBlock(keras.layers.Layer):
    """Pre-norm encoder layer: LN -> self-attention -> residual; LN -> GELU FFN -> residual."""

    def __init__(
        self,
        size: int,
        heads: int,
        drop_rate: float,
        attention_drop: float,
        density: float,
        rng: np.random.Generator,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        if size % heads:
            raise ValueError(f"transformer_size {size} is not divisible by {heads} heads")
        self.size, self.heads = size, heads
        # As Rasa's TransformerEncoderLayer: every projection is a RandomlyConnectedDense
        # of `connection_density` and none is L2-regularized (only the input embedding is);
        # the query, key and value projections have no bias.
        self.norm_attention = LayerNorm(epsilon=1e-6)
        self.qkv = MaskedDense(3 * size, density, 0.0, rng, use_bias=False, blocks=3)
        self.attention_out = MaskedDense(size, density, 0.0, rng)
        self.norm_ffn = LayerNorm(epsilon=1e-6)
        self.ffn_in = MaskedDense(4 * size, density, 0.0, rng)
        self.ffn_out = MaskedDense(size, density, 0.0, rng)
        self.dropout = keras.layers.Dropout(drop_rate)
        self.attention_dropout = keras.layers.Dropout(attention_drop)

    def call(
        self,
        x: tf.Tensor,
        bias: tf.Tensor,
        training: bool = False,
        packing: tuple[tf.Tensor, tf.Tensor, tf.Tensor] | None = None,
    ) -> tf.Tensor:
        """x is [batch, steps, size], or with `packing` the real tokens only, [tokens, size]."""
        if packing is None:
            batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        else:
            batch, steps = packing[1], packing[2]
        depth = self.size // self.heads
        qkv = self.qkv(self.norm_attention(x))
        if packing is not None:
            qkv = unpack(qkv, packing)
        qkv = tf.reshape(qkv, [batch, steps, 3, self.heads, depth])
        qkv = tf.transpose(qkv, [2, 0, 3, 1, 4])  # [3, batch, heads, steps, depth]
        # unstack, not qkv[i]: each slice's gradient is a full-size StridedSliceGrad (DIET on
        # moodbot: a quarter of the training step); unstack's is one Pack.
        q, k, v = tf.unstack(qkv, 3)
        logits = tf.matmul(q, k, transpose_b=True) / math.sqrt(depth) + bias
        weights = self.attention_dropout(tf.nn.softmax(logits, axis=-1), training=training)
        attended = tf.transpose(tf.matmul(weights, v), [0, 2, 1, 3])
        attended = tf.reshape(attended, [batch, steps, self.size])
        if packing is not None:
            attended = pack(attended, packing)
        x = x + self.dropout(self.attention_out(attended), training=training)
        hidden = self.dropout(gelu(self.ffn_in(self.norm_ffn(x))), training=training)
        return x + self.dropout(self.ffn_out(hidden), training=training)


def positional_encoding(length: int, units: int) -> np.ndarray:
    """[length, units] sinusoidal encoding, as Rasa's TransformerEncoder computes it."""
    angles = 1 / np.power(10000, (2 * (np.arange(units) // 2)) / np.float32(units))
    rads = np.arange(length)[:, None] * angles[None, :]
    table = np.where(np.arange(units) % 2 == 0, np.sin(rads), np.cos(rads))
    return table.astype(np.float32)


def packing_of(mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """(flat positions of the real tokens, batch, steps) of a [batch, steps] 0/1 mask."""
    flat = tf.reshape(mask, [-1])
    return tf.cast(tf.where(flat > 0)[:, 0], tf.int32), tf.shape(mask)[0], tf.shape(mask)[1]


def pack(x: tf.Tensor, packing: tuple[tf.Tensor, tf.Tensor, tf.Tensor]) -> tf.Tensor:
    """[batch, steps, ...] -> the real tokens' rows, [tokens, ...] (`unpack` inverts it)."""
    return tf.gather(tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0)), packing[0])


def unpack(x: tf.Tensor, packing: tuple[tf.Tensor, tf.Tensor, tf.Tensor]) -> tf.Tensor:
    """[tokens, d] real-token rows -> [batch * steps, d], zeros at padding."""
    positions, batch, steps = packing
    return tf.scatter_nd(positions[:, None], x, tf.stack([batch * steps, tf.shape(x)[-1]]))


class TransformerEncoder(keras.layers.Layer):
    """Projection to `transformer_size`, N blocks, final layer norm (Rasa's encoder)."""

    def __init__(
        self,
        layers: int,
        size: int,
        heads: int,
        drop_rate: float,
        attention_drop: float,
        reg: float,
        density: float,
        rng: np.random.Generator,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.embed = MaskedDense(size, density, reg, rng)
        self.blocks = [
            TransformerBlock(size, heads, drop_rate, attention_drop, density, rng)
            for _ in range(layers)
        ]
        self.norm = LayerNorm(epsilon=1e-6)
        self.dropout = keras.layers.Dropout(drop_rate)
        self.position_table = positional_encoding(MAX_TOKENS + 1, size)

    def call(
        self,
        x: tf.Tensor,
        mask: tf.Tensor,
        positions: tf.Tensor,
        training: bool = False,
        packing: tuple[tf.Tensor, tf.Tensor, tf.Tensor] | None = None,
    ) -> tf.Tensor:
        """`positions` [batch, steps] int32 is each step's index for the positional
        encoding. With `packing` (`packing_of(mask)`) x holds the real tokens only,
        [tokens, size], and every per-token layer runs on them, padding just for
        attention: the same result at real tokens (zeros at padding), but a batch padded
        to its longest message (SNIPS: mean 9 tokens, batch max ~35) otherwise spends most
        of the dense layers' time on padding. Training packs (`DietNetwork.encode`); the
        exported graph does not (one message has no padding)."""
        # Additive attention bias: padded keys get -1e9 before the softmax.
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        if packing is not None:
            positions = pack(positions, packing)
        # Rasa's TransformerEncoder: embedding * sqrt(units) + sinusoidal positions.
        table = tf.constant(self.position_table)
        x = self.embed(x) * math.sqrt(self.size) + tf.gather(table, positions)
        x = self.dropout(x, training=training)
        for block in self.blocks:
            x = block(x, bias, training=training, packing=packing)
        x = self.norm(x)
        if packing is not None:
            x = tf.reshape(unpack(x, packing), tf.stack([packing[1], packing[2], -1]))
        return x


def bake_masks(model: keras.layers.Layer) -> None:
    """Fold each connection mask into its kernel, so the exported graph carries no masks
    (they are as large as the kernels). Training must not continue afterwards."""
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, MaskedDense) and not layer.baked:
            layer.kernel.assign(layer.kernel * layer.mask)
            layer.baked = True
