"""The pieces that make `stratus train` fast must compute what they replace.

FusedAdam stands in for Keras' Adam, LayerNorm for Keras' LayerNormalization, and
diet_to_onnx for tf2onnx; each is compared here with the original on real TensorFlow.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from stratus.nlu.diet import DIET_DEFAULTS
from stratus.nlu.features import SENT_IN, FeatureLayout, build_inputs
from stratus.nlu.input_layer import SparseInputLayer, layer_inputs
from stratus.nlu.message import DenseBlock, Message, SparseBlock, SparseRow, Token
from stratus.nlu.onnx_model import LABEL_CONFIDENCES, LABEL_SCORES

pytestmark = pytest.mark.slow


def test_fused_adam_updates_weights_as_keras_adam_does() -> None:
    import keras
    import tensorflow as tf

    from stratus_train.optimizer import FusedAdam

    rng = np.random.default_rng(0)
    start = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)]
    ours = [tf.Variable(w) for w in start]
    theirs = [tf.Variable(w) for w in start]
    fused = FusedAdam(ours, 0.01)
    reference = keras.optimizers.Adam(0.01)
    for step in range(5):
        grads = [rng.normal(size=w.shape).astype(np.float32) * (step + 1) for w in start]
        fused.apply([tf.constant(g) for g in grads])
        reference.apply_gradients(zip([tf.constant(g) for g in grads], theirs))
    for a, b, w in zip(ours, theirs, start):
        assert not np.allclose(a.numpy(), w)  # it did move
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("gathered", [True, False])
def test_fused_adam_l2_is_rasas_l2_gated_by_the_prediction_gradient(gathered: bool) -> None:
    # Rasa 3.6's RasaModel.train_step, written out with Keras' Adam: the L2 gradient is
    # added only where the prediction gradient is positive. `gathered`: DIET's sparse
    # kernels, whose rows come as IndexedSlices (some twice, some never); otherwise a
    # dense kernel.
    import keras
    import tensorflow as tf

    from stratus_train.optimizer import FusedAdam

    rng = np.random.default_rng(2)
    start = rng.normal(size=(9, 4)).astype(np.float32)
    ours, theirs = tf.Variable(start), tf.Variable(start)
    reg = 0.05
    fused = FusedAdam([ours], 0.01, l2=[(ours, reg)])
    reference = keras.optimizers.Adam(0.01)
    never = [7, 8]  # rows no step gathers

    def fit(w: tf.Variable, ids: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        rows = tf.gather(w, ids) if gathered else tf.matmul(tf.ones([6, 9]) / 9, w)
        return tf.reduce_sum((rows - target) ** 2)

    for _ in range(4):
        batch = (
            tf.constant(rng.integers(0, 7, size=6)),
            tf.constant(rng.normal(size=(6, 4)).astype(np.float32)),
        )
        with tf.GradientTape() as tape:
            ours_loss = fit(ours, *batch) + tf.stop_gradient(reg * tf.reduce_sum(ours**2))
        grad = tape.gradient(ours_loss, ours)
        assert isinstance(grad, tf.IndexedSlices) == gathered
        fused.apply([grad])
        with tf.GradientTape(persistent=True) as tape:
            prediction = fit(theirs, *batch)
            penalty = reg * tf.reduce_sum(theirs**2)
        pred_grad = tf.convert_to_tensor(tape.gradient(prediction, theirs))
        reg_grad = tape.gradient(penalty, theirs)
        gated = pred_grad + tf.where(pred_grad > 0, reg_grad, tf.zeros_like(reg_grad))
        reference.apply_gradients([(gated, theirs)])
        np.testing.assert_allclose(ours_loss.numpy(), (prediction + penalty).numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    if gathered:  # rows no cell touched get no L2 pull at all
        np.testing.assert_array_equal(ours.numpy()[never], start[never])
        assert not np.allclose(ours.numpy()[:7], start[:7])


def test_fused_adam_skips_variables_without_a_gradient() -> None:
    import tensorflow as tf

    from stratus_train.optimizer import FusedAdam

    used, unused = tf.Variable([1.0, 2.0]), tf.Variable([3.0])
    FusedAdam([used, unused], 0.1).apply([tf.constant([1.0, -1.0]), None])
    assert unused.numpy().tolist() == [3.0]
    np.testing.assert_allclose(used.numpy(), [0.9, 2.1], rtol=1e-5)


def test_sparse_dense_flat_cells_equal_the_padded_form_with_its_gradient() -> None:
    # Training feeds cells (row, id, value) and sums them per row; serving pads every row
    # to the widest. Rows 1 and 4 have no cell (the last one too, which the sum must pad).
    import tensorflow as tf

    from stratus_train.layers import SparseDense

    layer = SparseDense(12, 5, 0.0)
    padded_ids = np.asarray([[3, 7, 7], [0, 0, 0], [1, 11, 0], [5, 0, 0], [0, 0, 0]])
    padded_vals = np.asarray(
        [[1.0, 0.5, 2.0], [0, 0, 0], [1.0, 3.0, 0], [-1.0, 0, 0], [0, 0, 0]], dtype=np.float32
    )
    row, slot = np.nonzero(padded_vals)
    weights = tf.constant(np.random.default_rng(4).normal(size=(5, 5)).astype(np.float32))
    layer(tf.constant(padded_ids), tf.constant(padded_vals))  # build
    results = []
    for form in ("padded", "flat"):
        with tf.GradientTape() as tape:
            if form == "padded":
                out = layer(tf.constant(padded_ids), tf.constant(padded_vals))
            else:
                ids, vals = padded_ids[row, slot], padded_vals[row, slot]
                out = layer.flat(tf.constant(row.astype(np.int32)), ids, vals, 5)
            loss = tf.reduce_sum(out * weights)
        grad = tf.convert_to_tensor(tape.gradient(loss, layer.kernel))
        results.append((out.numpy(), grad.numpy()))
    (padded_out, padded_grad), (flat_out, flat_grad) = results
    assert flat_out.shape == (5, 5)
    np.testing.assert_allclose(flat_out, padded_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(flat_grad, padded_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(flat_out[4], layer.bias.numpy())


@pytest.mark.parametrize("shape", [(7, 16), (2, 5, 16)])
def test_layer_norm_and_its_gradient_equal_keras(shape: tuple[int, ...]) -> None:
    import keras
    import tensorflow as tf

    from stratus_train.layers import LayerNorm

    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=shape).astype(np.float32) * 3 + 1)
    weights = tf.constant(rng.normal(size=shape).astype(np.float32))
    gamma, beta = (rng.normal(size=shape[-1]).astype(np.float32) for _ in range(2))
    results = []
    for layer in (LayerNorm(epsilon=1e-6), keras.layers.LayerNormalization(epsilon=1e-6)):
        layer.build(x.shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * y * weights)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append([y.numpy(), *(v.numpy() for v in grads)])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-4)


def _row(rng: np.random.Generator, dim: int) -> SparseRow:
    columns = sorted(rng.choice(dim, size=3, replace=False).tolist())
    return [(c, float(v)) for c, v in zip(columns, rng.random(3) + 0.5)]


def _messages(layout: FeatureLayout, lengths: list[int], seed: int) -> list[Message]:
    """Featurized messages of the given token counts. The first sparse block is looked up
    per word (as CountVectors' is) and its sentence row sums its token rows; any other
    block reads context and has a sentence row of its own (as the regex featurizer's)."""
    rng = np.random.default_rng(seed)
    (first, first_dim), *others = layout.sparse
    vocabulary = [f"w{i}" for i in range(6)]
    word_rows = {w: _row(rng, first_dim) for w in vocabulary}
    messages = []
    for length in lengths:
        words = [str(w) for w in rng.choice(vocabulary, size=length)]
        message = Message(" ".join(words), tokens=[Token(w, 0, 0) for w in words])
        rows = [word_rows[w] for w in words]
        message.sparse.append(SparseBlock(first, first_dim, rows, None, True, keys=words))
        for key, dim in others:
            sequence = [_row(rng, dim) for _ in words]
            message.sparse.append(SparseBlock(key, dim, sequence, _row(rng, dim)))
        for key, dim in layout.dense:
            sequence = rng.normal(size=(length, dim)).astype(np.float32)
            message.dense.append(DenseBlock(key, sequence, sequence.mean(axis=0)))
        messages.append(message)
    return messages


def _feeds(
    net: Any, messages: list[Message]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """What TensorFlow reads (sparse cells) and what the exported graph reads (the
    engine's sparse input layer applied to the same messages)."""
    from stratus_train.diet_onnx import input_layer_weights

    layer = SparseInputLayer(net.layout, **input_layer_weights(net))
    return (
        build_inputs(messages, net.layout, 512),
        layer_inputs(messages, net.layout, 512, layer),
    )


def _diet(layout: FeatureLayout, tags: dict[str, list[str]], **options: Any) -> Any:
    from stratus_train.network import DietNetwork, TaskSpec

    config = {**DIET_DEFAULTS, "transformer_size": 32, "embedding_dimension": 8, **options}
    config["dense_dimension"] = {"text": 16, "label": 8}
    spec = TaskSpec(["greet", "bye", "inform"], np.eye(3, dtype=np.float32), tags)
    net = DietNetwork(config, layout, spec, np.random.default_rng(2))
    net.outputs(build_inputs(_messages(layout, [3, 1], 0), layout, 512), training=False)
    return net


@pytest.mark.parametrize(
    ("dense", "tags", "options"),
    [
        ((), {"entity": ["O", "U-city"]}, {}),
        (
            (("lm", 6),),
            {"entity": ["O", "B-city", "L-city"], "role": ["O", "U-from", "U-to"]},
            {"hidden_layers_sizes": {"text": [24], "label": []}},
        ),
        ((), {}, {"number_of_transformer_layers": 0}),
    ],
    ids=["transformer", "dense-features-roles-hidden-layers", "no-transformer"],
)
def test_hand_written_diet_graph_computes_what_tensorflow_does(
    dense: tuple[tuple[str, int], ...], tags: dict[str, list[str]], options: dict[str, Any]
) -> None:
    from stratus_train.diet_onnx import diet_to_onnx
    from stratus_train.layers import bake_masks

    layout = FeatureLayout((("words", 30), ("chars", 50)), dense)
    net = _diet(layout, tags, **options)
    bake_masks(net)
    session = ort.InferenceSession(
        diet_to_onnx(net).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()]
    assert names == sorted([LABEL_CONFIDENCES, LABEL_SCORES, *(f"{k}_logits" for k in tags)])
    wanted = {i.name for i in session.get_inputs()}
    for lengths in ([4], [5, 1, 3]):  # one message, and a padded batch
        tf_feeds, onnx_feeds = _feeds(net, _messages(layout, lengths, seed=len(lengths)))
        expected = {k: v.numpy() for k, v in net.outputs(tf_feeds, training=False).items()}
        got = dict(zip(names, session.run(names, {k: onnx_feeds[k] for k in wanted})))
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, atol=1e-4)


def test_a_diet_without_attention_or_tags_reads_only_sentence_features() -> None:
    from stratus_train.diet_onnx import diet_to_onnx

    layout = FeatureLayout((("words", 30),))
    net = _diet(layout, {}, number_of_transformer_layers=0)
    inputs = {i.name for i in diet_to_onnx(net).graph.input}
    assert inputs == {SENT_IN}


def test_tensorflow_import_leaves_matplotlib_out_but_importable() -> None:
    code = textwrap.dedent("""
        import gc, sys
        from stratus_train.backend import keras, tf
        assert "matplotlib" not in sys.modules, "matplotlib was imported"
        assert gc.isenabled()
        import matplotlib.pyplot
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_large_data_sets_train_on_every_core_small_bots_on_one() -> None:
    from stratus_train.background import usable_cores
    from stratus_train.threads import PARALLEL_FROM_TOKENS, threads_for

    cores = usable_cores()
    assert threads_for(300) == 1  # moodbot: a second thread only adds synchronisation
    assert threads_for(PARALLEL_FROM_TOKENS - 1) == 1
    assert threads_for(120_000) == cores  # CLINC150, SNIPS


def test_exported_graphs_hold_only_what_their_outputs_need() -> None:
    # onnxruntime runs every node it is given, even one whose result nothing reads.
    from onnx import helper

    from stratus_train.onnx_graph import OnnxGraph, float_tensor

    g = OnnxGraph()
    kept = g.op("Relu", ["x"])
    g.op("Softmax", [g.op("Mul", [kept, g.const(np.ones(3), "unused")])], axis=-1)
    g.nodes.append(helper.make_node("Add", [kept, g.const(np.ones(3), "one")], ["y"]))
    model = g.model(
        "m",
        [float_tensor("x", ["batch", 3]), float_tensor("z", ["batch", 3])],
        [float_tensor("y", ["batch", 3])],
    )
    assert [n.op_type for n in model.graph.node] == ["Relu", "Add"]
    assert [i.name for i in model.graph.input] == ["x"]
    assert [w.name for w in model.graph.initializer] == [model.graph.node[1].input[1]]
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.array([[-1.0, 0.5, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(session.run(None, {"x": x})[0], np.maximum(x, 0) + 1)


def test_roles_read_the_entity_path_as_rasas_do() -> None:
    # Rasa's role CRF reads the entity tags one-hot: the gold ones in training, the entity
    # CRF's path in prediction. The exported graph gives the token part and the table
    # the tag part; together they are what TensorFlow computes.
    from stratus_train.diet_onnx import diet_to_onnx
    from stratus_train.layers import bake_masks

    layout = FeatureLayout((("words", 30),))
    tags = {"entity": ["O", "B-city", "L-city", "U-city"], "role": ["O", "U-from", "U-to"]}
    net = _diet(layout, tags, drop_rate=0.0, use_sparse_input_dropout=False)
    bake_masks(net)
    graph = diet_to_onnx(net)
    # one softmax, the labels': no entity tag distribution goes into the role head
    assert [n.op_type for n in graph.graph.node].count("Softmax") == 1
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    table = net.entity_tag_tables()["role"]
    assert table.shape == (4, 3) and np.ptp(table, axis=0).max() > 1e-3
    feeds, onnx_feeds = _feeds(net, _messages(layout, [4, 2], seed=5))
    entity = np.asarray([[3, 0, 1, 2], [0, 3, 0, 0]], dtype=np.int32)
    wanted = {i.name for i in session.get_inputs()}
    (base,) = session.run(["role_logits"], {k: onnx_feeds[k] for k in wanted})
    out = net.outputs(feeds, training=False)
    expected = out["role_logits"].numpy() + net.entity_tag_scores("role", entity).numpy()
    np.testing.assert_allclose(base + table[entity], expected, atol=1e-4)
    # Training reads the gold entity tags: other gold tags, another role loss.
    role = np.asarray([[1, 0, 0, 2], [0, 1, 0, 0]], dtype=np.int32)
    losses = []
    for gold in (entity, np.zeros_like(entity)):
        _, metrics = net.training_loss(
            feeds, np.asarray([0, 1], np.int32), {"entity": gold, "role": role}
        )
        losses.append(float(metrics["r_loss"]))
    assert abs(losses[0] - losses[1]) > 1e-4, losses
