"""TED's network (TEDPolicy, UnexpecTEDIntentPolicy) written directly as an ONNX graph
from the trained weights.

tf2onnx takes seconds to convert even this small graph, longer than training a small bot;
the network is a handful of standard ops, so the graph is built here node by node and
checked against TensorFlow on real inputs before it is accepted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from stratus.core.policies.ted import (
    CONFIDENCES,
    SIMILARITIES,
    TED_MODEL_FILE,
    TURN_MASK,
    TURNS,
)
from stratus_train.onnx_graph import OnnxGraph, float_tensor

TOLERANCE = 1e-4


def _steps(g: OnnxGraph) -> str:
    """[1] int64: the number of turns."""
    return g.op("Gather", [g.op("Shape", [TURN_MASK]), g.const([1], dtype=np.int64)], axis=0)


def _allowed(g: OnnxGraph, unidirectional: bool) -> str:
    """int32 [B, T], 1 for the real turns every turn may attend to; with `unidirectional`
    [B, T, T]: only real turns up to and including itself."""
    if not unidirectional:
        return g.op("Cast", [TURN_MASK], to=TensorProto.INT32)
    steps = _steps(g)
    square = g.op("Concat", [steps, steps], axis=0)
    ones = g.op(
        "ConstantOfShape",
        [square],
        value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
    )
    keys = g.op("Unsqueeze", [TURN_MASK, g.const([1], dtype=np.int64)])  # [B, 1, T]
    allowed = g.op("Mul", [keys, g.op("Trilu", [ones], upper=0)])
    return g.op("Cast", [allowed], to=TensorProto.INT32)


def _positions(g: OnnxGraph, net: Any) -> str:
    """[T, size]: the sinusoidal encoding of each turn's distance from the latest."""
    last = g.op("Squeeze", [g.op("Sub", [_steps(g), g.const([1], dtype=np.int64)])])
    back = g.op(
        "Range",
        [last, g.const(np.int64(-1), dtype=np.int64), g.const(np.int64(-1), dtype=np.int64)],
    )
    column = g.op("Unsqueeze", [g.op("Cast", [back], to=TensorProto.FLOAT), g.ints([1])])
    angles = g.op("Mul", [column, g.const(net.angles)])
    sines = g.op("Mul", [g.op("Sin", [angles]), g.const(net.even)])
    cosines = g.op("Mul", [g.op("Cos", [angles]), g.const(1.0 - net.even)])
    return g.op("Add", [sines, cosines])


def _block(g: OnnxGraph, x: str, block: Any, allowed: str) -> str:
    layers = {
        "norm1": block.norm1,
        "qkv": block.qkv,
        "out": block.out,
        "norm2": block.norm2,
        "ffn_in": block.ffn_in,
        "ffn_out": block.ffn_out,
    }
    return g.attention_block(x, allowed, block.heads, block.size, layers)


def network_to_onnx(net: Any, dimension: int, confidences: bool = True) -> onnx.ModelProto:
    """The inference graph of a trained TedNetwork: turns, turn_mask -> confidences (the
    softmax; left out for UnexpecTED, which reads similarities only) and similarities."""
    g = OnnxGraph()
    allowed = _allowed(g, net.unidirectional)
    # turn_in(turns) * sqrt(size), the scale folded into the Dense layer's weights
    scale = np.float32(np.sqrt(net.size))
    x = g.matmul(TURNS, net.turn_in.kernel.numpy() * scale, net.turn_in.bias.numpy() * scale)
    x = g.op("Add", [x, _positions(g, net)])
    for block in net.blocks:
        x = _block(g, x, block, allowed)
    last = g.op("Gather", [g.layer_norm(x, net.norm), g.const(-1, dtype=np.int64)], axis=1)
    last = g.gelu(last)
    dialogue = g.dense(last, net.dialogue_embed)
    labels = g.const(net.action_embeddings.numpy().T, "labels")
    g.nodes.append(helper.make_node("MatMul", [dialogue, labels], [SIMILARITIES]))
    outputs = [float_tensor(SIMILARITIES, ["batch", "labels"])]
    if confidences:
        g.nodes.append(helper.make_node("Softmax", [SIMILARITIES], [CONFIDENCES], axis=-1))
        outputs.insert(0, float_tensor(CONFIDENCES, ["batch", "labels"]))
    return g.model(
        "ted",
        [
            float_tensor(TURNS, ["batch", "turns", dimension]),
            float_tensor(TURN_MASK, ["batch", "turns"]),
        ],
        outputs,
    )


def export_ted(
    net: Any, dimension: int, directory: Path, turns: np.ndarray, mask: np.ndarray
) -> float:
    """Writes `directory/model.onnx`; returns max |TF - ONNX| on the given inputs and
    refuses (RuntimeError) an export that differs by more than TOLERANCE."""
    path = directory / TED_MODEL_FILE
    onnx.save(network_to_onnx(net, dimension), str(path))
    if not len(turns):
        return 0.0
    expected = net.confidences(turns, mask).numpy()
    return _check(path, CONFIDENCES, expected, turns, mask, "TED")


def export_similarities(
    net: Any, dimension: int, path: Path, turns: np.ndarray, mask: np.ndarray, what: str
) -> float:
    """Writes the similarities-only graph to `path`; returns max |TF - ONNX| on the given
    inputs and refuses (RuntimeError) an export that differs by more than TOLERANCE."""
    onnx.save(network_to_onnx(net, dimension, confidences=False), str(path))
    if not len(turns):
        return 0.0
    expected = net.scores(turns, mask, training=False).numpy()
    return _check(path, SIMILARITIES, expected, turns, mask, what)


def _check(
    path: Path, output: str, expected: np.ndarray, turns: np.ndarray, mask: np.ndarray, what: str
) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run([output], {TURNS: turns, TURN_MASK: mask})[0]
    worst = float(np.max(np.abs(expected - got)))
    if worst > TOLERANCE:
        raise RuntimeError(f"{what}'s ONNX graph differs from TensorFlow by {worst:.2e}")
    return worst
