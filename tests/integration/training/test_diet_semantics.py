"""DIET's training means what Rasa 3.6's does with the same config.

Each of these was a measured accuracy gap at equal epochs (bench/nlu_accuracy.py): a thinned
sparse input layer, a transformer without positional encoding, and batches that did not
repeat rare labels as Rasa's `balanced` strategy does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from stratus.nlu.diet import DIET_DEFAULTS
from stratus.nlu.features import MASK, SENT_IDS, SENT_VALS, SEQ_IDS, SEQ_VALS, FeatureLayout
from stratus.nlu.onnx_model import LABEL_SCORES

pytestmark = pytest.mark.slow


def _net(
    tags: dict[str, list[str]] | None = None,
    label_features: np.ndarray | None = None,
    label_tokens: np.ndarray | None = None,
    **options: Any,
) -> Any:
    from stratus_train.network import DietNetwork, TaskSpec

    config = {**DIET_DEFAULTS, "transformer_size": 32, "embedding_dimension": 8, **options}
    config["dense_dimension"] = {"text": 16, "label": 8}
    layout = FeatureLayout((("words", 40),))
    features = np.eye(2, dtype=np.float32) if label_features is None else label_features
    spec = TaskSpec([f"label{i}" for i in range(len(features))], features, tags or {}, label_tokens)
    net = DietNetwork(config, layout, spec, np.random.default_rng(0))
    net.outputs(_message([1, 2, 3]), training=False)  # build
    return net


def _message(words: list[int]) -> dict[str, np.ndarray]:
    """One message whose token t has the single feature `words[t]`."""
    n = len(words)
    return {
        SEQ_IDS: np.asarray(words, dtype=np.int64).reshape(1, n, 1),
        SEQ_VALS: np.ones((1, n, 1), dtype=np.float32),
        SENT_IDS: np.asarray([sorted(words)], dtype=np.int64),
        SENT_VALS: np.ones((1, n), dtype=np.float32),
        MASK: np.ones((1, n), dtype=np.float32),
    }


def test_word_order_changes_the_intent_scores() -> None:
    # Rasa's encoder adds sinusoidal positions; without them attention is order-blind and
    # "dog bites man" would score exactly as "man bites dog".
    net = _net()
    forward = net.outputs(_message([5, 9, 17]), training=False)[LABEL_SCORES].numpy()
    backward = net.outputs(_message([17, 9, 5]), training=False)[LABEL_SCORES].numpy()
    assert not np.allclose(forward, backward, atol=1e-5)


def test_connection_density_thins_the_transformer_but_not_the_sparse_input() -> None:
    from stratus_train.layers import SparseDense

    net = _net(connection_density=0.2)
    sparse = [layer for layer in net._flatten_layers() if isinstance(layer, SparseDense)]
    assert sparse and all(layer.baked and not hasattr(layer, "mask") for layer in sparse)
    assert net.label_sparse.baked  # Rasa's label DenseForSparse is fully connected too
    assert net.encoder is not None
    block = net.encoder.blocks[0]
    for layer in (block.qkv, block.attention_out, block.ffn_in, block.ffn_out):
        kept = float(layer.mask.numpy().mean())
        assert 0.15 < kept < 0.3, (layer.name, kept)
        # cut connections hold zeros, as Rasa's first call leaves them: no L2 term
        assert not np.any(layer.kernel.numpy()[layer.mask.numpy() == 0]), layer.name
        assert np.all(layer.kernel.numpy()[layer.mask.numpy() == 1] != 0), layer.name
        assert not layer.losses  # Rasa regularizes none of the encoder's inner layers


def test_attention_projections_have_rasas_biases() -> None:
    # Rasa's MultiHeadAttention: query, key and value projections without a bias, the
    # output projection and both FFN layers with one. A query bias would let every key
    # gain a learned score of its own.
    net = _net()
    assert net.encoder is not None
    block = net.encoder.blocks[0]
    trainable = {id(v) for v in net.trainable_variables}
    assert id(block.qkv.bias) not in trainable
    assert not np.any(block.qkv.bias.numpy())
    for layer in (block.attention_out, block.ffn_in, block.ffn_out):
        assert id(layer.bias) in trainable, layer.name
    per_block = 3 * 32 * 32 + (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32) + 4 * 32
    block_weights = sum(int(np.prod(v.shape)) for v in block.trainable_variables)
    assert block_weights == per_block  # Rasa's TransformerEncoderLayer at units=32


def test_query_key_and_value_start_with_rasas_glorot_range() -> None:
    # Rasa's three 32 x 32 projections draw from +-sqrt(6 / 64); Glorot over the fused
    # 32 x 96 kernel would draw from the narrower +-sqrt(6 / 128).
    net = _net(connection_density=1.0)
    assert net.encoder is not None
    kernel = net.encoder.blocks[0].qkv.kernel.numpy().reshape(32, 3, 32)
    for part in range(3):
        largest = float(np.abs(kernel[:, part]).max())
        assert np.sqrt(6 / 128) < largest <= np.sqrt(6 / 64), (part, largest)


def test_a_label_of_several_tokens_sums_rasas_per_token_rows() -> None:
    # Rasa featurizes `faq/ask_name` as two token rows (no sentence row) and sums them
    # after the sparse-to-dense layer: W[faq] + W[ask_name] + 2 b, not W[faq, ask_name] + b.
    from stratus.nlu.tokenizers import WhitespaceTokenizer
    from stratus_train.neural import label_features

    tokenizer = WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults))
    features = label_features(["faq/ask_name", "faq/ask_weather", "greet"], tokenizer)
    # vocabulary: ask_name, ask_weather, faq, greet
    assert features.tolist() == [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    net = _net(label_features=features)
    layer = net.label_sparse
    layer.bias.assign(np.linspace(1.0, 2.0, layer.units, dtype=np.float32))
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    expected = [
        kernel[0] + kernel[2] + 2 * bias,
        kernel[1] + kernel[2] + 2 * bias,
        kernel[3] + bias,
    ]
    assert np.allclose(net.label_bags().numpy(), expected, atol=1e-6)


def test_a_response_selector_label_is_its_last_token_as_rasas() -> None:
    # Rasa's ResponseSelector embeds `faq/ask_name` from the last position of its label
    # sequence layer; with no label transformer that position has seen `ask_name` alone.
    from stratus.nlu.tokenizers import WhitespaceTokenizer
    from stratus_train.neural import label_features

    tokenizer = WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults))
    labels = ["faq/ask_name", "faq/ask_weather", "chitchat/tell_joke"]
    # vocabulary: ask_name, ask_weather, tell_joke (the retrieval intents are never read)
    features = label_features(labels, tokenizer, last_token_only=True)
    assert features.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    # Split at "_" too, two labels would end in "name": each keeps all its tokens then.
    split = WhitespaceTokenizer({**WhitespaceTokenizer.defaults, "intent_tokenization_flag": True})
    colliding = ["faq/ask_name", "chitchat/my_name"]
    features = label_features(colliding, split, last_token_only=True)
    # vocabulary: ask, chitchat, faq, my, name
    assert features.tolist() == [[1, 0, 1, 0, 1], [0, 1, 0, 1, 1]]


def _label_transformer_net(labels: list[str]) -> Any:
    from stratus.nlu.tokenizers import WhitespaceTokenizer
    from stratus_train.neural import label_features, label_token_ids

    tokenizer = WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults))
    return _net(
        label_features=label_features(labels, tokenizer),
        label_tokens=label_token_ids(labels, tokenizer),
        number_of_transformer_layers=1,
    )


def test_a_response_selector_label_transformer_reads_every_token_of_a_label() -> None:
    # With `number_of_transformer_layers`, Rasa's ResponseSelector embeds a label from its
    # last token after a label transformer has attended over all of them, so labels that
    # end alike are told apart by their retrieval intent.
    from stratus.nlu.tokenizers import WhitespaceTokenizer
    from stratus_train.neural import label_token_ids

    labels = ["faq/ask_name", "chitchat/ask_name", "greet"]
    ids = label_token_ids(labels, WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults)))
    # vocabulary: ask_name, chitchat, faq, greet; -1 after a label's last token
    assert ids.tolist() == [[2, 0], [1, 0], [3, -1]]
    net = _label_transformer_net(labels)
    assert net.label_encoder is not None and len(net.label_encoder.blocks) == 1
    embedded = net.label_embeddings(training=False).numpy()
    assert embedded.shape == (3, 8)
    assert not np.allclose(embedded[0], embedded[1], atol=1e-4)


def test_a_label_transformer_masks_padding_and_reads_token_order() -> None:
    net = _label_transformer_net(["faq/ask_name", "chitchat/ask_name", "greet"])
    embedded = net.label_embeddings(training=False).numpy()
    # `greet` padded beside two-token labels embeds as `greet` alone
    net.spec.label_tokens = np.array([[3]], dtype=np.int32)
    assert np.allclose(net.label_embeddings(training=False).numpy()[0], embedded[2], atol=1e-5)
    # the same tokens in the other order: another last token and other positions
    net.spec.label_tokens = np.array([[0, 2]], dtype=np.int32)
    assert not np.allclose(net.label_embeddings(training=False).numpy()[0], embedded[0], atol=1e-4)


def test_diet_labels_have_no_transformer() -> None:
    # Rasa's DIET embeds a label from its summed token rows, whatever a {text:, label:}
    # `number_of_transformer_layers` says for labels.
    net = _net(number_of_transformer_layers={"text": 1, "label": 2})
    assert net.label_encoder is None and net.encoder is not None


def test_without_a_transformer_or_tags_only_the_sentence_position_is_computed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ResponseSelector's default: hidden layers, no transformer, no entities. The token
    # vectors feed nothing, so `encode` skips them; the sentence vector must be the one
    # the whole sequence gives (the exported graph computes every position).
    from stratus_train.network import DietNetwork

    net = _net(number_of_transformer_layers=0, hidden_layers_sizes={"text": [12], "label": []})
    assert not net.reads_tokens
    message = _message([5, 9, 17, 9])
    cls, tokens = net.encode(message, training=False)
    assert tokens is None
    monkeypatch.setattr(DietNetwork, "reads_tokens", property(lambda self: True))
    whole, tokens = net.encode(message, training=False)
    assert tokens is not None and tokens.shape[1] == 4
    np.testing.assert_allclose(cls.numpy(), whole.numpy(), rtol=1e-6, atol=1e-6)


def test_balanced_epoch_repeats_rare_labels_as_rasa_does() -> None:
    from stratus_train.embedding_trainer import epoch_order

    labels = np.asarray([0] * 40 + [1] * 10 + [2] * 2)
    order = epoch_order(labels, np.random.default_rng(3), balanced=True, batch_size=16)
    assert set(order.tolist()) == set(range(len(labels)))  # every example is seen
    seen = np.bincount(labels[order], minlength=3)
    assert seen[0] == 40  # the biggest label goes round exactly once
    # Labels already gone through keep coming every other round: the rare one repeats.
    assert seen[2] > 2 and len(order) > len(labels)
    # Chunks are proportional to a label's share of the batch: 40 / 52 * 16 -> 13.
    first_big = int(np.flatnonzero(labels[order] == 0)[0])
    assert (labels[order][first_big : first_big + 13] == 0).all()


def test_unbalanced_epoch_is_one_permutation() -> None:
    from stratus_train.embedding_trainer import epoch_order

    labels = np.asarray([0] * 30 + [1] * 3)
    order = epoch_order(labels, np.random.default_rng(4), balanced=False, batch_size=8)
    assert sorted(order.tolist()) == list(range(len(labels)))


def test_l2_terms_are_reported_in_the_loss_with_their_gradients_left_to_the_optimizer() -> None:
    import tensorflow as tf

    from stratus_train.optimizer import regularization

    net = _net(regularization_constant=0.01)
    terms = net.l2_terms()
    kernels = {id(net.seq_sparse.kernel), id(net.sent_sparse.kernel)}
    regularized = {id(v) for v in net.trainable_variables if getattr(v, "regularizer", None)}
    # the sparse-input kernels and Rasa's other regularized weights (embeddings, heads)
    assert kernels < regularized
    assert {id(var) for var, _ in terms} == regularized
    assert {reg for _, reg in terms} == {0.01}
    # Their value counts in the loss, without a gradient: the optimizer applies it, gated
    # as Rasa's train step gates it.
    with tf.GradientTape() as tape:
        value = regularization(net)
    assert float(value) == pytest.approx(float(tf.add_n(net.losses)), rel=1e-6)
    assert all(g is None for g in tape.gradient(value, net.trainable_variables))
    kernel = net.seq_sparse.kernel.numpy().astype(np.float64)
    (found,) = [float(loss) for loss in net.seq_sparse.losses]
    np.testing.assert_allclose(found, 0.01 * float(np.sum(kernel**2)), rtol=1e-5)


def test_entity_logits_and_crf_transitions_carry_rasas_l2_term() -> None:
    # Rasa's `embed.entity.logits` is an Embed (Dense with L2) and its CRF layer's
    # transitions have the same L2 regularizer and Keras' default Glorot start.
    net = _net(
        {"entity": ["O", "B-city", "I-city", "L-city", "U-city"]}, regularization_constant=0.01
    )
    head, transitions = net.tag_heads["entity"], net.transitions["entity"]
    start = transitions.numpy()
    assert np.abs(start).max() > 0 and np.abs(start).max() <= np.sqrt(6 / 10) + 1e-6
    found = [float(loss) for loss in net.losses]  # the label and text embeddings' too
    for weights in (head.kernel.numpy(), start):
        value = 0.01 * float(np.sum(weights.astype(np.float64) ** 2))
        assert any(np.isclose(value, f, rtol=1e-5) for f in found), (value, found)


def _reference_sampled_loss(
    text: np.ndarray,
    labels: np.ndarray,
    ids: np.ndarray,
    neg_labels: np.ndarray,
    neg_inputs: np.ndarray,
    constrain: bool,
) -> np.ndarray:
    """Rasa 3.6's SingleLabelDotProductLoss written out per example, in float64."""
    out = []
    for b in range(len(ids)):
        pos_label = labels[ids[b]]
        sims: dict[str, list[float]] = {"il": [], "ll": [], "ii": [], "li": []}
        for k in range(neg_labels.shape[1]):
            bad = -1e9 if neg_labels[b, k] == ids[b] else 0.0
            sims["il"].append(text[b] @ labels[neg_labels[b, k]] + bad)
            sims["ll"].append(pos_label @ labels[neg_labels[b, k]] + bad)
            bad = -1e9 if ids[neg_inputs[b, k]] == ids[b] else 0.0
            sims["ii"].append(text[b] @ text[neg_inputs[b, k]] + bad)
            sims["li"].append(pos_label @ text[neg_inputs[b, k]] + bad)
        pos = text[b] @ pos_label
        kinds = ["il", "li"] if constrain else ["il", "li", "ii", "ll"]
        logits = np.array([pos] + [s for kind in kinds for s in sims[kind]])
        top = logits.max()
        loss = -(pos - top - np.log(np.exp(logits - top).sum()))
        if constrain:
            every = np.array([pos] + [s for kind in ("il", "ll", "ii", "li") for s in sims[kind]])
            targets = np.zeros_like(every)
            targets[0] = 1.0
            sig = np.maximum(every, 0) - every * targets + np.log1p(np.exp(-np.abs(every)))
            loss += sig.mean()
        out.append(loss)
    return np.array(out)


