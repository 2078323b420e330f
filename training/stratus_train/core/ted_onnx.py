"""TED's network written directly as an ONNX graph from the trained weights.

tf2onnx takes seconds to convert even this small graph, longer than training a small bot;
the network is a handful of standard ops, so the graph is built here node by node and
checked against TensorFlow on real inputs before it is accepted.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from stratus.core.policies.ted import (
    CONFIDENCES,
    SIMILARITIES,
    TED_MODEL_FILE,
    TURN_MASK,
    TURNS,
)

OPSET = 17
TOLERANCE = 1e-4


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: Any, hint: str = "c", dtype: Any = np.float32) -> str:
        name = self.name(hint)
        self.weights.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, kind: str, inputs: list[str], hint: str = "", **attrs: Any) -> str:
        out = self.name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def dense(self, x: str, layer: Any) -> str:
        y = self.op("MatMul", [x, self.const(layer.kernel.numpy(), "w")])
        return self.op("Add", [y, self.const(layer.bias.numpy(), "b")])

    def layer_norm(self, x: str, layer: Any) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.const(layer.gamma.numpy(), "g"), self.const(layer.beta.numpy(), "b")],
            axis=-1,
            epsilon=float(layer.epsilon),
        )

    def gelu(self, x: str) -> str:
        scaled = self.op("Mul", [x, self.const(1.0 / math.sqrt(2.0))])
        one_plus = self.op("Add", [self.op("Erf", [scaled]), self.const(1.0)])
        return self.op("Mul", [self.op("Mul", [x, one_plus]), self.const(0.5)])


def _attention_bias(g: _Graph) -> str:
    """[B, 1, T, T]: 0 where a turn may attend (itself, earlier real turns), else -1e9."""
    steps = g.op("Gather", [g.op("Shape", [TURN_MASK]), g.const([1], dtype=np.int64)], axis=0)
    square = g.op("Concat", [steps, steps], axis=0)
    ones = g.op(
        "ConstantOfShape",
        [square],
        value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
    )
    causal = g.op("Trilu", [ones], upper=0)
    keys = g.op("Unsqueeze", [TURN_MASK, g.const([1, 2], dtype=np.int64)])  # [B,1,1,T]
    allowed = g.op("Mul", [keys, causal])
    return g.op("Mul", [g.op("Sub", [g.const(1.0), allowed]), g.const(-1e9)])


def _block(g: _Graph, x: str, block: Any, bias: str) -> str:
    heads, size = block.heads, block.size
    depth = size // heads
    qkv = g.dense(g.layer_norm(x, block.norm1), block.qkv)
    qkv = g.op("Reshape", [qkv, g.const([0, 0, 3, heads, depth], dtype=np.int64)])
    qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [qkv, g.const(i, dtype=np.int64)], axis=0) for i in range(3))
    logits = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    logits = g.op("Add", [g.op("Mul", [logits, g.const(1.0 / math.sqrt(depth))]), bias])
    attended = g.op("MatMul", [g.op("Softmax", [logits], axis=-1), v])
    attended = g.op("Transpose", [attended], perm=[0, 2, 1, 3])
    attended = g.op("Reshape", [attended, g.const([0, 0, size], dtype=np.int64)])
    x = g.op("Add", [x, g.dense(attended, block.out)])
    hidden = g.gelu(g.dense(g.layer_norm(x, block.norm2), block.ffn_in))
    return g.op("Add", [x, g.dense(hidden, block.ffn_out)])


def network_to_onnx(net: Any, dimension: int) -> onnx.ModelProto:
    """The inference graph of a trained TedNetwork: turns, turn_mask -> confidences."""
    g = _Graph()
    bias = _attention_bias(g)
    x = g.dense(TURNS, net.turn_in)
    for block in net.blocks:
        x = _block(g, x, block, bias)
    last = g.op("Gather", [g.layer_norm(x, net.norm), g.const(-1, dtype=np.int64)], axis=1)
    dialogue = g.dense(last, net.dialogue_embed)
    actions = g.const(net.action_embeddings.numpy().T, "actions")
    g.nodes.append(helper.make_node("MatMul", [dialogue, actions], [SIMILARITIES]))
    g.nodes.append(helper.make_node("Softmax", [SIMILARITIES], [CONFIDENCES], axis=-1))
    graph = helper.make_graph(
        g.nodes,
        "ted",
        [
            helper.make_tensor_value_info(TURNS, TensorProto.FLOAT, ["batch", "turns", dimension]),
            helper.make_tensor_value_info(TURN_MASK, TensorProto.FLOAT, ["batch", "turns"]),
        ],
        [
            helper.make_tensor_value_info(CONFIDENCES, TensorProto.FLOAT, ["batch", "actions"]),
            helper.make_tensor_value_info(SIMILARITIES, TensorProto.FLOAT, ["batch", "actions"]),
        ],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def export_ted(
    net: Any, dimension: int, directory: Path, turns: np.ndarray, mask: np.ndarray
) -> float:
    """Writes `directory/model.onnx`; returns max |TF - ONNX| on the given inputs and
    refuses (RuntimeError) an export that differs by more than TOLERANCE."""
    import onnxruntime as ort

    path = directory / TED_MODEL_FILE
    onnx.save(network_to_onnx(net, dimension), str(path))
    if not len(turns):
        return 0.0
    expected = net.confidences(turns, mask).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run([CONFIDENCES], {TURNS: turns, TURN_MASK: mask})[0]
    worst = float(np.max(np.abs(expected - got)))
    if worst > TOLERANCE:
        raise RuntimeError(f"TED's ONNX graph differs from TensorFlow by {worst:.2e}")
    return worst
