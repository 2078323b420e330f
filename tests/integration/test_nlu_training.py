"""Train small NLU models with TensorFlow, export them to ONNX, parse with onnxruntime."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from flights import FLIGHT_EXAMPLES
from fresh_parse import parse_in_fresh_process

from stratus.model import read_manifest, resolve_model_dir
from stratus.model.manifest import FORMAT_VERSION, verify_files
from stratus.nlu.interpreter import Interpreter
from stratus.nlu.message import Message

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
MOODBOT = SHARED / "rasa-examples" / "moodbot"
NAUGHTY = SHARED / "rasa-fixtures" / "test_tokenizers" / "naughty_strings.json"

CONFIG = """\
recipe: default.v1
assistant_id: test_bot
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: DIETClassifier
    epochs: 100
    transformer_size: 64
    number_of_transformer_layers: 1
    embedding_dimension: 16
    random_seed: 7
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 40
    random_seed: 7
  - name: FallbackClassifier
    threshold: 0.3
"""

EXTRA_NLU = (
    """\
version: "3.1"
nlu:
- intent: book_flight
  examples: |
"""
    + FLIGHT_EXAMPLES
    + """- intent: faq/ask_name
  examples: |
    - what is your name?
    - who are you?
    - tell me your name
    - how should I call you
- intent: faq/ask_weather
  examples: |
    - how is the weather?
    - will it rain today?
    - is it sunny outside
    - what's the forecast
- synonym: New York
  examples: |
    - NYC
    - the big apple
"""
)

DOMAIN = """\
version: "3.1"
intents: [greet, goodbye, affirm, deny, mood_great, mood_unhappy, bot_challenge, book_flight, faq]
entities:
  - city:
      roles: [departure, destination]
responses:
  utter_greet:
  - text: Hey!
  utter_faq/ask_name:
  - text: I am a test bot.
  utter_faq/ask_weather:
  - text: I cannot see the sky.