@pytest.mark.parametrize("constrain", [False, True])
def test_sampled_label_loss_is_rasas_dot_product_loss(constrain: bool) -> None:
    # Rasa's DIET compares each input with `number_of_negative_examples` labels drawn
    # from all labels and as many inputs drawn from the batch, never with its own label.
    from stratus_train.backend import tf
    from stratus_train.network import sampled_dot_product_loss

    rng = np.random.default_rng(7)
    text = rng.normal(size=(6, 4)).astype(np.float32)
    labels = rng.normal(size=(3, 4)).astype(np.float32)
    ids = np.array([0, 1, 2, 0, 1, 1], dtype=np.int32)
    neg_labels = rng.integers(0, 3, size=(6, 5)).astype(np.int32)
    neg_inputs = rng.integers(0, 6, size=(6, 5)).astype(np.int32)
    got = sampled_dot_product_loss(
        tf.constant(text),
        tf.constant(labels),
        tf.constant(ids),
        tf.constant(neg_labels),
        tf.constant(neg_inputs),
        constrain,
    ).numpy()
    expected = _reference_sampled_loss(text, labels, ids, neg_labels, neg_inputs, constrain)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-5)
    # An example whose every negative has its own label has nothing to push away from.
    own = np.full((6, 5), 3, dtype=np.int32)  # input 3 has label 0, as example 0
    lonely = sampled_dot_product_loss(
        tf.constant(text),
        tf.constant(labels),
        tf.constant(ids),
        tf.constant(np.zeros((6, 5), dtype=np.int32)),
        tf.constant(own),
        False,
    ).numpy()
    assert lonely[0] == pytest.approx(0.0, abs=1e-6)
    assert lonely[1] > 0.0


