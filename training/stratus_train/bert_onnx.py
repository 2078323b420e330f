"""A BERT encoder as an ONNX graph, built with `onnx.helper` straight from its weights.

No TensorFlow, torch or transformers: the safetensors file is read with numpy and every
layer is written as plain ONNX ops (opset 17: LayerNormalization; GELU with Erf, which
onnxruntime runs, unlike Erfc). `reference_encode` is the same network in numpy, the
yardstick the exported graph is checked against.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from stratus.nlu.featurizers.language_model import (
    ATTENTION_MASK,
    INPUT_IDS,
    TOKEN_EMBEDDINGS,
)

OPSET = 17
# Added to the attention scores of padding pieces: exp() of it is exactly 0 in float32.
_MASKED = -1e9
_DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "F64": np.float64,
    "I64": np.int64,
    "I32": np.int32,
}


@dataclass(frozen=True)
class BertConfig:
    """The parts of a Hugging Face `config.json` the encoder depends on."""

    hidden_size: int
    layers: int
    heads: int
    layer_norm_eps: float
    max_positions: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BertConfig:
        if data.get("model_type", "bert") != "bert":
            raise ValueError(f"model_type is '{data.get('model_type')}', not 'bert'")
        if data.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"hidden_act '{data.get('hidden_act')}' is not supported")
        if data.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        return cls(
            hidden_size=int(data["hidden_size"]),
            layers=int(data["num_hidden_layers"]),
            heads=int(data["num_attention_heads"]),
            layer_norm_eps=float(data.get("layer_norm_eps", 1e-12)),
            max_positions=int(data.get("max_position_embeddings", 512)),
        )


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file: an 8-byte header length, a JSON header, raw data."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    body = memoryview(raw)[8 + length :]
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(body[start:end], dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif info["dtype"] in _DTYPES:
            array = np.frombuffer(
                body[start:end], dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
            )
        else:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {info['dtype']}")
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors


def bert_weights(tensors: dict[str, np.ndarray], config: BertConfig) -> dict[str, np.ndarray]:
    """Float32 weights by their BertModel names, without a `bert.` prefix; linear kernels
    transposed to [in, out] so that the graph multiplies `x @ W`."""
    stripped = {k.removeprefix("bert."): v for k, v in tensors.items()}
    names = [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
    ]
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        for part in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "attention.output.LayerNorm",
            "intermediate.dense",
            "output.dense",
            "output.LayerNorm",
        ):
            names += [f"{p}{part}.weight", f"{p}{part}.bias"]
    missing = [n for n in names if n not in stripped]
    if missing:
        raise ValueError(f"the weights lack {len(missing)} BERT tensors, e.g. {missing[0]}")
    out = {}
    for n in names:
        w = stripped[n].astype(np.float32)
        if n.endswith("weight") and "LayerNorm" not in n and "embeddings" not in n:
            w = np.ascontiguousarray(w.T)
        out[n] = w
    return out


class _Graph:
    """Nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        self._n += 1
        out = f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, w: dict[str, np.ndarray], prefix: str) -> str:
        kernel = self.const(f"{prefix}.weight", w[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return self.op("Add", self.op("MatMul", x, kernel), bias)

    def layer_norm(self, x: str, w: dict[str, np.ndarray], prefix: str, eps: float) -> str:
        scale = self.const(f"{prefix}.weight", w[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)


def build_encoder(weights: dict[str, np.ndarray], config: BertConfig) -> onnx.ModelProto:
    """(input_ids, attention_mask) [batch, pieces] int64 -> token_embeddings
    [batch, pieces, hidden] float32, both axes dynamic."""
    g = _Graph()
    h, heads = config.hidden_size, config.heads
    head_dim = h // heads
    word = g.const("word_embeddings", weights["embeddings.word_embeddings.weight"])
    positions = g.const("position_embeddings", weights["embeddings.position_embeddings.weight"])
    segment = g.const("segment_embedding", weights["embeddings.token_type_embeddings.weight"][0])
    zero = g.const("zero", np.array(0, dtype=np.int64))
    one = g.const("one", np.array(1, dtype=np.int64))
    one_f = g.const("one_f", np.array(1.0, dtype=np.float32))
    masked = g.const("masked", np.array(_MASKED, dtype=np.float32))
    split_heads = g.const("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_heads = g.const("merge_heads", np.array([0, 0, h], dtype=np.int64))
    mask_axes = g.const("mask_axes", np.array([1, 2], dtype=np.int64))
    scale = g.const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))
    inv_sqrt2 = g.const("inv_sqrt2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))

    steps = g.op("Gather", g.op("Shape", INPUT_IDS), one, axis=0)
    pos = g.op("Gather", positions, g.op("Range", zero, steps, one), axis=0)
    x = g.op("Add", g.op("Add", g.op("Gather", word, INPUT_IDS, axis=0), pos), segment)
    x = g.layer_norm(x, weights, "embeddings.LayerNorm", config.layer_norm_eps)
    keep = g.op("Cast", ATTENTION_MASK, to=TensorProto.FLOAT)
    bias = g.op("Unsqueeze", g.op("Mul", g.op("Sub", one_f, keep), masked), mask_axes)

    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        q = g.op(
            "Transpose",
            g.op("Reshape", g.linear(x, weights, p + "attention.self.query"), split_heads),
            perm=[0, 2, 1, 3],
        )
        k = g.op(
            "Transpose",
            g.op("Reshape", g.linear(x, weights, p + "attention.self.key"), split_heads),
            perm=[0, 2, 3, 1],
        )
        v = g.op(
            "Transpose",
            g.op("Reshape", g.linear(x, weights, p + "attention.self.value"), split_heads),
            perm=[0, 2, 1, 3],
        )
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = g.op("Add", g.linear(context, weights, p + "attention.output.dense"), x)
        x = g.layer_norm(attended, weights, p + "attention.output.LayerNorm", config.layer_norm_eps)
        inner = g.linear(x, weights, p + "intermediate.dense")
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, half),
            g.op("Add", one_f, g.op("Erf", g.op("Mul", inner, inv_sqrt2))),
        )
        out = g.op("Add", g.linear(gelu, weights, p + "output.dense"), x)
        x = g.layer_norm(out, weights, p + "output.LayerNorm", config.layer_norm_eps)
    g.nodes.append(helper.make_node("Identity", [x], [TOKEN_EMBEDDINGS]))

    graph = helper.make_graph(
        g.nodes,
        "bert_encoder",
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "pieces"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "pieces"]),
        ],
        [
            helper.make_tensor_value_info(
                TOKEN_EMBEDDINGS, TensorProto.FLOAT, ["batch", "pieces", h]
            )
        ],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.x reads for opset 17
    onnx.checker.check_model(model)
    return model