"""


def make_project(root: Path, config: str = CONFIG) -> Path:
    (root / "data").mkdir(parents=True)
    shutil.copy(MOODBOT / "data" / "nlu.yml", root / "data" / "nlu.yml")
    (root / "data" / "extra.yml").write_text(EXTRA_NLU)
    (root / "domain.yml").write_text(DOMAIN)
    (root / "config.yml").write_text(config)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stratus_train.train import train

    project = make_project(tmp_path_factory.mktemp("project"))
    result = train(project, out=project / "models", progress=lambda _: None, nlu_only=True)
    assert not result.skipped
    return result.model_dir


@pytest.fixture(scope="module")
def interpreter(trained: Path) -> Interpreter:
    return Interpreter.load(trained)


def test_model_directory_has_manifest_with_hashes_and_filled_config(trained: Path) -> None:
    manifest = read_manifest(trained)
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.parts == ["nlu"] and len(manifest.fingerprints["nlu"]) == 64
    diet = next(c for c in manifest.config["pipeline"] if c["name"] == "DIETClassifier")
    assert diet["epochs"] == 100 and diet["connection_density"] == 0.2  # a Rasa default
    assert "nlu/pipeline.json" in manifest.files
    assert any(f.endswith("DIETClassifier/model.onnx") for f in manifest.files)
    # the roles' table of what each entity tag adds (Rasa feeds the entity path to them)
    assert any(f.endswith("DIETClassifier/entity_tag_tables.npz") for f in manifest.files)
    assert verify_files(trained, manifest) == []


def test_parse_result_has_rasa_shape(interpreter: Interpreter) -> None:
    result = interpreter.parse("hello there")
    assert list(result) == [
        "text",
        "intent",
        "entities",
        "text_tokens",
        "intent_ranking",
        "response_selector",
    ]
    assert result["intent"]["name"] == "greet"
    assert result["text_tokens"] == [[0, 5], [6, 11]]
    assert len(result["intent_ranking"]) == 9  # every intent (Rasa keeps the top 10)
    confidences = [r["confidence"] for r in result["intent_ranking"]]
    assert confidences == sorted(confidences, reverse=True)


def test_entities_roles_and_synonyms(interpreter: Interpreter) -> None:
    result = interpreter.parse("fly from NYC to Paris")
    assert result["intent"]["name"] == "book_flight"
    found = {(e["value"], e.get("role")) for e in result["entities"]}
    assert found == {("New York", "departure"), ("Paris", "destination")}
    nyc = next(e for e in result["entities"] if e["value"] == "New York")
    assert (nyc["start"], nyc["end"]) == (9, 12)
    assert nyc["extractor"] == "DIETClassifier"
    assert nyc["processors"] == ["EntitySynonymMapper"]
    assert 0.0 < nyc["confidence_entity"] <= 1.0


def test_response_selector(interpreter: Interpreter) -> None:
    result = interpreter.parse("what is your name?")
    assert result["intent"]["name"] == "faq"
    selector = result["response_selector"]
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["default"]["response"]
    assert response["intent_response_key"] == "faq/ask_name"
    assert response["utter_action"] == "utter_faq/ask_name"
    assert response["responses"] == [{"text": "I am a test bot."}]
    assert selector["default"]["ranking"][0]["intent_response_key"] == "faq/ask_name"


def test_a_response_selector_with_a_label_transformer_trains_and_answers(
    tmp_path: Path,
) -> None:
    # Rasa's ResponseSelector with `number_of_transformer_layers` embeds its labels with a
    # label transformer too; the exported model holds the label embeddings it computed.
    from stratus_train.train import train

    selector = "  - name: ResponseSelector\n    epochs: 40\n"
    config = CONFIG.replace(
        selector, selector + "    number_of_transformer_layers: 1\n    transformer_size: 32\n"
    ).replace("    epochs: 100\n", "    epochs: 10\n")
    project = make_project(tmp_path, config)
    model = train(project, out=project / "models", progress=lambda _: None, nlu_only=True)
    assert read_manifest(model.model_dir).config["pipeline"][7]["number_of_transformer_layers"] == 1
    interpreter = Interpreter.load(model.model_dir)
    for text, key in (("who are you?", "faq/ask_name"), ("will it rain today?", "faq/ask_weather")):
        response = interpreter.parse(text)["response_selector"]["default"]["response"]
        assert response["intent_response_key"] == key, text


def test_a_response_selector_without_a_transformer_keeps_the_sentence_kernel_alone(
    trained: Path,
) -> None:
    # Its graph reads no token vector, so the untrained token kernel is not shipped;
    # DIET (a transformer, entities) keeps both. The parses above go through both.
    from stratus.nlu.input_layer import BIASES_FILE, KERNEL_FILE

    widths = {}
    for directory in (trained / "nlu").iterdir():
        if (directory / KERNEL_FILE).exists():
            with np.load(directory / BIASES_FILE) as biases:
                seq, sent = len(biases["seq"]), len(biases["sent"])
            kernel = np.load(directory / KERNEL_FILE, mmap_mode="r")
            assert kernel.shape[1] == seq + sent
            widths[directory.name.split("_", 1)[1]] = (seq, sent)
    assert widths["ResponseSelector"] == (0, 512)  # Rasa's dense_dimension for it
    assert widths["DIETClassifier"] == (128, 128)


# onnxruntime's integer kernels: what a `quantize: int8` network computes with
INT8_OPS = {"MatMulInteger", "DynamicQuantizeMatMul", "QAttention", "DynamicQuantizeLinear"}


@pytest.fixture(scope="module")
def quantized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stratus_train.train import train

    config = CONFIG.replace("    random_seed: 7\n", "    random_seed: 7\n    quantize: int8\n")
    assert config.count("quantize: int8") == 2  # DIET and the ResponseSelector
    project = make_project(tmp_path_factory.mktemp("quantized"), config)
    return train(project, out=project / "models", progress=lambda _: None, nlu_only=True).model_dir


def test_quantize_int8_ships_integer_networks_that_predict_as_the_float_ones(
    trained: Path, quantized: Path
) -> None:
    import onnx

    from stratus.nlu.input_layer import KERNEL_FILE, SCALES_FILE
    from stratus.nlu.onnx_model import META_FILE, MODEL_FILE

    for name in ("DIETClassifier", "ResponseSelector"):
        (floats,) = (trained / "nlu").glob(f"*_{name}")
        (ints,) = (quantized / "nlu").glob(f"*_{name}")
        float_ops = {n.op_type for n in onnx.load(str(floats / MODEL_FILE)).graph.node}
        graph = onnx.load(str(ints / MODEL_FILE)).graph
        int_ops = {n.op_type for n in graph.node}
        assert not float_ops & INT8_OPS and int_ops & INT8_OPS, name
        # No int8 weight is turned back into float32 whole on every run (DIET's position
        # table, read by a Gather and a Slice, stays float32).
        weights = {w.name for w in graph.initializer}
        assert not [
            n.name for n in graph.node if n.op_type == "DequantizeLinear" and n.input[0] in weights
        ], name
        assert (ints / MODEL_FILE).stat().st_size < (floats / MODEL_FILE).stat().st_size
        # the sparse input kernel, in numpy: int8 rows and a scale per row
        assert np.load(floats / KERNEL_FILE, mmap_mode="r").dtype == np.float32
        assert np.load(ints / KERNEL_FILE, mmap_mode="r").dtype == np.int8
        assert not (floats / SCALES_FILE).exists() and (ints / SCALES_FILE).exists()
        report = json.loads((ints / META_FILE).read_text())["quantize"]
        assert report["weights"] == "int8" and report["nodes"] >= 1
        assert report["same_label"] == 1.0 and report["max_confidence_change"] < 0.05
    # Parsed as any model: the same predictions as the float32 model on the training texts.
    from stratus.shared.training_data import load_training_data

    examples = load_training_data([quantized.parents[1] / "data"]).nlu.examples
    texts = [e.text for e in examples]
    by_float = Interpreter.load(trained).parse_batch(texts)
    by_int8 = Interpreter.load(quantized).parse_batch(texts)
    right = [
        sum(p["intent"]["name"] == e.intent for p, e in zip(parses, examples))
        for parses in (by_float, by_int8)
    ]
    assert right[1] >= right[0] - 2, right
    result = Interpreter.load(quantized).parse("fly from NYC to Paris")
    found = {(e["value"], e.get("role")) for e in result["entities"]}
    assert found == {("New York", "departure"), ("Paris", "destination")}
    assert read_manifest(quantized).config["pipeline"][5]["quantize"] == "int8"


def test_a_model_with_int8_input_kernels_is_a_format_an_older_engine_refuses(
    trained: Path, quantized: Path
) -> None:
    # A reader of format 1 alone would read the int8 rows as float32 weights.
    from stratus.model.manifest import FORMAT_VERSION, INT8_KERNELS_FORMAT_VERSION

    assert read_manifest(trained).format_version == FORMAT_VERSION == 1
    assert read_manifest(quantized).format_version == INT8_KERNELS_FORMAT_VERSION == 2


def test_the_benchmarks_int8_copy_is_the_model_trained_with_quantize(
    trained: Path, quantized: Path, tmp_path: Path
) -> None:
    """bench/nlu_accuracy.py --int8-copy scores float32 and int8 from one training: its
    copy must be what training with `quantize: int8` ships, file for file."""
    import importlib

    from stratus.model.manifest import INT8_KERNELS_FORMAT_VERSION

    sys.path.insert(0, str(REPO / "bench"))
    try:
        systems = importlib.import_module("nlu_systems")
    finally:
        sys.path.remove(str(REPO / "bench"))
    run = systems.SystemRun([], 1.0, 0, [], {"model_dir": str(trained)})
    texts = ["fly from NYC to Paris", "what is your name?"]
    copy = systems.int8_copy(run, texts, tmp_path)
    model = Path(copy.extra["model_dir"])
    assert model != trained and copy.extra["quantized"] == [
        "05_DIETClassifier",
        "07_ResponseSelector",
    ]
    for name in copy.extra["quantized"]:
        for path in sorted((quantized / "nlu" / name).iterdir()):
            if path.name != "meta.json":  # the trainer's also holds its float/int8 check
                assert (model / "nlu" / name / path.name).read_bytes() == path.read_bytes(), path
    manifest = read_manifest(model)
    assert not verify_files(model, manifest)
    assert manifest.format_version == INT8_KERNELS_FORMAT_VERSION
    assert manifest.config == read_manifest(quantized).config
    assert read_manifest(trained).config["pipeline"][5].get("quantize") is None  # untouched
    int8 = Interpreter.load(quantized)
    by_trained = [int8.parse(t) for t in texts]  # one at a time, as the copy was parsed
    assert copy.parses == json.loads(json.dumps(by_trained))
    assert len(copy.latencies_ms) == len(texts)


def test_intent_message_bypasses_the_model(interpreter: Interpreter) -> None:
    result = interpreter.parse('/book_flight{"city": "Rome"}')
    assert result["intent"] == {"name": "book_flight", "confidence": 1.0}
    assert result["entities"] == [
        {
            "entity": "city",
            "value": "Rome",
            "start": 12,
            "end": 28,
            "extractor": "RegexMessageHandler",
        }
    ]


def test_naughty_strings_always_give_a_parse_result(interpreter: Interpreter) -> None:
    strings = json.loads(NAUGHTY.read_text())
    strings += ["", "   ", "x" * 100_000, "word " * 20_000, "\u200b\u200d", "مرحبا بالعالم"]
    results = interpreter.parse_batch(strings)
    for text, result in zip(strings, results):
        assert result["text"] == text
        assert result["intent"]["name"] is not None
        assert isinstance(result["entities"], list)
        for entity in result["entities"]:
            assert 0 <= entity["start"] <= entity["end"] <= len(text)


def test_batch_and_single_parses_agree(interpreter: Interpreter) -> None:
    texts = ["hi", "fly from Berlin to Rome tomorrow morning please", "I am sad", "bye"]
    batch = interpreter.parse_batch(texts)
    for text, result in zip(texts, batch):
        single = interpreter.parse(text)
        assert single["intent"]["name"] == result["intent"]["name"]
        assert single["intent"]["confidence"] == pytest.approx(
            result["intent"]["confidence"], abs=1e-5
        )


def test_tensorflow_and_onnx_agree(trained: Path, tmp_path: Path) -> None:
    """Retrain the DIET network briefly and compare TF with the engine's model on fresh
    inputs (the sparse input layer in numpy, the rest in onnxruntime)."""
    from stratus.nlu.features import build_inputs
    from stratus.nlu.onnx_model import OnnxModel
    from stratus_train.embedding_trainer import export_network, make_training_set, train_network
    from stratus_train.network import TaskSpec

    interpreter = Interpreter.load(trained)
    diet = next(c for c in interpreter.components if c.name == "DIETClassifier")
    assert diet.model is not None
    layout = diet.model.layout
    texts = ["fly from Berlin to Rome", "hello", "a much longer message about flights to Paris"]
    messages = _featurized(interpreter, texts)
    spec = TaskSpec(["a", "b"], np.eye(2, dtype=np.float32), {"entity": ["O", "U-x"]})
    config = dict(diet.config, epochs=2, random_seed=1)
    data = make_training_set(
        messages, layout, [0, 1, 0], {"entity": [[0] * len(m.tokens) for m in messages]}
    )
    net = train_network(config, layout, spec, data, "check", lambda _: None)
    export_network(net, tmp_path, {}, [])
    model = OnnxModel(tmp_path)
    # Later batches repeat earlier words: the engine's per-word vectors are reused.
    for batch in (messages[:1], messages, _featurized(interpreter, ["fly to Rome"])):
        expected = net.outputs(build_inputs(batch, layout, 512), training=False)
        got = model.run(batch)
        assert set(got) >= set(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value.numpy(), atol=1e-4)


def _featurized(interpreter: Interpreter, texts: list[str]) -> list[Message]:
    messages = [Message(t) for t in texts]
    for component in interpreter.components:
        if component.name in (
            "WhitespaceTokenizer",
            "RegexFeaturizer",
            "LexicalSyntacticFeaturizer",
            "CountVectorsFeaturizer",
        ):
            component.process(messages)
    return messages


def test_models_with_the_sparse_layer_in_their_graph_still_parse(
    trained: Path, tmp_path: Path
) -> None:
    """Models exported before 2026-12-06 compute the sparse input layer in the graph, from
    (ids, values) cells: the engine still feeds them those, with the same results."""
    import onnx
    from onnx import compose

    from stratus.nlu.features import SENT_IDS, SENT_IN, SENT_VALS, SEQ_IDS, SEQ_IN, SEQ_VALS
    from stratus.nlu.input_layer import BIASES_FILE, KERNEL_FILE
    from stratus_train.onnx_graph import OnnxGraph, float_tensor, int64_tensor

    old = tmp_path / "old"
    shutil.copytree(trained, old)
    converted: list[str] = []
    for directory in [d for d in (old / "nlu").iterdir() if (d / KERNEL_FILE).exists()]:
        model = onnx.load(str(directory / "model.onnx"))
        g = OnnxGraph()
        biases = np.load(directory / BIASES_FILE)
        units = len(biases["seq"])
        kernels = np.split(np.load(directory / KERNEL_FILE), [units], axis=1)
        for ids, values, name, kernel, bias in (
            (SEQ_IDS, SEQ_VALS, SEQ_IN, kernels[0], "seq"),
            (SENT_IDS, SENT_VALS, SENT_IN, kernels[1], "sent"),
        ):
            rows = g.op("Gather", [g.const(kernel, "w"), ids], axis=0)
            axis = g.ints([-2])
            bag = g.op("MatMul", [g.op("Unsqueeze", [values, axis]), rows])
            g.output("Add", [g.op("Squeeze", [bag, axis]), g.const(biases[bias], "b")], name)
        prefix = g.model(
            "sparse",
            [
                int64_tensor(SEQ_IDS, ["batch", "tokens", "seq_cells"]),
                float_tensor(SEQ_VALS, ["batch", "tokens", "seq_cells"]),
                int64_tensor(SENT_IDS, ["batch", "sent_cells"]),
                float_tensor(SENT_VALS, ["batch", "sent_cells"]),
            ],
            [
                float_tensor(SEQ_IN, ["batch", "tokens", units]),
                float_tensor(SENT_IN, ["batch", units]),
            ],
        )
        prefix = compose.add_prefix(prefix, "sparse_", rename_inputs=False, rename_outputs=False)
        wanted = {i.name for i in model.graph.input} & {SEQ_IN, SENT_IN}
        merged = compose.merge_models(prefix, model, io_map=[(n, n) for n in sorted(wanted)])
        assert {SEQ_IDS, SENT_IDS} <= {i.name for i in merged.graph.input}
        onnx.save(merged, str(directory / "model.onnx"))
        converted.append(directory.name)
        for name in (KERNEL_FILE, BIASES_FILE):
            (directory / name).unlink()
    assert any(name.endswith("DIETClassifier") for name in converted), converted
    texts = ["hi", "fly from Berlin to Rome tomorrow morning please", "I am sad", ""]
    for now, before in zip(
        Interpreter.load(trained).parse_batch(texts), Interpreter.load(old).parse_batch(texts)
    ):
        assert now["intent"]["name"] == before["intent"]["name"]
        assert now["intent"]["confidence"] == pytest.approx(
            before["intent"]["confidence"], abs=1e-5
        )
        assert [e["value"] for e in now["entities"]] == [e["value"] for e in before["entities"]]


@pytest.mark.parametrize("hidden", [[], [32, 16]])
def test_training_inputs_compute_what_the_exported_graph_computes(
    trained: Path, hidden: list[int]
) -> None:
    """Training feeds flat sparse cells and runs the hidden layers and the transformer on
    real tokens only (`packed`); with dropout off that must equal the padded form that is
    exported."""
    from stratus.nlu.features import build_inputs
    from stratus_train.embedding_trainer import make_training_set
    from stratus_train.network import DietNetwork, TaskSpec

    interpreter = Interpreter.load(trained)
    diet = next(c for c in interpreter.components if c.name == "DIETClassifier")
    assert diet.model is not None
    layout = diet.model.layout
    texts = ["fly from Berlin to Rome", "hello", "", "a much longer message about flights"]
    messages = _featurized(interpreter, texts)
    spec = TaskSpec(["a", "b"], np.eye(2, dtype=np.float32), {"entity": ["O", "U-x"]})
    config = dict(diet.config, hidden_layers_sizes={"text": hidden, "label": []})
    net = DietNetwork(config, layout, spec, np.random.default_rng(0))
    assert len(net.text_ffnn.dense) == len(hidden)
    data = make_training_set(
        messages, layout, [0, 1, 0, 1], {"entity": [[0] * len(m.tokens) for m in messages]}
    )
    padded = net.outputs(build_inputs(messages, layout, 512), training=False)
    rows: list[int] = []  # what the hidden layers are given when packed
    hidden_layers = net.text_ffnn.call
    net.text_ffnn.call = lambda x, **kw: rows.append(int(x.shape[0])) or hidden_layers(x, **kw)
    flat = net.outputs(data.batch(np.arange(len(messages))), training=False, packed=True)
    # [CLS] and the real tokens of each message: no padding
    assert rows == [sum(1 + min(len(m.tokens), 512) for m in messages)]
    mask = build_inputs(messages, layout, 512)["mask"]
    for key, value in padded.items():
        got = flat[key].numpy()
        if got.ndim == 3:  # token outputs: padding positions differ and are never read
            got, value = got * mask[..., None], value.numpy() * mask[..., None]
        np.testing.assert_allclose(got, np.asarray(value), atol=1e-4)


def test_tensorflow_is_never_imported_when_parsing(trained: Path) -> None:
    result, imported = parse_in_fresh_process(trained, "fly from Berlin to Rome")
    assert result["intent"]["name"], result
    assert imported == []


def test_model_option_accepts_a_folder_of_models(trained: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    older = folder / "older"
    shutil.copytree(trained, older)
    manifest_path = older / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["trained_at"] = "2000-01-01T00:00:00+00:00"
    manifest_path.write_text(json.dumps(data))
    shutil.copytree(trained, folder / "newer")
    assert resolve_model_dir(folder) == folder / "newer"
    assert Interpreter.load(folder).model_dir == folder / "newer"


def test_cli_parse_prints_the_parse_result(trained: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "stratus.cli.main",
            "parse",
            "--model",
            str(trained.parent),
            "hello there",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["intent"]["name"] == "greet"


KEYWORD_CONFIG = """\
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
"""


def test_training_is_skipped_when_nothing_changed(tmp_path: Path) -> None:
    from stratus_train.train import train

    project = make_project(tmp_path / "p", KEYWORD_CONFIG)
    out = project / "models"
    first = train(project, out=out, progress=lambda _: None)
    again = train(project, out=out, progress=lambda _: None)
    assert not first.skipped and again.skipped and again.model_dir == first.model_dir
    forced = train(project, out=out, force=True, progress=lambda _: None)
    assert not forced.skipped and forced.model_dir != first.model_dir
    (project / "data" / "extra.yml").write_text(EXTRA_NLU.replace("what is your name?", "name?"))
    changed = train(project, out=out, progress=lambda _: None)
    assert not changed.skipped
    assert resolve_model_dir(out) == changed.model_dir
    assert Interpreter.load(out).parse("yes")["intent"] == {"name": "affirm", "confidence": 1.0}


def test_cli_train_skips_without_importing_training_code(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", KEYWORD_CONFIG)
    cmd = [
        sys.executable,
        "-m",
        "stratus.cli.main",
        "train",
        "--project",
        str(project),
        "--out",
        str(project / "models"),
    ]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "Nothing changed" in out.stdout


def test_misaligned_annotation_is_named_at_training(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from stratus_train.train import train

    project = make_project(tmp_path / "p", KEYWORD_CONFIG)
    (project / "data" / "bad.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: book_flight\n  examples: |\n'
        '    - fly to [Ber]{"entity": "city"}lin now\n'
    )
    with caplog.at_level("WARNING"):
        train(project, out=project / "models", progress=lambda _: None)
    assert any("bad.yml:5" in r.getMessage() and "'Ber'" in r.getMessage() for r in caplog.records)