def test_scale_loss_weighs_each_example_by_rasas_confidence_factor() -> None:
    # Rasa 3.6's `_scale_loss`: p = exp(-loss); once some example has p > 0.5, every
    # loss is multiplied by ((1 - p) / 0.5)^4, a factor without a gradient.
    from stratus_train.backend import tf
    from stratus_train.network import scaled_by_confidence

    unsure = tf.constant([2.0, 1.0, 0.8])  # p = 0.14, 0.37, 0.45: nothing learned yet
    np.testing.assert_allclose(scaled_by_confidence(unsure).numpy(), unsure.numpy())
    losses = tf.Variable([0.1, 2.0, 0.5])  # p of the first is 0.90
    with tf.GradientTape() as tape:
        scaled = scaled_by_confidence(losses)
    p = np.exp(-losses.numpy().astype(np.float64))
    factor = ((1 - p) / 0.5) ** 4
    np.testing.assert_allclose(scaled.numpy(), losses.numpy() * factor, rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(scaled, losses).numpy(), factor, rtol=1e-5)
    # Examples the weight leaves out (no label) do not switch the scaling on.
    masked = scaled_by_confidence(losses, tf.constant([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(masked.numpy(), losses.numpy())


def test_training_loss_scales_label_and_crf_losses_only_with_scale_loss() -> None:
    # Unscaled by default: DIET's as Rasa's; the ResponseSelector's unlike Rasa's, as
    # measured (response_selector.SELECTOR_DEFAULTS). A config's `scale_loss: true` scales.
    from stratus.nlu.response_selector import SELECTOR_DEFAULTS
    from stratus_train.backend import keras, tf
    from stratus_train.network import scaled_by_confidence

    assert DIET_DEFAULTS["scale_loss"] is False and SELECTOR_DEFAULTS["scale_loss"] is False
    net = _net({"entity": ["O", "U-city"]}, drop_rate=0.0, drop_rate_attention=0.0)
    x = _message([1, 2, 3])
    label_ids = tf.constant([1], dtype=tf.int32)
    gold = {"entity": tf.constant([[0, 1, 0]], dtype=tf.int32)}

    def losses(scale_loss: bool) -> dict[str, float]:
        net.config["scale_loss"] = scale_loss
        tf.random.set_seed(3)  # the same negatives each time
        _, metrics = net.training_loss(x, label_ids, gold)
        return {k: float(metrics[k]) for k in ("i_loss", "e_loss")}

    # Scaling starts once the model gets an example right (p > 0.5): learn the message.
    optimizer = keras.optimizers.Adam(0.01)
    # Stop while the losses are still above float32's resolution: trained much longer, a
    # loss of 0.0 would scale to 0.0 as well and show nothing.
    for _ in range(200):
        with tf.GradientTape() as tape:
            total, _ = net.training_loss(x, label_ids, gold)
        grads = tape.gradient(total, net.trainable_variables)
        optimizer.apply_gradients(
            [(g, v) for g, v in zip(grads, net.trainable_variables) if g is not None]
        )
        if max(losses(False).values()) < 0.2:
            break
    plain = losses(False)
    assert min(plain.values()) > 0.0, plain
    assert max(plain.values()) < 0.5, plain  # p > 0.6 for both tasks
    scaled = losses(True)
    for key, value in plain.items():
        expected = float(scaled_by_confidence(tf.constant([value]))[0])
        assert scaled[key] == pytest.approx(expected, rel=1e-4)
        assert scaled[key] < value / 10  # ((1 - p) / 0.5)^4 < 0.03 here


def test_holdout_split_is_stratified_and_keeps_single_examples_in_training() -> None:
    from stratus.shared.exceptions import ConfigError
    from stratus_train.embedding_trainer import holdout_split

    labels = np.array([0] * 10 + [1] * 6 + [2] * 3 + [3], dtype=np.int32)
    train, held = holdout_split(labels, 5, np.random.default_rng(0), "DIETClassifier")
    assert len(held) == 5 and len(train) == 15
    assert sorted(set(train) | set(held)) == list(range(20)) and not set(train) & set(held)
    # every label keeps an example to train on; the only example of label 3 is never held
    assert set(labels[train]) == {0, 1, 2, 3} and 19 in train
    # shares 2.63 / 1.58 / 0.79 of 5: floors 2 / 1 / 0, the rest by largest remainder
    assert np.bincount(labels[held], minlength=4).tolist() == [3, 1, 1, 0]
    # Rasa's limits: at least one example per label held out, and as many left to train
    for n in (3, 16):
        with pytest.raises(ConfigError) as e:
            holdout_split(labels, n, np.random.default_rng(0), "DIETClassifier")
        message = str(e.value)
        assert "DIETClassifier" in message and "evaluate_on_number_of_examples" in message
        assert f"is {n};" in message and "at least 4" in message and "below 16" in message


def test_checkpoint_rule_is_rasas() -> None:
    from stratus_train.embedding_trainer import improves

    assert improves({"i_acc": 0.1, "e_f1": 0.1}, {})
    best = {"i_acc": 0.5, "e_f1": 0.5}
    assert improves({"i_acc": 0.6, "e_f1": 0.5}, best)
    assert not improves({"i_acc": 0.5, "e_f1": 0.5}, best)  # nothing better
    assert not improves({"i_acc": 0.9, "e_f1": 0.4}, best)  # one worse


def _training_set() -> Any:
    from stratus_train.embedding_trainer import TrainingSet

    rng = np.random.default_rng(5)
    inputs, label_ids, tags = [], [], []
    for i in range(24):
        label = i % 2
        words = [int(w) for w in rng.integers(3, 30, size=3)] + [1 + label]
        inputs.append(_message(words))
        label_ids.append(label)
        tags.append(np.array([0, 0, 0, 1 if label else 0], dtype=np.int32))
    return TrainingSet(inputs, np.asarray(label_ids, np.int32), {"entity": tags})


def test_evaluation_holds_examples_out_and_checkpoint_keeps_the_best_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rasa's evaluate_on_number_of_examples / evaluate_every_number_of_epochs /
    # checkpoint_model: held-out examples never train; with a checkpoint the exported
    # weights are those of the best evaluation, not the last epoch's.
    import stratus_train.embedding_trainer as trainer
    from stratus.nlu.entity_tags import Crf
    from stratus_train.network import TaskSpec

    data = _training_set()
    config = {
        **DIET_DEFAULTS,
        "transformer_size": 32,
        "embedding_dimension": 8,
        "dense_dimension": {"text": 16, "label": 8},
        "number_of_transformer_layers": 1,
        "epochs": 6,
        "random_seed": 1,
        "evaluate_on_number_of_examples": 4,
        "evaluate_every_number_of_epochs": 2,
        "checkpoint_model": True,
    }
    spec = TaskSpec(["a", "b"], np.eye(2, dtype=np.float32), {"entity": ["O", "U-city"]})
    trained_on: set[int] = set()
    real_batch = trainer.TrainingSet.batch
    calls: list[tuple[list[int], list[np.ndarray], dict[str, float]]] = []
    real_metrics = trainer.holdout_metrics
    scripted = [0.5, 0.9, 0.7]  # the second evaluation (epoch 4) is the best

    def spy_batch(self: Any, idx: np.ndarray) -> dict[str, np.ndarray]:
        if not getattr(spy_batch, "evaluating", False):
            trained_on.update(int(i) for i in idx)
        return real_batch(self, idx)

    def spy_metrics(net: Any, data: Any, idx: np.ndarray) -> dict[str, float]:
        spy_batch.evaluating = True  # type: ignore[attr-defined]
        try:
            found = real_metrics(net, data, idx)
        finally:
            spy_batch.evaluating = False  # type: ignore[attr-defined]
        calls.append(([int(i) for i in idx], [v.numpy() for v in net.weights], found))
        return {"i_acc": scripted[len(calls) - 1], "e_f1": 0.5}

    monkeypatch.setattr(trainer.TrainingSet, "batch", spy_batch)
    monkeypatch.setattr(trainer, "holdout_metrics", spy_metrics)
    lines: list[str] = []
    net = trainer.train_network(
        config, FeatureLayout((("words", 40),)), spec, data, "DIET", lines.append
    )

    assert len(calls) == 3  # epochs 2, 4 and 6
    held = calls[0][0]
    assert len(held) == 4 and all(c[0] == held for c in calls)
    assert not trained_on & set(held) and len(trained_on) == 20
    for _, _, found in calls:  # the real figures, in range
        assert set(found) == {"i_acc", "e_f1"} and all(0.0 <= v <= 1.0 for v in found.values())
    assert any("4 examples held out" in line for line in lines)
    assert any("epoch 2/6" in line and "val_i_acc=0.500" in line for line in lines)
    assert any("kept the weights of epoch 4" in line for line in lines)
    for now, then in zip(net.weights, calls[1][1]):
        np.testing.assert_array_equal(now.numpy(), then)
    assert any(
        not np.array_equal(a, b) for a, b in zip(calls[1][1], calls[2][1])
    )  # training did move the weights after epoch 4
    # The figures are those of the serving path (padded inputs, Viterbi) on the held-out
    # examples, with the weights of that evaluation (epoch 4's are the final ones).
    x = trainer.collate([data.inputs[i] for i in held])
    out = net.outputs(x, training=False)
    gold_labels = data.label_ids[held]
    accuracy = float(np.mean(np.argmax(out[LABEL_SCORES].numpy(), -1) == gold_labels))
    crf = Crf(net.transitions["entity"].numpy())
    logits = out["entity_logits"].numpy()
    paths = np.array([crf.best_path(logits[b]) for b in range(len(held))])
    gold_tags = np.array([data.tags["entity"][i] for i in held])
    tp = np.sum((paths == gold_tags) & (gold_tags != 0))
    f1 = 2 * tp / max(np.sum(paths != 0) + np.sum(gold_tags != 0), 1)
    assert calls[1][2]["i_acc"] == pytest.approx(accuracy)
    assert calls[1][2]["e_f1"] == pytest.approx(f1)