_erf = np.frompyfunc(math.erf, 1, 1)


def _layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + bias


def reference_encode(
    weights: dict[str, np.ndarray], config: BertConfig, ids: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """The encoder in float64 numpy, written from the BERT paper's equations."""
    word = "embeddings.word_embeddings.weight"
    w = {k: v.astype(np.float64) for k, v in weights.items() if k != word}
    batch, steps = ids.shape
    heads, head_dim = config.heads, config.hidden_size // config.heads
    eps = config.layer_norm_eps
    x = (
        weights[word][ids].astype(np.float64)
        + w["embeddings.position_embeddings.weight"][:steps]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask.astype(np.float64))[:, None, None, :] * _MASKED

    def linear(v: np.ndarray, prefix: str) -> np.ndarray:
        return np.asarray(v @ w[f"{prefix}.weight"] + w[f"{prefix}.bias"])

    def split(v: np.ndarray) -> np.ndarray:
        return v.reshape(batch, steps, heads, head_dim).transpose(0, 2, 1, 3)

    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        q = split(linear(x, p + "attention.self.query"))
        k = split(linear(x, p + "attention.self.key"))
        v = split(linear(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_dim) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, steps, -1)
        x = _layer_norm(
            linear(context, p + "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inner = linear(x, p + "intermediate.dense")
        gelu = 0.5 * inner * (1.0 + np.asarray(_erf(inner / math.sqrt(2.0)), dtype=np.float64))
        x = _layer_norm(
            linear(gelu, p + "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
    return x.astype(np.float32)
