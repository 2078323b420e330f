"""DIET's inference graph (`DietNetwork.outputs(training=False)`) written as ONNX.

The graph starts after the sparse input layers: their output (`seq_in`, `sent_in`) is
computed by the engine (`stratus.nlu.input_layer`), whose kernels `input_layer_weights`
gives the exporter; then the mask and optional dense features. Outputs: `label_scores`,
`label_confidences` and one `<kind>_logits` per tag kind. The label embeddings do not
depend on the message, so they are computed once here and stored as a constant.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto

from stratus.nlu.features import MASK, SENT_DENSE, SENT_IN, SEQ_DENSE, SEQ_IN
from stratus.nlu.onnx_model import LABEL_CONFIDENCES, LABEL_SCORES, TAG_LOGITS
from stratus_train.layers import Ffnn, MaskedDense, SparseDense
from stratus_train.onnx_graph import OnnxGraph, float_tensor


def _kernel(layer: MaskedDense | SparseDense) -> np.ndarray:
    kernel = layer.kernel.numpy()
    return kernel if layer.baked else kernel * layer.mask.numpy()


def _masked_dense(g: OnnxGraph, x: str, layer: MaskedDense) -> str:
    y = g.matmul(x, _kernel(layer), layer.bias.numpy())
    if layer.activation == "relu":
        return g.op("Relu", [y])
    if layer.activation == "gelu":
        return g.gelu(y)
    return y


def _ffnn(g: OnnxGraph, x: str, ffnn: Ffnn) -> str:
    for layer in ffnn.dense:
        x = _masked_dense(g, x, layer)
    return x


def _positions(g: OnnxGraph, x: str, encoder: Any) -> str:
    """x [B, T + 1, D] plus the positional encoding of `network.positions`: [CLS] at
    position `length` (the mask's sum), token t at t."""
    table = g.const(encoder.position_table, "positions")
    length = g.op("Cast", [g.op("ReduceSum", [MASK, g.ints([1])], keepdims=0)], to=7)
    cls = g.op(
        "Add",
        [
            g.op("Slice", [x, g.ints([0]), g.ints([1]), g.ints([1])]),
            g.unsqueeze(g.op("Gather", [table, length], axis=0), [1]),
        ],
    )
    steps = g.op("Gather", [g.op("Shape", [MASK]), g.ints([1])], axis=0)
    tokens_pe = g.op("Slice", [table, g.ints([0]), steps, g.ints([0])])
    tokens = g.op("Add", [g.slice_from(x, 1, axis=1), tokens_pe])
    return g.op("Concat", [cls, tokens], axis=1)


def _encoder(g: OnnxGraph, h: str, full_mask: str, encoder: Any) -> str:
    # Padded keys are masked out of every query's softmax, as `TransformerEncoder.call`.
    allowed = g.op("Cast", [full_mask], to=TensorProto.INT32)  # [B, T + 1]
    # embed(h) * sqrt(size), the scale folded into the (linear) layer's weights
    assert encoder.embed.activation is None
    scale = np.float32(math.sqrt(encoder.size))
    x = g.matmul(h, _kernel(encoder.embed) * scale, encoder.embed.bias.numpy() * scale)
    x = _positions(g, x, encoder)
    for block in encoder.blocks:
        layers = {
            "norm1": block.norm_attention,
            "qkv": block.qkv,
            "out": block.attention_out,
            "norm2": block.norm_ffn,
            "ffn_in": block.ffn_in,
            "ffn_out": block.ffn_out,
        }
        x = g.attention_block(x, allowed, block.heads, block.size, layers)
    return g.gelu(g.layer_norm(x, encoder.norm))  # the GELU after Rasa's encoder


def input_layer_weights(net: Any) -> dict[str, np.ndarray]:
    """The sparse input layers' kernels (side by side) and biases, for
    `SparseInputLayer.save`. A graph that reads no token vector (`reads_tokens`: a
    ResponseSelector's default) gets the sentence layer alone, with zero token units:
    the token kernel was never trained, and it is half of such a model."""
    if not net.reads_tokens:
        return {
            "kernel": _kernel(net.sent_sparse),
            "seq_bias": np.zeros(0, np.float32),
            "sent_bias": net.sent_sparse.bias.numpy(),
        }
    return {
        "kernel": np.concatenate([_kernel(net.seq_sparse), _kernel(net.sent_sparse)], axis=1),
        "seq_bias": net.seq_sparse.bias.numpy(),
        "sent_bias": net.sent_sparse.bias.numpy(),
    }


def diet_to_onnx(net: Any) -> onnx.ModelProto:
    """The inference graph of a trained `DietNetwork` (masks folded in or not)."""
    g = OnnxGraph()
    layout = net.layout
    sent = SENT_IN
    if layout.dense:
        sent = g.op("Concat", [sent, SENT_DENSE], axis=-1)
    needs_tokens = net.reads_tokens
    tokens = None
    if needs_tokens:
        seq = SEQ_IN
        if layout.dense:
            seq = g.op("Concat", [seq, SEQ_DENSE], axis=-1)
        seq = g.op("Mul", [seq, g.unsqueeze(MASK, [-1])])
    if net.encoder is not None:
        h = g.op("Concat", [g.unsqueeze(sent, [1]), seq], axis=1)
        h = _ffnn(g, h, net.text_ffnn)
        # The [CLS] position is always real: the mask with a 1 in front.
        full_mask = g.op("Pad", [MASK, g.ints([0, 1, 0, 0]), g.const(1.0)], mode="constant")
        h = _encoder(g, h, full_mask, net.encoder)
        cls = g.op("Gather", [h, g.const(0, dtype=np.int64)], axis=1)
        tokens = g.slice_from(h, 1, axis=1)
    else:
        # Without attention every position is computed on its own: [CLS] from the
        # sentence features only, tokens (if any head reads them) from theirs.
        cls = _ffnn(g, sent, net.text_ffnn)
        if needs_tokens:
            tokens = _ffnn(g, seq, net.text_ffnn)
    outputs = []
    if net.spec.labels:
        text = g.dense(cls, net.text_embed)
        labels = net.label_embeddings(training=False).numpy()
        scores = g.output("MatMul", [text, g.const(labels.T, "labels")], LABEL_SCORES)
        g.output("Softmax", [scores], LABEL_CONFIDENCES, axis=-1)
        for name in (LABEL_SCORES, LABEL_CONFIDENCES):
            outputs.append(float_tensor(name, ["batch", len(net.spec.labels)]))
    for kind, head in net.tag_heads.items():
        assert tokens is not None  # tag heads make `needs_tokens` true
        # Roles and groups without their entity-tag part: the engine adds it from
        # `entity_tag_tables` once the entity path is decoded.
        name = TAG_LOGITS.format(kind=kind)
        g.output(
            "Add", [g.matmul(tokens, head.kernel.numpy()), g.const(head.bias.numpy(), "b")], name
        )
        outputs.append(float_tensor(name, ["batch", "tokens", len(net.spec.tags[kind])]))
    inputs = [
        float_tensor(SEQ_IN, ["batch", "tokens", net.seq_sparse.units]),
        float_tensor(SENT_IN, ["batch", net.sent_sparse.units]),
        float_tensor(MASK, ["batch", "tokens"]),
    ]
    if layout.dense:
        inputs += [
            float_tensor(SEQ_DENSE, ["batch", "tokens", layout.dense_dim]),
            float_tensor(SENT_DENSE, ["batch", layout.dense_dim]),
        ]
    # Sorted by name, the order in which tf2onnx listed a result dict's outputs.
    outputs.sort(key=lambda o: o.name)
    return g.model("diet", inputs, outputs)
