"""int8 weights for an exported network: the `quantize: int8` option.

onnxruntime's dynamic quantization stores each large weight matrix as int8 with one
scale per output column (7 bits used, which keeps AVX2 and AVX-512 machines without
VNNI clear of the u8 x s8 products' saturation) and quantizes the activations per call;
the sparse input kernel, computed in numpy, gets int8 rows with a scale each.
A model is ~4x smaller where its weights are (a language model's encoder 90 -> 23 MB)
and its matrix products run on integer kernels; predictions move a little away from the
float32 network's (and so from Rasa's), which is why the option is the user's to set.

Small matrices stay float32: the label embeddings and the projections into the
20-dimensional embedding space decide the confidences, and their products cost nothing.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import onnx

from stratus.nlu.component import QUANTIZE, read_json, write_json
from stratus.nlu.input_layer import KERNEL_FILE, SCALES_FILE
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import LABEL_CONFIDENCES, META_FILE, MODEL_FILE, OnnxModel

# A weight matrix with fewer elements than this stays float32.
MIN_WEIGHTS = 16384
# Node kinds whose weights are quantized: products, DIET's fused attention, and the
# language model's word-embedding lookup (most of its size).
QUANTIZED_OPS = ("MatMul", "Attention", "Gather")


def quantize_int8(path: Path) -> int:
    """Rewrite the ONNX model at `path` with int8 weights; returns how many nodes changed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(path))
    large = {init.name for init in model.graph.initializer if math.prod(init.dims) >= MIN_WEIGHTS}
    readers = Counter(name for node in model.graph.node for name in node.input)
    chosen = []
    for i, node in enumerate(model.graph.node):
        # The quantizer picks nodes by name; the hand-written graphs leave most unnamed.
        node.name = node.name or f"{node.op_type.lower()}_node_{i}"
        # A Gather's table is its first input; a product's weights its second.
        at = 0 if node.op_type == "Gather" else 1
        if node.op_type in QUANTIZED_OPS and len(node.input) > at and node.input[at] in large:
            # A table another node also reads (DIET's positions: a Gather for [CLS], a
            # Slice for the tokens) would be dequantized whole for that node on every
            # run: 131k values, ~30 us of a parse.
            if node.op_type == "Gather" and readers[node.input[at]] > 1:
                continue
            chosen.append(node.name)
    if not chosen:
        return 0
    out = path.with_suffix(".int8.onnx")
    try:
        quantize_dynamic(
            model,
            out,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            nodes_to_quantize=chosen,
            op_types_to_quantize=list(QUANTIZED_OPS),
            # The graphs use onnxruntime's fused ops, which ONNX shape inference cannot
            # type; every tensor of these networks is float32 unless an initializer says.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        os.replace(out, path)
    except Exception as e:  # the quantizer's own errors name no model
        raise RuntimeError(f"int8 quantization of {path} failed: {e}") from e
    finally:
        out.unlink(missing_ok=True)
    return len(chosen)


def quantize_input_kernel(directory: Path) -> None:
    """The sparse input kernel (most of a model: SNIPS' is 40 MB) as int8 rows with one
    float32 scale each, which `SparseInputLayer` folds into the cells' values."""
    kernel = np.load(directory / KERNEL_FILE)
    scales = np.abs(kernel).max(axis=1) / 127.0
    scales[scales == 0] = 1.0  # a row of zeros stays zeros
    rows = np.rint(kernel / scales[:, None]).astype(np.int8)
    np.save(directory / KERNEL_FILE, rows)
    np.save(directory / SCALES_FILE, scales.astype(np.float32))


def agreement(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, float]:
    """How far the int8 network's outputs moved from the float32 one's on the same inputs:
    the largest change of a label confidence, and the share of messages (labels) and of
    token positions (tags) whose top choice stayed."""
    report: dict[str, float] = {}
    for name, was in before.items():
        now = after[name]
        if was.size == 0:
            continue
        if name == LABEL_CONFIDENCES:
            report["max_confidence_change"] = float(np.max(np.abs(now - was)))
            report["same_label"] = float(np.mean(now.argmax(-1) == was.argmax(-1)))
        elif name.endswith("_logits"):
            report[f"same_{name[: -len('_logits')]}_tag"] = float(
                np.mean(now.argmax(-1) == was.argmax(-1))
            )
    return report


def quantize_network(directory: Path, check: list[Message]) -> dict[str, float]:
    """`quantize: int8` for an exported DIET or ResponseSelector: model.onnx and the
    sparse input kernel rewritten, and what that changed on `check` recorded in meta.json
    and returned."""
    before = OnnxModel(directory).run(check) if check else {}
    nodes = quantize_int8(directory / MODEL_FILE)
    if (directory / KERNEL_FILE).exists():
        quantize_input_kernel(directory)
    after = OnnxModel(directory).run(check) if check else {}
    report = {"nodes": nodes, **agreement(before, after)}
    meta = read_json(directory / META_FILE)
    write_json(directory / META_FILE, {**meta, QUANTIZE: {"weights": "int8", **report}})
    return report
