"""Training loop for DIET-style models, and their export to ONNX."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from stratus.nlu.component import write_json
from stratus.nlu.entity_tags import ENTITY, GROUP, ROLE, Crf
from stratus.nlu.features import (
    MASK,
    SENT_DENSE,
    SENT_IDS,
    SENT_VALS,
    SEQ_DENSE,
    SEQ_IDS,
    SEQ_VALS,
    FeatureLayout,
    build_inputs,
)
from stratus.nlu.input_layer import SparseInputLayer
from stratus.nlu.message import Message
from stratus.nlu.onnx_model import (
    ENTITY_TAG_TABLES_FILE,
    LABEL_SCORES,
    META_FILE,
    MODEL_FILE,
    TAG_LOGITS,
    TRANSITIONS_FILE,
    OnnxModel,
)
from stratus.nlu.pipeline import MAX_TOKENS
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem
from stratus_train.backend import keras, tf
from stratus_train.diet_onnx import diet_to_onnx, input_layer_weights
from stratus_train.export import check_difference
from stratus_train.layers import bake_masks
from stratus_train.network import (
    SENT_ROWS,
    SEQ_ROWS,
    DietNetwork,
    TaskSpec,
    input_signature,
    training_signature,
)
from stratus_train.optimizer import FusedAdam
from stratus_train.threads import threads_for, use_training_threads

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class Cells:
    """One example's sparse features as flat cells (see `DietNetwork.encode`)."""

    tokens: np.ndarray  # [cells] int32, the token of each sequence cell
    ids: np.ndarray  # [cells] int64
    vals: np.ndarray  # [cells] float32
    sent_ids: np.ndarray
    sent_vals: np.ndarray

    @classmethod
    def of(cls, x: dict[str, np.ndarray]) -> Cells:
        token, slot = np.nonzero(x[SEQ_VALS][0])
        (sent,) = np.nonzero(x[SENT_VALS][0])
        # A sentence row may repeat a column (the sum of its token rows); merged here once,
        # so that every epoch gathers each column once.
        sent_ids, at = np.unique(x[SENT_IDS][0, sent], return_inverse=True)
        sent_vals = np.bincount(at, weights=x[SENT_VALS][0, sent], minlength=len(sent_ids))
        return cls(
            token.astype(np.int32),
            x[SEQ_IDS][0, token, slot],
            x[SEQ_VALS][0, token, slot],
            sent_ids,
            sent_vals.astype(np.float32),
        )


