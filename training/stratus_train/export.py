"""TensorFlow -> ONNX with tf2onnx, checked against TensorFlow on real inputs.

DIET and TED are written by hand (diet_onnx.py, core/ted_onnx.py), which takes
milliseconds where tf2onnx's freezing and optimizer passes took seconds; `export_onnx`
remains for any other network, and `compare` checks every export.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from stratus.nlu.onnx_model import MODEL_FILE
from stratus_train.backend import tf

logger = logging.getLogger(__name__)
OPSET = 17
# TF and ONNX must agree this closely on the same inputs, or the export is refused.
TOLERANCE = 1e-4


def export_onnx(
    function: Any,
    signature: list[tf.TensorSpec],
    directory: Path,
    sample: dict[str, np.ndarray] | None,
) -> float:
    """Convert a tf.function to `directory/model.onnx` (dynamic batch and sequence axes).

    Output names are the keys of the function's result dict. Returns the largest absolute
    difference between TensorFlow and onnxruntime on `sample` (0 without a sample).
    """
    import tf2onnx  # only for graphs not written by hand (seconds to import and run)

    model_proto, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=OPSET)
    concrete = function.get_concrete_function()
    keys = sorted(concrete.structured_outputs)  # tf flattens a dict in key order
    for output, key in zip(model_proto.graph.output, keys):
        _rename_tensor(model_proto, output.name, key)
    path = directory / MODEL_FILE
    onnx.save(model_proto, str(path))
    if sample is None:
        return 0.0
    return compare(function, path, {s.name: sample[s.name] for s in signature})


def _rename_tensor(model: onnx.ModelProto, old: str, new: str) -> None:
    if old == new:
        return
    for node in model.graph.node:
        node.output[:] = [new if o == old else o for o in node.output]
        node.input[:] = [new if i == old else i for i in node.input]
    for output in model.graph.output:
        if output.name == old:
            output.name = new


def compare(function: Any, path: Path, feeds: dict[str, np.ndarray]) -> float:
    """Max |TF - ONNX| over all outputs; raises when beyond TOLERANCE."""
    import onnxruntime as ort

    expected = {k: v.numpy() for k, v in function(*feeds.values()).items()}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(names, {k: v for k, v in feeds.items() if k in wanted})))
    return check_difference(expected, got, path)


def check_difference(
    expected: dict[str, np.ndarray], got: dict[str, np.ndarray], path: Path
) -> float:
    """Max |TF - ONNX| over TensorFlow's outputs; raises when beyond TOLERANCE."""
    worst = max(
        float(np.max(np.abs(expected[k] - got[k]))) if expected[k].size else 0.0 for k in expected
    )
    if worst > TOLERANCE:
        raise RuntimeError(
            f"ONNX export of {path} differs from TensorFlow by {worst:.2e} (> {TOLERANCE})"
        )
    return worst
