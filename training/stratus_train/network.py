"""The DIET network (also ResponseSelector's): sparse + dense features -> transformer ->
label similarities and CRF tag scores.

Design: the [CLS] (sentence) vector is stored at step 0 and the tokens after it, so no
gather finds it in a padded batch; its positional encoding is still Rasa's (the position
right after the last token, see `positions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stratus.nlu.entity_tags import ENTITY
from stratus.nlu.features import (
    MASK,
    SENT_DENSE,
    SENT_IDS,
    SENT_VALS,
    SEQ_DENSE,
    SEQ_IDS,
    SEQ_VALS,
    FeatureLayout,
)
from stratus.nlu.onnx_model import LABEL_CONFIDENCES, LABEL_SCORES, TAG_LOGITS
from stratus_train.backend import keras, tf
from stratus_train.crf import crf_nll
from stratus_train.layers import (
    Ffnn,
    MaskedDense,
    SparseDense,
    TransformerEncoder,
    gelu,
    pack,
    packing_of,
)
from stratus_train.optimizer import l2_terms, regularization

# Training-only outputs of `DietNetwork.outputs`, read by the label loss.
TEXT_EMBEDDINGS, LABEL_EMBEDDINGS = "text_embeddings", "label_embeddings"


@dataclass
class TaskSpec:
    """What the network predicts."""

    labels: list[str]
    label_features: np.ndarray  # [labels, label feature dim]
    tags: dict[str, list[str]] = field(default_factory=dict)  # kind -> tag names ("O" first)
    # [labels, tokens]: each label's tokens as `label_features` columns, -1 after its last;
    # given, the labels are embedded by a label transformer (a ResponseSelector's
    # `number_of_transformer_layers`, see `DietNetwork.label_embeddings`).
    label_tokens: np.ndarray | None = None


def text_option(config: dict[str, Any], key: str) -> Any:
    """Options Rasa lets be a number or a {text:, label:} mapping."""
    value = config[key]
    return value.get("text") if isinstance(value, dict) else value


def label_option(config: dict[str, Any], key: str) -> Any:
    value = config[key]
    return value.get("label") if isinstance(value, dict) else value


def transformer(
    config: dict[str, Any],
    option: Callable[[dict[str, Any], str], Any],
    rng: np.random.Generator,
) -> TransformerEncoder | None:
    """One attribute's transformer (`option`: `text_option` or `label_option`), as Rasa's
    `_get_transformer_dimensions` reads it: none for 0 layers, 256 units when unset."""
    layers = int(option(config, "number_of_transformer_layers") or 0)
    if layers <= 0:
        return None
    return TransformerEncoder(
        layers,
        int(option(config, "transformer_size") or 256),
        int(config["number_of_attention_heads"]),
        float(config["drop_rate"]),
        float(config["drop_rate_attention"]),
        float(config["regularization_constant"]),
        float(config["connection_density"]),
        rng,
    )


def input_signature(layout: FeatureLayout) -> list[tf.TensorSpec]:
    specs = [
        tf.TensorSpec([None, None, None], tf.int64, SEQ_IDS),
        tf.TensorSpec([None, None, None], tf.float32, SEQ_VALS),
        tf.TensorSpec([None, None], tf.int64, SENT_IDS),
        tf.TensorSpec([None, None], tf.float32, SENT_VALS),
        tf.TensorSpec([None, None], tf.float32, MASK),
    ]
    if layout.dense:
        specs += [
            tf.TensorSpec([None, None, layout.dense_dim], tf.float32, SEQ_DENSE),
            tf.TensorSpec([None, layout.dense_dim], tf.float32, SENT_DENSE),
        ]
    return specs


# Training-only inputs: the row (batch * steps + token, or batch for the sentence) of each
# sparse cell, whose ids and values then come as flat vectors.
SEQ_ROWS, SENT_ROWS = "seq_rows", "sent_rows"


def training_signature(layout: FeatureLayout) -> list[tf.TensorSpec]:
    """The training step's inputs: sparse features as flat cells, not padded rows."""
    specs = [
        tf.TensorSpec([None], tf.int32, SEQ_ROWS),
        tf.TensorSpec([None], tf.int64, SEQ_IDS),
        tf.TensorSpec([None], tf.float32, SEQ_VALS),
        tf.TensorSpec([None], tf.int32, SENT_ROWS),
        tf.TensorSpec([None], tf.int64, SENT_IDS),
        tf.TensorSpec([None], tf.float32, SENT_VALS),
        tf.TensorSpec([None, None], tf.float32, MASK),
    ]
    return specs + input_signature(layout)[5:]


