"""Writing a trained Keras network straight into an ONNX graph, node by node.

tf2onnx freezes the TensorFlow graph, runs Grappler on it and then its own optimizer
passes: seconds of CPU for networks that are a few dozen standard ops (more than
training a small bot takes). DIET and TED are written here from their trained weights
instead, and every export is checked against TensorFlow on real inputs before it is
accepted, so a mistake here cannot ship silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
# onnxruntime's own operators (Attention, Gelu, BiasGelu): one kernel where the standard
# opset needs a dozen small ones, which is most of a one-message run. Models are only
# ever served by onnxruntime.
ORT_DOMAIN = "com.microsoft"
ORT_OPSET = 1
_INT64_MAX = np.iinfo(np.int64).max


class OnnxGraph:
    """Nodes and weights of one graph, with the few composite layers our networks use."""

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

    def ints(self, value: Any) -> str:
        return self.const(value, "i", np.int64)

    def op(self, kind: str, inputs: list[str], hint: str = "", **attrs: Any) -> str:
        out = self.name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def output(self, kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        """A node whose result is a graph output, under the output's own name."""
        self.nodes.append(helper.make_node(kind, inputs, [name], **attrs))
        return name

    def matmul(self, x: str, kernel: np.ndarray, bias: np.ndarray | None = None) -> str:
        y = self.op("MatMul", [x, self.const(kernel, "w")])
        return y if bias is None else self.op("Add", [y, self.const(bias, "b")])

    def dense(self, x: str, layer: Any) -> str:
        """A Keras Dense layer without activation (kernel and bias)."""
        return self.matmul(x, layer.kernel.numpy(), layer.bias.numpy())

    def layer_norm(self, x: str, layer: Any) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.const(layer.gamma.numpy(), "g"), self.const(layer.beta.numpy(), "b")],
            axis=-1,
            epsilon=float(layer.epsilon),
        )

    def gelu(self, x: str) -> str:
        """The exact (erf) GELU, as Keras' `gelu(approximate=False)`."""
        return self.op("Gelu", [x], domain=ORT_DOMAIN)

    def dense_gelu(self, x: str, layer: Any) -> str:
        """gelu(x @ kernel + bias) of a Keras Dense layer, the bias added inside the GELU."""
        y = self.op("MatMul", [x, self.const(layer.kernel.numpy(), "w")])
        return self.op("BiasGelu", [y, self.const(layer.bias.numpy(), "b")], domain=ORT_DOMAIN)

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def slice_from(self, x: str, start: int, axis: int) -> str:
        return self.op("Slice", [x, self.ints([start]), self.ints([_INT64_MAX]), self.ints([axis])])

    def attention_block(
        self, x: str, allowed: str, heads: int, size: int, layers: dict[str, Any]
    ) -> str:
        """Pre-norm transformer layer: LN -> self-attention -> residual; LN -> GELU FFN ->
        residual. `layers` names the Keras layers: norm1, qkv, out, norm2, ffn_in, ffn_out
        (qkv one Dense of 3 * size, laid out [3, heads, depth], which is the layout of
        onnxruntime's Attention weights); `allowed` is an int32 mask, [B, T] (which keys
        are real) or [B, T, T] (which key each query may see). The residual sums stay plain
        Adds: onnxruntime's SkipLayerNormalization, which would fold each into the layer
        norm after it, ran ~50 us slower per SNIPS parse here (onnxruntime 1.31, measured)."""
        qkv = layers["qkv"]
        attended = self.op(
            "Attention",
            [
                self.layer_norm(x, layers["norm1"]),
                self.const(qkv.kernel.numpy(), "w"),
                self.const(qkv.bias.numpy(), "b"),
                allowed,
            ],
            domain=ORT_DOMAIN,
            num_heads=heads,
            # what TensorFlow adds to a masked logit (softmax then gives it exactly 0)
            mask_filter_value=-1e9,
        )
        x = self.op("Add", [x, self.dense(attended, layers["out"])])
        hidden = self.dense_gelu(self.layer_norm(x, layers["norm2"]), layers["ffn_in"])
        return self.op("Add", [x, self.dense(hidden, layers["ffn_out"])])

    def model(
        self,
        name: str,
        inputs: list[onnx.ValueInfoProto],
        outputs: list[onnx.ValueInfoProto],
    ) -> onnx.ModelProto:
        """The checked model; nodes no output depends on are dropped (onnxruntime would
        still run them), and so are the inputs and weights nothing reads (as tf2onnx)."""
        needed = {o.name for o in outputs}
        nodes = []
        for node in reversed(self.nodes):
            if needed.intersection(node.output):
                nodes.append(node)
                needed.update(node.input)
        nodes.reverse()
        graph = helper.make_graph(
            nodes,
            name,
            [i for i in inputs if i.name in needed],
            outputs,
            [w for w in self.weights if w.name in needed],
        )
        opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(ORT_DOMAIN, ORT_OPSET)]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model)
        return model


def float_tensor(name: str, shape: list[str | int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def int64_tensor(name: str, shape: list[str | int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.INT64, shape)