@dataclass
class TrainingSet:
    inputs: list[dict[str, np.ndarray]]  # per example, batch axis of 1
    label_ids: np.ndarray  # [n] int32, -1 where the example has no label
    tags: dict[str, list[np.ndarray]]  # kind -> per example [tokens] int32
    cells: list[Cells] = field(default_factory=list)  # per example; filled when empty
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def __post_init__(self) -> None:
        if not self.cells:
            self.cells = [Cells.of(x) for x in self.inputs]
        self.lengths = np.asarray([int(x[MASK].sum()) for x in self.inputs], dtype=np.int32)

    def batch(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Training inputs of examples `idx` (`training_signature`), padded to their
        longest message only."""
        steps = max(1, int(self.lengths[idx].max()))  # as `build_inputs` pads
        cells = [self.cells[i] for i in idx]
        mask = (np.arange(steps)[None, :] < self.lengths[idx, None]).astype(np.float32)
        out = {
            SEQ_ROWS: np.concatenate([c.tokens + b * steps for b, c in enumerate(cells)]).astype(
                np.int32
            ),
            SEQ_IDS: np.concatenate([c.ids for c in cells]),
            SEQ_VALS: np.concatenate([c.vals for c in cells]),
            SENT_ROWS: np.concatenate(
                [np.full(len(c.sent_ids), b, np.int32) for b, c in enumerate(cells)]
            ),
            SENT_IDS: np.concatenate([c.sent_ids for c in cells]),
            SENT_VALS: np.concatenate([c.sent_vals for c in cells]),
            MASK: mask,
        }
        if SEQ_DENSE in self.inputs[0]:
            dense = collate([{k: self.inputs[i][k] for k in (SEQ_DENSE, SENT_DENSE)} for i in idx])
            out[SEQ_DENSE] = dense[SEQ_DENSE][:, :steps]
            out[SENT_DENSE] = dense[SENT_DENSE]
        return out


def collate(items: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack single-example inputs into one batch, padding with inert zeros.

    Equal to `build_inputs` on the whole batch (zero values contribute nothing), but each
    example is featurized once instead of once per epoch.
    """
    batch: dict[str, np.ndarray] = {}
    for key in items[0]:
        arrays = [a[key] for a in items]
        shape = [len(arrays)] + [max(a.shape[d] for a in arrays) for d in range(1, arrays[0].ndim)]
        out = np.zeros(shape, dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            region: tuple[int | slice, ...] = (i, *[slice(0, s) for s in a.shape[1:]])
            out[region] = a[0]
        batch[key] = out
    return batch


def pad_tags(tags: list[np.ndarray], steps: int) -> np.ndarray:
    out = np.zeros((len(tags), steps), dtype=np.int32)
    for i, t in enumerate(tags):
        out[i, : min(len(t), steps)] = t[:steps]
    return out


def batch_sizes(config: dict[str, Any], epoch: int) -> int:
    """Rasa's linearly increasing batch size."""
    sizes = config["batch_size"]
    if not isinstance(sizes, list):
        return int(sizes)
    epochs = int(config["epochs"])
    if epochs <= 1:
        return int(sizes[0])
    return int(sizes[0] + epoch * (sizes[-1] - sizes[0]) / (epochs - 1))


def epoch_order(
    label_ids: np.ndarray, rng: np.random.Generator, balanced: bool, batch_size: int
) -> np.ndarray:
    """One epoch's example indices, shuffled; `balanced` is Rasa's `balanced_data`.

    Rasa's balanced strategy walks the labels in random order round after round, taking
    from each a chunk proportional to its share of the data (at least one example), until
    every label has been gone through once; a label already gone through takes part only
    every other round from then on. Rare labels are thus repeated and the epoch is longer
    than the data when labels are imbalanced.
    """
    if not balanced:
        return rng.permutation(len(label_ids))
    labels, counts = np.unique(label_ids, return_counts=True)
    groups = [rng.permutation(np.flatnonzero(label_ids == lab)) for lab in labels]
    chunks = [int(c / len(label_ids) * batch_size) + 1 for c in counts]
    at = [0] * len(labels)
    cycles = [0] * len(labels)
    skipped = [False] * len(labels)
    order: list[np.ndarray] = []
    while min(cycles) == 0:
        for i in rng.permutation(len(labels)):
            if cycles[i] > 0 and not skipped[i]:
                skipped[i] = True
                continue
            skipped[i] = False
            order.append(groups[i][at[i] : at[i] + chunks[i]])
            at[i] += chunks[i]
            if at[i] >= counts[i]:
                cycles[i] += 1
                at[i] = 0
            if min(cycles) > 0:
                break
    return np.concatenate(order)


def holdout_split(
    label_ids: np.ndarray, n_test: int, rng: np.random.Generator, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Rasa's `evaluate_on_number_of_examples` split: (train, held-out) example indices,
    stratified by label so each label with several examples keeps its share in both; a
    label's only example always trains. Rasa's size limits, as a config error."""
    labels, counts = np.unique(label_ids, return_counts=True)
    field = "evaluate_on_number_of_examples"
    if n_test >= len(label_ids) - len(labels) or n_test < len(labels):
        what = f"{len(label_ids)} training examples and {len(labels)} labels"
        if len(label_ids) - len(labels) <= len(labels):
            advice = f"{what} are too few to hold any out: set it to 0"
        else:
            advice = (
                f"with {what} it must be at least {len(labels)} and below "
                f"{len(label_ids) - len(labels)}: change it, or set it to 0"
            )
        raise ConfigError(
            Problem(
                f"{name}: {field} is {n_test}; {advice} to train on every example "
                "without evaluating",
                field=field,
            )
        )
    several = counts > 1
    sizes = counts[several]
    share = n_test * sizes / sizes.sum()
    taken = np.minimum(np.floor(share).astype(int), sizes - 1)
    # the rest to the labels with the largest remainders, never a label's last example
    for i in np.argsort(-(share - np.floor(share)), kind="stable"):
        if taken.sum() >= n_test:
            break
        if taken[i] < sizes[i] - 1:
            taken[i] += 1
    test: list[np.ndarray] = []
    for label, k in zip(labels[several], taken):
        test.append(rng.permutation(np.flatnonzero(label_ids == label))[:k])
    held = np.sort(np.concatenate(test)) if test else np.zeros(0, np.int64)
    return np.setdiff1d(np.arange(len(label_ids)), held), held


def holdout_metrics(net: DietNetwork, data: TrainingSet, idx: np.ndarray) -> dict[str, float]:
    """Rasa's validation figures on the held-out examples: `i_acc` (the top label over
    every label) and, per tag kind, `<k>_f1`, the micro F1 of the decoded tags over
    every tag but "O" (Rasa's CRF `f1_score`). Roles and groups read the decoded entity
    path, as serving does."""
    names = [s.name for s in training_signature(net.layout)]
    crfs = {k: Crf(v.numpy()) for k, v in net.transitions.items()}
    tables = net.entity_tag_tables()
    correct = labelled = 0
    counts = {k: np.zeros(3) for k in net.tag_heads}  # true positives, predicted, gold
    for lo in range(0, len(idx), 256):
        chunk = idx[lo : lo + 256]
        batch = data.batch(chunk)
        out = net.outputs({n: batch[n] for n in names if n in batch}, False, packed=True)
        if LABEL_SCORES in out:
            gold = data.label_ids[chunk]
            predicted = np.argmax(out[LABEL_SCORES].numpy(), axis=-1)
            correct += int(np.sum((predicted == gold) & (gold >= 0)))
            labelled += int(np.sum(gold >= 0))
        logits = {k: out[TAG_LOGITS.format(kind=k)].numpy() for k in net.tag_heads}
        for b, i in enumerate(chunk):
            n = int(data.lengths[i])
            entity_path: list[int] = []
            for kind in (k for k in (ENTITY, ROLE, GROUP) if k in logits):  # as serving
                scores = logits[kind][b, :n]
                if kind in tables and entity_path:
                    scores = scores + tables[kind][entity_path]
                path = np.asarray(crfs[kind].best_path(scores))
                if kind == ENTITY:
                    entity_path = path.tolist()
                gold_tags = data.tags[kind][i][:n]
                counts[kind] += [
                    np.sum((path == gold_tags) & (gold_tags != 0)),
                    np.sum(path != 0),
                    np.sum(gold_tags != 0),
                ]
    metrics = {"i_acc": correct / labelled} if labelled else {}
    for kind, (tp, predicted_n, gold_n) in counts.items():
        metrics[f"{kind[0]}_f1"] = 2 * tp / (predicted_n + gold_n) if predicted_n + gold_n else 0.0
    return metrics


def improves(metrics: dict[str, float], best: dict[str, float]) -> bool:
    """Rasa's `RasaModelCheckpoint` rule: no figure worse than the best so far and at
    least one better (the first evaluation always counts)."""
    if not best:
        return True
    if any(metrics[k] < v for k, v in best.items()):
        return False
    return any(metrics[k] > v for k, v in best.items())


@dataclass
class Evaluation:
    """Rasa's `evaluate_on_number_of_examples` / `evaluate_every_number_of_epochs` /
    `checkpoint_model` for one training: which examples train and which are held out,
    when they are scored, and the best evaluation's weights."""

    trained: np.ndarray
    held: np.ndarray
    every: int
    checkpoint: bool
    best: dict[str, float] = field(default_factory=dict)
    best_epoch: int = 0
    best_weights: list[np.ndarray] | None = None

    @classmethod
    def plan(
        cls, config: dict[str, Any], label_ids: np.ndarray, rng: np.random.Generator, name: str
    ) -> Evaluation:
        trained = np.arange(len(label_ids))
        held = np.zeros(0, np.int64)
        every = int(config.get("evaluate_every_number_of_epochs", 20) or 0)
        n_held = int(config.get("evaluate_on_number_of_examples") or 0)
        if n_held > 0:
            trained, held = holdout_split(label_ids, n_held, rng, name)
        checkpoint = bool(config.get("checkpoint_model"))
        if checkpoint and (not len(held) or every <= 0):
            logger.warning(
                "%s: checkpoint_model needs evaluate_on_number_of_examples and "
                "evaluate_every_number_of_epochs above 0; no checkpoint is kept.",
                name,
            )
        return cls(trained, held, every, checkpoint)

    def due(self, epoch: int) -> bool:
        """Whether the held-out examples are scored after `epoch` (0-based), as Keras'
        `validation_freq` schedules it."""
        return bool(len(self.held)) and self.every > 0 and (epoch + 1) % self.every == 0

    def offer(self, epoch: int, metrics: dict[str, float], weights: list[Any]) -> None:
        if self.checkpoint and improves(metrics, self.best):
            self.best, self.best_epoch = metrics, epoch + 1
            self.best_weights = [w.numpy() for w in weights]

    def restore(self, weights: list[Any], name: str, progress: Progress) -> None:
        if self.best_weights is None:
            return
        for variable, value in zip(weights, self.best_weights):
            variable.assign(value)
        progress(f"{name}: kept the weights of epoch {self.best_epoch}, its best evaluation")


def make_training_set(
    messages: list[Message],
    layout: FeatureLayout,
    label_ids: list[int],
    tags: dict[str, list[list[int]]],
) -> TrainingSet:
    return TrainingSet(
        inputs=[build_inputs([m], layout, MAX_TOKENS) for m in messages],
        label_ids=np.asarray(label_ids, dtype=np.int32),
        tags={k: [np.asarray(t, dtype=np.int32) for t in v] for k, v in tags.items()},
    )


def train_network(
    config: dict[str, Any],
    layout: FeatureLayout,
    spec: TaskSpec,
    data: TrainingSet,
    name: str,
    progress: Progress,
) -> DietNetwork:
    use_training_threads(threads_for(int(data.lengths.sum())))
    seed = config.get("random_seed")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    rng = np.random.default_rng(seed)
    net = DietNetwork(config, layout, spec, rng)
    kinds = list(spec.tags)
    signature = training_signature(layout)
    names = [s.name for s in signature]

    net.outputs(collate(data.inputs[:2]), training=False)  # build every layer
    variables = net.trainable_variables
    # Adam's slots are created now: a tf.function whose first call creates variables is
    # traced twice, and tracing this step costs seconds.
    optimizer = FusedAdam(variables, float(config["learning_rate"]), l2=net.l2_terms())

    @tf.function(
        input_signature=[
            *signature,
            tf.TensorSpec([None], tf.int32),
            *[tf.TensorSpec([None, None], tf.int32) for _ in kinds],
        ],
        reduce_retracing=True,
        autograph=False,  # plain Python loops over layers only: tracing is 2x faster
    )
    def step(*args: tf.Tensor) -> dict[str, tf.Tensor]:
        x = dict(zip(names, args[: len(names)]))
        label_ids = args[len(names)]
        tags = dict(zip(kinds, args[len(names) + 1 :]))
        with tf.GradientTape() as tape:
            loss, metrics = net.training_loss(x, label_ids, tags)
        optimizer.apply(tape.gradient(loss, variables))
        return metrics

    epochs = int(config["epochs"])
    balanced = config["batch_strategy"] == "balanced" and bool(spec.labels)
    report_every = max(1, epochs // 10)
    evaluation = Evaluation.plan(config, data.label_ids, rng, name)
    trained = evaluation.trained
    if len(evaluation.held):
        progress(f"{name}: {len(evaluation.held)} examples held out for evaluation")
    started = time.perf_counter()
    first_step: float | None = None  # tracing and graph optimisation included
    for epoch in range(epochs):
        size = batch_sizes(config, epoch)
        order = trained[epoch_order(data.label_ids[trained], rng, balanced, size)]
        totals: dict[str, float] = {}
        seen = 0
        for lo in range(0, len(order), size):
            idx = order[lo : lo + size]
            if config.get("drop_small_last_batch") and len(idx) < size and lo > 0:
                continue
            batch = data.batch(idx)
            steps = batch[MASK].shape[1]
            args = [batch[n] for n in names]
            args.append(data.label_ids[idx])
            args.extend(pad_tags([data.tags[k][i] for i in idx], steps) for k in kinds)
            metrics = step(*args)
            if first_step is None:
                first_step = time.perf_counter() - started
            for key, value in metrics.items():
                totals[key] = totals.get(key, 0.0) + float(value) * len(idx)
            seen += len(idx)
        evaluated: dict[str, float] = {}
        if evaluation.due(epoch):
            evaluated = holdout_metrics(net, data, evaluation.held)
            evaluation.offer(epoch, evaluated, net.weights)
        if (epoch + 1) % report_every == 0 or epoch + 1 == epochs or evaluated:
            shown = " ".join(f"{k}={v / max(seen, 1):.3f}" for k, v in sorted(totals.items()))
            shown += "".join(f" val_{k}={v:.3f}" for k, v in sorted(evaluated.items()))
            progress(f"{name}: epoch {epoch + 1}/{epochs} {shown}")
    evaluation.restore(net.weights, name, progress)
    logger.debug(
        "%s trained in %.1f s (first step %.1f s)",
        name,
        time.perf_counter() - started,
        first_step or 0.0,
    )
    return net


def export_network(
    net: DietNetwork, directory: Path, meta: dict[str, Any], check: list[Message]
) -> float:
    """Write model.onnx, the sparse input layer's weights, meta.json, the CRF transitions
    and the role and group heads' entity-tag tables; returns the largest difference
    between TensorFlow and the engine (`OnnxModel`, as serving loads it) on `check`."""
    directory.mkdir(parents=True, exist_ok=True)
    bake_masks(net)
    onnx.save(diet_to_onnx(net), str(directory / MODEL_FILE))
    SparseInputLayer.save(directory, **input_layer_weights(net))
    if net.transitions:
        np.savez(
            directory / TRANSITIONS_FILE,
            **{k: v.numpy().astype(np.float32) for k, v in net.transitions.items()},
        )
    tables = net.entity_tag_tables()
    if tables:
        np.savez(
            directory / ENTITY_TAG_TABLES_FILE,
            **{k: v.astype(np.float32) for k, v in tables.items()},
        )
    write_json(
        directory / META_FILE, {**meta, "layout": net.layout.as_dict(), "max_tokens": MAX_TOKENS}
    )
    if not check:
        return 0.0
    sample = collate([build_inputs([m], net.layout, MAX_TOKENS) for m in check])
    names = [s.name for s in input_signature(net.layout)]
    # Eager: tracing a tf.function for one call costs more than it saves.
    expected = net.outputs({n: sample[n] for n in names}, training=False)
    got = OnnxModel(directory).run(check)
    return check_difference(
        {k: v.numpy() for k, v in expected.items()}, got, directory / MODEL_FILE
    )


def has_sentence_features(data: TrainingSet) -> bool:
    return any(bool(x[SENT_IDS].any()) for x in data.inputs)