def positions(mask: tf.Tensor) -> tf.Tensor:
    """[B, T + 1] positional-encoding index of [CLS] and each token: Rasa puts the
    sentence vector right after the last real token, so [CLS] (stored at step 0 here)
    takes position `length` and token t position t."""
    lengths = tf.cast(tf.reduce_sum(mask, axis=1), tf.int32)
    return tf.concat([lengths[:, None], token_positions(mask)], axis=1)


def token_positions(mask: tf.Tensor) -> tf.Tensor:
    """[B, T]: token t's positional-encoding index is t."""
    return tf.tile(tf.range(tf.shape(mask)[1])[None, :], tf.stack([tf.shape(mask)[0], 1]))


def sampled_dot_product_loss(
    text: tf.Tensor,
    labels: tf.Tensor,
    ids: tf.Tensor,
    neg_label_ids: tf.Tensor,
    neg_input_ids: tf.Tensor,
    constrain: bool,
) -> tf.Tensor:
    """Rasa 3.6's SingleLabelDotProductLoss (cross entropy, inner product), per example.

    text [B, E] and labels [L, E] are embeddings, ids [B] each example's label;
    neg_label_ids [B, n] index labels and neg_input_ids [B, n] the batch's inputs. A
    negative with the example's own label is masked out (-1e9). The softmax reads the
    positive similarity against input-label, label-input, input-input and label-label
    negatives; with `constrain` (constrain_similarities), only the first two, and a
    sigmoid term pushes the positive towards 1 and every negative towards 0.
    """
    positive = tf.gather(labels, ids)  # [B, E]
    neg_labels = tf.gather(labels, neg_label_ids)  # [B, n, E]
    neg_inputs = tf.gather(text, neg_input_ids)
    big = tf.constant(-1e9)
    bad_labels = big * tf.cast(tf.equal(neg_label_ids, ids[:, None]), tf.float32)
    bad_inputs = big * tf.cast(tf.equal(tf.gather(ids, neg_input_ids), ids[:, None]), tf.float32)
    pos = tf.reduce_sum(text * positive, -1, keepdims=True)
    il = tf.einsum("be,bne->bn", text, neg_labels) + bad_labels
    ll = tf.einsum("be,bne->bn", positive, neg_labels) + bad_labels
    ii = tf.einsum("be,bne->bn", text, neg_inputs) + bad_inputs
    li = tf.einsum("be,bne->bn", positive, neg_inputs) + bad_inputs
    logits = tf.concat([pos, il, li] if constrain else [pos, il, li, ii, ll], -1)
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.zeros_like(ids), logits)
    if constrain:
        every = tf.concat([pos, il, ll, ii, li], -1)
        targets = tf.concat([tf.ones_like(pos), tf.zeros_like(every[:, 1:])], -1)
        loss += tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(targets, every), -1)
    return loss


def scaled_by_confidence(loss: tf.Tensor, weight: tf.Tensor | None = None) -> tf.Tensor:
    """Rasa 3.6's `scale_loss`: each example's loss times ((1 - p) / 0.5)^4, p being the
    probability its loss stands for (exp(-loss)), once some example of the batch (with
    `weight` > 0) has p > 0.5; until then unscaled. The factor carries no gradient, so
    examples the model already gets right stop pulling the weights."""
    p = tf.exp(-loss)
    seen = p if weight is None else p * weight
    factor = tf.where(
        tf.reduce_max(seen) > 0.5, tf.stop_gradient(tf.pow((1.0 - p) / 0.5, 4.0)), 1.0
    )
    return loss * factor


