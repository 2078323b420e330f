"""TEDPolicy training: a transformer over dialogue turns, exported to ONNX.

As Rasa's TED: each turn's features (ted_features.py) are embedded (scaled by
sqrt(size), plus a sinusoidal encoding of the distance back from the latest turn), a
transformer (bidirectional unless `unidirectional_encoder`) reads the last `max_history`
turns, the latest turn's output (through gelu) is embedded and
compared (dot product) with a learned embedding of every action. Differences: the loss
is a softmax over all actions instead of sampled negatives, the turn attributes share
one input projection, and end-to-end text is a bag of words.
The exported graph ends in the softmax, so serving reads confidences directly.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stratus.core.policies.prediction import TED_POLICY_PRIORITY
from stratus.core.policies.states import TEXT_KEY, USER, State
from stratus.core.policies.ted import TED_META_FILE
from stratus.core.policies.ted_features import TedFeaturizer
from stratus.core.story_graph import TrainingTracker
from stratus.shared.domain import Domain
from stratus_train.backend import keras, tf
from stratus_train.core.examples import examples
from stratus_train.core.ted_onnx import export_ted
from stratus_train.embedding_trainer import Evaluation, batch_sizes, epoch_order
from stratus_train.layers import LayerNorm, gelu
from stratus_train.optimizer import FusedAdam, l2_terms, regularization
from stratus_train.threads import use_training_threads

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]

# Rasa 3.6's TEDPolicy defaults, for the options this implementation uses (the others:
# core/options.py, NOT_APPLIED).
TED_DEFAULTS: dict[str, Any] = {
    "priority": TED_POLICY_PRIORITY,
    "max_history": None,
    "epochs": 1,
    "batch_size": [64, 256],
    "batch_strategy": "balanced",
    "learning_rate": 0.001,
    "embedding_dimension": 20,
    "transformer_size": 128,
    "number_of_transformer_layers": 1,
    "number_of_attention_heads": 4,
    "unidirectional_encoder": False,
    "drop_rate_dialogue": 0.1,
    "drop_rate_attention": 0.0,
    "regularization_constant": 0.001,
    "ranking_length": 0,  # Rasa 3.6's TED: every action's confidence (DIET's is 10)
    "renormalize_confidences": False,
    "random_seed": None,
    "constrain_similarities": False,
    "model_confidence": "softmax",
}


def ted_config(options: dict[str, Any]) -> dict[str, Any]:
    config = {**TED_DEFAULTS, **{k: v for k, v in options.items() if k != "name"}}
    for key in ("transformer_size", "number_of_transformer_layers"):
        if isinstance(config[key], dict):  # Rasa allows per-part sizes; the dialogue one counts
            config[key] = config[key].get("dialogue", TED_DEFAULTS[key])
    return config


class TurnAttentionBlock(keras.layers.Layer):
    """Pre-norm transformer layer over turns (attention with an additive bias)."""

    def __init__(
        self, size: int, heads: int, drop: float, attention_drop: float, reg: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        regularizer = keras.regularizers.L2(reg) if reg else None
        self.size, self.heads = size, heads
        self.norm1 = LayerNorm(epsilon=1e-6)
        self.qkv = keras.layers.Dense(3 * size, kernel_regularizer=regularizer)
        self.out = keras.layers.Dense(size, kernel_regularizer=regularizer)
        self.norm2 = LayerNorm(epsilon=1e-6)
        self.ffn_in = keras.layers.Dense(4 * size, kernel_regularizer=regularizer)
        self.ffn_out = keras.layers.Dense(size, kernel_regularizer=regularizer)
        self.drop = keras.layers.Dropout(drop)
        self.attention_drop = keras.layers.Dropout(attention_drop)

    def call(self, x: tf.Tensor, bias: tf.Tensor, training: bool = False) -> tf.Tensor:
        batch, steps = tf.shape(x)[0], tf.shape(x)[1]
        depth = self.size // self.heads
        qkv = tf.reshape(self.qkv(self.norm1(x)), [batch, steps, 3, self.heads, depth])
        # unstack, not qkv[i]: a slice's gradient is a slow full-size StridedSliceGrad
        q, k, v = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4]), 3)
        logits = tf.matmul(q, k, transpose_b=True) / math.sqrt(depth) + bias
        weights = self.attention_drop(tf.nn.softmax(logits, axis=-1), training=training)
        attended = tf.reshape(
            tf.transpose(tf.matmul(weights, v), [0, 2, 1, 3]), [batch, steps, self.size]
        )
        x = x + self.drop(self.out(attended), training=training)
        hidden = self.drop(gelu(self.ffn_in(self.norm2(x))), training=training)
        return x + self.drop(self.ffn_out(hidden), training=training)


class TedNetwork(keras.Model):
    """Dialogue transformer scoring `actions` labels: the domain's actions (TEDPolicy) or
    its intents (UnexpecTEDIntentPolicy)."""

    def __init__(self, config: dict[str, Any], actions: int) -> None:
        super().__init__()
        size = int(config["transformer_size"])
        heads = int(config["number_of_attention_heads"])
        if size % heads:
            raise ValueError(f"transformer_size {size} is not divisible by {heads} heads")
        reg = float(config["regularization_constant"])
        regularizer = keras.regularizers.L2(reg) if reg else None
        drop = float(config["drop_rate_dialogue"])
        self.turn_in = keras.layers.Dense(size, kernel_regularizer=regularizer)
        self.input_drop = keras.layers.Dropout(drop)
        self.blocks = [
            TurnAttentionBlock(size, heads, drop, float(config["drop_rate_attention"]), reg)
            for _ in range(int(config["number_of_transformer_layers"]))
        ]
        self.norm = LayerNorm(epsilon=1e-6)
        self.size = size
        self.unidirectional = bool(config.get("unidirectional_encoder", False))
        # Rasa's sinusoidal positional encoding: angle 1 / 10000^(2*(i//2)/size), sine on
        # even features, cosine on odd ones
        i = np.arange(size)
        self.angles = (1.0 / np.power(10000.0, (2 * (i // 2)) / np.float32(size)))[None, :]
        self.angles = self.angles.astype(np.float32)
        self.even = (i % 2 == 0).astype(np.float32)[None, :]
        emb = int(config["embedding_dimension"])
        self.dialogue_embed = keras.layers.Dense(emb, kernel_regularizer=regularizer)
        self.action_embeddings = self.add_weight(
            shape=(actions, emb),
            initializer="glorot_uniform",
            name="action_embeddings",
            regularizer=regularizer,
        )

    def scores(self, turns: tf.Tensor, mask: tf.Tensor, training: bool = False) -> tf.Tensor:
        steps = tf.shape(turns)[1]
        allowed = mask[:, None, None, :]
        if self.unidirectional:
            # a turn sees itself and earlier turns only (`unidirectional_encoder: true`)
            causal = tf.linalg.band_part(tf.ones([steps, steps]), -1, 0)
            allowed = causal[None, None, :, :] * allowed
        bias = (1.0 - allowed) * -1e9
        # As Rasa's TED with max_history: positions count back from the latest turn (Rasa
        # reverses the turns), so the latest turn always has position 0. Turns are
        # left-padded here, so the latest is the last one.
        back = tf.cast(tf.range(steps - 1, -1, -1), tf.float32)[:, None] * self.angles
        position = tf.sin(back) * self.even + tf.cos(back) * (1.0 - self.even)
        x = self.turn_in(turns) * math.sqrt(self.size) + position[None, :, :]
        x = self.input_drop(x, training=training)
        for block in self.blocks:
            x = block(x, bias, training=training)
        last = gelu(self.norm(x)[:, -1])  # Rasa: gelu on the transformer's output
        dialogue = self.dialogue_embed(last)
        return tf.matmul(dialogue, self.action_embeddings, transpose_b=True)

    def confidences(self, turns: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        return tf.nn.softmax(self.scores(turns, mask, training=False), axis=-1)


def _user_texts(all_states: Sequence[Sequence[State]]) -> list[str]:
    return [
        s[USER][TEXT_KEY] for states in all_states for s in states if s.get(USER, {}).get(TEXT_KEY)
    ]


def train_network(
    net: TedNetwork,
    config: dict[str, Any],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
    rng: np.random.Generator,
    progress: Progress,
    name: str,
    balance: bool = False,
) -> None:
    """`config["epochs"]` epochs of shuffled mini-batches over (turns, mask, targets),
    minimising `loss(targets, scores)` plus the weights' regularisation. `balance`
    (single-label targets only) orders each epoch as Rasa's balanced batch strategy."""
    turns, mask, targets = data
    variables = net.trainable_variables
    # L2 as Rasa's train step applies it (see `FusedAdam`).
    adam = FusedAdam(variables, float(config["learning_rate"]), l2=l2_terms(variables))

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, turns.shape[-1]], tf.float32),
            tf.TensorSpec([None, None], tf.float32),
            tf.TensorSpec([None, *targets.shape[1:]], tf.as_dtype(targets.dtype)),
        ],
        reduce_retracing=True,
        autograph=False,  # plain Python loops over layers only
    )
    def step(x: tf.Tensor, m: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            value = loss(y, net.scores(x, m, training=True)) + regularization(net)
        adam.apply(tape.gradient(value, variables))
        return value

    epochs = int(config["epochs"])
    report_every = max(1, epochs // 5)
    # Rasa's `evaluate_on_number_of_examples` and `checkpoint_model` (single-label
    # targets: TED's next action; UnexpecTED's multi-label ones are not split).
    single = targets.ndim == 1
    if single:
        evaluation = Evaluation.plan(config, targets, rng, name)
    else:
        if config.get("evaluate_on_number_of_examples") or config.get("checkpoint_model"):
            logger.warning(
                "%s: evaluate_on_number_of_examples and checkpoint_model are not applied "
                "by Stratus; it trains on every example and keeps the last epoch.",
                name,
            )
        evaluation = Evaluation(np.arange(len(targets)), np.zeros(0, np.int64), 0, False)
    if len(evaluation.held):
        progress(f"{name}: {len(evaluation.held)} examples held out for evaluation")
    trained = evaluation.trained
    for epoch in range(epochs):
        size = batch_sizes(config, epoch)
        # Rasa's `batch_strategy: balanced`, as DIET's (rare actions appear in most batches)
        order = trained[epoch_order(targets[trained], rng, balance, size)]
        total = 0.0
        for lo in range(0, len(order), size):
            idx = order[lo : lo + size]
            total += float(step(turns[idx], mask[idx], targets[idx])) * len(idx)
        shown = f"loss={total / len(order):.3f}"
        scored = evaluation.due(epoch)
        if scored:
            held = evaluation.held
            predicted = np.argmax(net.scores(turns[held], mask[held]).numpy(), axis=-1)
            accuracy = float(np.mean(predicted == targets[held]))
            evaluation.offer(epoch, {"a_acc": accuracy}, net.weights)
            shown += f" val_a_acc={accuracy:.3f}"
        if (epoch + 1) % report_every == 0 or epoch + 1 == epochs or scored:
            progress(f"{name}: epoch {epoch + 1}/{epochs} {shown}")
    evaluation.restore(net.weights, name, progress)


def seeded_rng(config: dict[str, Any]) -> np.random.Generator:
    """Seeds TensorFlow (weights, dropout) and returns the shuffling generator."""
    seed = config.get("random_seed")
    keras.utils.set_random_seed(int(seed) if seed is not None else 42)
    return np.random.default_rng(seed if seed is not None else 42)


def _softmax_loss(labels: tf.Tensor, scores: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, scores))


def fit_ted(
    trackers: Sequence[TrainingTracker],
    domain: Domain,
    options: dict[str, Any],
    progress: Progress = print,
) -> tuple[TedNetwork, TedFeaturizer, list[list[State]], dict[str, Any]]:
    """Trains the network on the story trackers' examples; returns it with its
    featurizer, the training histories and the filled config."""
    use_training_threads()
    config = ted_config(options)
    max_history = int(config["max_history"]) if config.get("max_history") else None
    stories = [t for t in trackers if not t.is_rule]
    unique: dict[tuple[str, str], list[State]] = {}
    for example in examples(stories, domain, max_history, ignore_action_unlikely_intent=True):
        unique.setdefault(
            (json.dumps(example.states, sort_keys=True), example.action), example.states
        )
    featurizer = TedFeaturizer.for_domain(domain, _user_texts(list(unique.values())))
    histories = list(unique.values())
    labels = np.asarray([featurizer.actions.index(a) for _, a in unique], np.int32)
    rng = seeded_rng(config)
    net = TedNetwork(config, len(featurizer.actions))
    turns, mask = featurizer.encode(histories or [[{}]])
    net.scores(turns[:1], mask[:1])  # build
    if histories:
        balance = config.get("batch_strategy", "balanced") == "balanced"
        train_network(
            net, config, (turns, mask, labels), _softmax_loss, rng, progress, "TEDPolicy", balance
        )
    return net, featurizer, histories, config


def train_ted(
    trackers: Sequence[TrainingTracker],
    domain: Domain,
    options: dict[str, Any],
    directory: Path,
    progress: Progress = print,
) -> dict[str, Any]:
    """Trains on the story trackers, writes `directory/model.onnx` and `meta.json`;
    returns the metadata (with the TF/ONNX difference on the training data)."""
    started = time.perf_counter()
    net, featurizer, histories, config = fit_ted(trackers, domain, options, progress)
    directory.mkdir(parents=True, exist_ok=True)
    difference = _export(net, featurizer, directory, histories[:64])
    meta = {
        "config": config,
        "featurizer": featurizer.as_dict(),
        "examples": len(histories),
        "seconds": round(time.perf_counter() - started, 3),
        "onnx_max_difference": difference,
    }
    (directory / TED_META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), "utf-8")
    return meta


def _export(
    net: TedNetwork, featurizer: TedFeaturizer, directory: Path, check: list[list[State]]
) -> float:
    turns, mask = featurizer.encode(check) if check else (np.zeros((0, 1, 1)), np.zeros((0, 1)))
    return export_ted(net, featurizer.dimension, directory, turns, mask)