class DietNetwork(keras.Model):
    def __init__(
        self,
        config: dict[str, Any],
        layout: FeatureLayout,
        spec: TaskSpec,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.config, self.layout, self.spec = config, layout, spec
        reg = float(config["regularization_constant"])
        density = float(config["connection_density"])
        drop = float(config["drop_rate"])
        dense_dim = int(text_option(config, "dense_dimension"))
        # Rasa's DenseForSparse is fully connected: `connection_density` thins only the
        # hidden (FFNN) and transformer layers, never the sparse-to-dense ones.
        self.seq_sparse = SparseDense(layout.sparse_dim, dense_dim, reg)
        self.sent_sparse = SparseDense(layout.sparse_dim, dense_dim, reg)
        self.sparse_dropout = float(drop) if config["use_sparse_input_dropout"] else 0.0
        self.dense_dropout = keras.layers.Dropout(drop if config["use_dense_input_dropout"] else 0)
        self.text_ffnn = Ffnn(
            list(text_option(config, "hidden_layers_sizes") or []), drop, density, reg, rng
        )
        self.encoder = transformer(config, text_option, rng)
        emb = int(config["embedding_dimension"])
        self.text_embed = keras.layers.Dense(emb, kernel_regularizer=keras.regularizers.L2(reg))
        # A frozen weight rather than a tf.constant: a captured eager tensor would become an
        # extra input of the exported ONNX graph.
        self.label_features = self.add_weight(
            shape=spec.label_features.shape,
            trainable=False,
            name="label_features",
            initializer=keras.initializers.Constant(spec.label_features.astype(np.float32)),
        )
        self.label_sparse = MaskedDense(int(label_option(config, "dense_dimension")), 1.0, reg, rng)
        self.label_ffnn = Ffnn(
            list(label_option(config, "hidden_layers_sizes") or []), drop, density, reg, rng
        )
        self.label_embed = keras.layers.Dense(emb, kernel_regularizer=keras.regularizers.L2(reg))
        # As Rasa's `embed.<tag>.logits` (an L2-regularized Embed) and CRF layer, whose
        # transitions start from Keras' default Glorot initializer with the same L2 term.
        self.tag_heads = {
            k: keras.layers.Dense(len(t), kernel_regularizer=keras.regularizers.L2(reg))
            for k, t in spec.tags.items()
        }
        self.transitions = {
            k: self.add_weight(
                shape=(len(t), len(t)),
                initializer="glorot_uniform",
                regularizer=keras.regularizers.L2(reg),
                name=f"{k}_crf",
            )
            for k, t in spec.tags.items()
        }
        # Rasa feeds the role and group CRFs the entity tags: the gold ones in training,
        # the entity CRF's best path in prediction, one-hot through an `embed.<kind>.tags`
        # layer into that kind's logits layer. Its logits are linear in that input, so
        # the tag part is a [entity tags, kind tags] table (`entity_tag_tables`) added
        # after the entity path is decoded; the kind's head reads the tokens only.
        fed = [k for k in spec.tags if k != ENTITY and ENTITY in spec.tags]
        self.entity_tag_embeds = {
            k: keras.layers.Dense(emb, kernel_regularizer=keras.regularizers.L2(reg)) for k in fed
        }
        self.entity_tag_heads = {
            k: keras.layers.Dense(
                len(spec.tags[k]), use_bias=False, kernel_regularizer=keras.regularizers.L2(reg)
            )
            for k in fed
        }
        for k in fed:  # built now: the trainer hands the optimizer every variable up front
            self.entity_tag_embeds[k].build((None, len(spec.tags[ENTITY])))
            self.entity_tag_heads[k].build((None, emb))
        # Created last, so that a config without one draws the random stream as before.
        self.label_encoder = None
        if spec.label_tokens is not None:
            self.label_encoder = transformer(config, label_option, rng)

    @property
    def reads_tokens(self) -> bool:
        """Whether anything reads the token vectors: a transformer that mixes them into the
        sentence position, or a tag head. Without either (ResponseSelector's default) Rasa
        computes them and drops them; `encode` computes only the sentence position, whose
        hidden layers act on it alone."""
        return self.encoder is not None or bool(self.tag_heads)

    def encode(
        self, x: dict[str, tf.Tensor], training: bool, packed: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor | None]:
        """[CLS] vector [B, D] and token vectors [B, T, D] (`packed`: see TransformerEncoder;
        None when nothing reads them, see `reads_tokens`)."""
        if not self.reads_tokens:
            return self._sentence_only(x, training), None
        seq_vals, sent_vals = x[SEQ_VALS], x[SENT_VALS]
        if training and self.sparse_dropout:
            seq_vals, sent_vals = self._drop_cells(seq_vals), self._drop_cells(sent_vals)
        mask = x[MASK]
        if SEQ_ROWS in x:  # training: flat cells (see `training_signature`)
            batch, steps = tf.shape(mask)[0], tf.shape(mask)[1]
            seq = self.seq_sparse.flat(x[SEQ_ROWS], x[SEQ_IDS], seq_vals, batch * steps)
            seq = tf.reshape(seq, [batch, steps, self.seq_sparse.units])
            sent = self.sent_sparse.flat(x[SENT_ROWS], x[SENT_IDS], sent_vals, batch)
        else:
            seq = self.seq_sparse(x[SEQ_IDS], seq_vals)
            sent = self.sent_sparse(x[SENT_IDS], sent_vals)
        # Rasa's `use_dense_input_dropout` drops the sparse features' dense projection;
        # dense input features (language models) go in as they are.
        seq = self.dense_dropout(seq, training=training)
        sent = self.dense_dropout(sent, training=training)
        if SEQ_DENSE in x:
            seq = tf.concat([seq, x[SEQ_DENSE]], -1)
            sent = tf.concat([sent, x[SENT_DENSE]], -1)
        seq = seq * mask[..., None]
        h = tf.concat([sent[:, None, :], seq], axis=1)
        full_mask = tf.concat([tf.ones_like(mask[:, :1]), mask], axis=1)
        packing = None
        if packed and self.encoder is not None:
            # Every per-token layer on the real tokens only, the hidden layers included (a
            # ResponseSelector's [256, 128] on 512 units spent most of their time on
            # padding); the encoder pads just for attention.
            packing = packing_of(full_mask)
            h = pack(h, packing)
        h = self.text_ffnn(h, training=training)
        if self.encoder is not None:
            h = self.encoder(h, full_mask, positions(mask), training=training, packing=packing)
            h = gelu(h)  # Rasa's RasaSequenceLayer ends with a GELU
        return h[:, 0], h[:, 1:]

    def _drop_cells(self, values: tf.Tensor) -> tf.Tensor:
        """Rasa's SparseDropout: drop feature cells at `sparse_dropout`, no rescaling."""
        kept = tf.random.uniform(tf.shape(values)) >= self.sparse_dropout
        return values * tf.cast(kept, tf.float32)

    def _sentence_only(self, x: dict[str, tf.Tensor], training: bool) -> tf.Tensor:
        """`encode`'s [CLS] vector when no token vector is read: the same layers on the
        sentence row alone (in training a small fraction of the step's cells and rows)."""
        sent_vals = x[SENT_VALS]
        if training and self.sparse_dropout:
            sent_vals = self._drop_cells(sent_vals)
        if SENT_ROWS in x:
            sent = self.sent_sparse.flat(x[SENT_ROWS], x[SENT_IDS], sent_vals, tf.shape(x[MASK])[0])
        else:
            sent = self.sent_sparse(x[SENT_IDS], sent_vals)
        sent = self.dense_dropout(sent, training=training)
        if SENT_DENSE in x:
            sent = tf.concat([sent, x[SENT_DENSE]], -1)
        return self.text_ffnn(sent, training=training)

    def label_bags(self) -> tf.Tensor:
        """[labels, label dense_dimension]: each label's tokens through Rasa's sparse-to-dense
        layer, summed. Rasa featurizes a label name as one row per token (no sentence row)
        and sums the rows after the layer, so a label of n tokens (`faq/ask_name`, or
        `intent_tokenization_flag`) gets the layer's bias n times."""
        tokens = tf.reduce_sum(self.label_features, -1, keepdims=True)
        extra = tf.maximum(tokens - 1.0, 0.0)
        return self.label_sparse(self.label_features) + extra * self.label_sparse.bias

    def label_embeddings(self, training: bool) -> tf.Tensor:
        if self.label_encoder is not None:
            return self.label_embed(self._label_sequences(training))
        h = self.label_ffnn(self.label_bags(), training=training)
        return self.label_embed(h)

    def _label_sequences(self, training: bool) -> tf.Tensor:
        """[labels, units]: each label as Rasa's ResponseSelector (DIET2DIET) embeds it with
        a label transformer: its token rows through the sparse-to-dense layer, the hidden
        layers, the transformer (positions 0..n-1, padding masked) and a GELU, read at its
        last token. Rasa turns input dropout off on the label side; the hidden layers' and
        the transformer's dropout stay."""
        assert self.label_encoder is not None and self.spec.label_tokens is not None
        ids = tf.constant(self.spec.label_tokens)
        mask = tf.cast(ids >= 0, tf.float32)
        rows = tf.one_hot(ids, self.spec.label_features.shape[1])  # -1: a row of zeros
        h = self.label_sparse(rows) * mask[..., None]
        h = self.label_ffnn(h, training=training)
        h = gelu(self.label_encoder(h, mask, token_positions(mask), training=training))
        last = tf.cast(tf.reduce_sum(mask, axis=1), tf.int32) - 1
        return tf.gather(h, last, batch_dims=1)

    def outputs(
        self, x: dict[str, tf.Tensor], training: bool, packed: bool = False
    ) -> dict[str, tf.Tensor]:
        cls, tokens = self.encode(x, training, packed)
        out: dict[str, tf.Tensor] = {}
        if self.spec.labels:
            text = self.text_embed(cls)
            labels = self.label_embeddings(training)
            out[LABEL_SCORES] = tf.matmul(text, labels, transpose_b=True)
            if training:  # for Rasa's sampled label loss (`training_loss`)
                out[TEXT_EMBEDDINGS], out[LABEL_EMBEDDINGS] = text, labels
            else:  # what the exported graph also gives serving
                out[LABEL_CONFIDENCES] = tf.nn.softmax(out[LABEL_SCORES])
        for kind, head in self.tag_heads.items() if tokens is not None else ():
            # roles and groups: without their entity-tag part (`entity_tag_scores`)
            out[TAG_LOGITS.format(kind=kind)] = head(tokens)
        return out

    def entity_tag_scores(self, kind: str, entity_tags: tf.Tensor) -> tf.Tensor:
        """[..., kind tags] the part of a role or group logit that its entity tag gives."""
        one_hot = tf.one_hot(entity_tags, len(self.spec.tags[ENTITY]))
        return self.entity_tag_heads[kind](self.entity_tag_embeds[kind](one_hot))

    def entity_tag_tables(self) -> dict[str, np.ndarray]:
        """kind -> [entity tags, kind tags]: `entity_tag_scores` of every entity tag."""
        every = tf.range(len(self.spec.tags.get(ENTITY, ())))
        return {k: self.entity_tag_scores(k, every).numpy() for k in self.entity_tag_heads}

    def _sampled_loss(self, text: tf.Tensor, labels: tf.Tensor, ids: tf.Tensor) -> tf.Tensor:
        """Rasa's label loss with `number_of_negative_examples` negatives per example,
        drawn uniformly from all labels and from the batch's inputs."""
        n = int(self.config["number_of_negative_examples"])
        batch = tf.shape(text)[0]
        neg_labels = tf.random.uniform([batch, n], 0, tf.shape(labels)[0], tf.int32)
        neg_inputs = tf.random.uniform([batch, n], 0, batch, tf.int32)
        constrain = bool(self.config["constrain_similarities"])
        return sampled_dot_product_loss(text, labels, ids, neg_labels, neg_inputs, constrain)

    def l2_terms(self) -> list[tuple[keras.Variable, float]]:
        """Every weight's L2 constant, for `FusedAdam(l2=...)`: the weights with a Keras
        regularizer, the sparse-input kernels among them."""
        return l2_terms(self.trainable_variables)

    def training_loss(
        self, x: dict[str, tf.Tensor], label_ids: tf.Tensor, tags: dict[str, tf.Tensor]
    ) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        out = self.outputs(x, training=True, packed=True)
        # The L2 terms count in the loss; their gradients come from the optimizer
        # (`l2_terms`), applied as Rasa applies them.
        total = regularization(self)
        metrics: dict[str, tf.Tensor] = {}
        scale = bool(self.config.get("scale_loss", False))
        if LABEL_SCORES in out:
            scores = out[LABEL_SCORES]  # every label: what serving ranks
            has_label = tf.cast(label_ids >= 0, tf.float32)
            safe_ids = tf.maximum(label_ids, 0)
            weight = tf.maximum(tf.reduce_sum(has_label), 1.0)
            ce = self._sampled_loss(out[TEXT_EMBEDDINGS], out[LABEL_EMBEDDINGS], safe_ids)
            if scale:
                ce = scaled_by_confidence(ce, has_label)
            label_loss = tf.reduce_sum(ce * has_label) / weight
            total += label_loss
            correct = tf.cast(
                tf.equal(tf.argmax(scores, -1, output_type=tf.int32), safe_ids), tf.float32
            )
            metrics["i_acc"] = tf.reduce_sum(correct * has_label) / weight
            metrics["i_loss"] = label_loss
        for kind in self.tag_heads:
            logits = out[TAG_LOGITS.format(kind=kind)]
            if kind in self.entity_tag_heads:  # Rasa's teacher forcing: the gold entity tags
                logits += self.entity_tag_scores(kind, tags[ENTITY])
            nll = crf_nll(logits, tags[kind], x[MASK], self.transitions[kind])
            if scale:
                nll = scaled_by_confidence(nll)
            kind_loss = tf.reduce_mean(nll)
            total += kind_loss
            metrics[f"{kind[0]}_loss"] = kind_loss
        metrics["loss"] = total
        return total, metrics
