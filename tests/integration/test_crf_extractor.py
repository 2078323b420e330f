"""CRFEntityExtractor: trained with Rasa's CRFsuite on Rasa's features, served from its
weights with numpy (CRFsuite's marginals, never CRFsuite itself)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from flights import FLIGHT_EXAMPLES
from fresh_parse import TRAINING_MODULES, parse_in_fresh_process

from stratus.nlu.crf_extractor import CRFEntityExtractor, attributes, crf_tokens, token_features
from stratus.nlu.interpreter import Interpreter
from stratus.nlu.message import Message

pycrfsuite = pytest.importorskip("pycrfsuite")
pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
MOODBOT = SHARED / "rasa-examples" / "moodbot"
FLIGHTS = (
    """\
version: "3.1"
nlu:
- intent: book_flight
  examples: |
"""
    + FLIGHT_EXAMPLES
    + """    - book [2](seats) seats from [Oslo]{"entity": "city", "role": "departure"} to [Rome]{"entity": "city", "role": "destination"}
    - [3](seats) seats to [Paris]{"entity": "city", "role": "destination"} please
- regex: seats
  examples: |
    - \\d+
"""
)
CONFIG = """\
recipe: default.v1
assistant_id: crf_test
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: CountVectorsFeaturizer
  - name: KeywordIntentClassifier
  - name: CRFEntityExtractor
  - name: EntitySynonymMapper
"""


def train_project(root: Path, config: str = CONFIG) -> Path:
    from stratus_train.train import train

    (root / "data").mkdir(parents=True)
    shutil.copy(MOODBOT / "data" / "nlu.yml", root / "data" / "nlu.yml")
    (root / "data" / "flights.yml").write_text(FLIGHTS)
    (root / "config.yml").write_text(config)
    (root / "domain.yml").write_text('version: "3.1"\n')
    return train(root, out=root / "models", progress=lambda _: None, nlu_only=True).model_dir


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_project(tmp_path_factory.mktemp("crf"))


def test_entities_roles_and_synonyms_come_back_in_rasas_shape(model: Path) -> None:
    interpreter = Interpreter.load(model)
    parse = interpreter.parse("fly from Oslo to Berlin")
    found = [(e["entity"], e["value"], e.get("role")) for e in parse["entities"]]
    assert found == [("city", "Oslo", "departure"), ("city", "Berlin", "destination")]
    entity = parse["entities"][0]
    assert entity["extractor"] == "CRFEntityExtractor"
    assert (entity["start"], entity["end"]) == (9, 13)
    assert 0.5 < entity["confidence_entity"] <= 1.0 and 0.5 < entity["confidence_role"] <= 1.0
    nyc = interpreter.parse("travel from NYC to Rome")["entities"][0]
    assert nyc["value"] == "New York" and nyc["processors"] == ["EntitySynonymMapper"]
    assert interpreter.parse("hello there")["entities"] == []


def test_served_marginals_are_crfsuites(model: Path) -> None:
    """CRFsuite's own marginals, from a model trained here with Rasa's settings on the
    features and gold tags the engine computes, against the exported model's: checks the
    features' attribute names, the export and the forward-backward together."""
    from stratus.nlu.entity_tags import ENTITY, annotation_tags
    from stratus.shared.training_data.files import load_training_data

    interpreter = Interpreter.load(model)
    extractor = next(c for c in interpreter.components if isinstance(c, CRFEntityExtractor))
    windows = extractor.config["features"]

    def featurized(message: Message) -> list[dict[str, object]]:
        for component in interpreter._rest:
            if component is extractor:
                break
            component.process([message])
        tokens = crf_tokens(message, extractor.pattern_names, None)
        return token_features(tokens, windows, with_entity=False)

    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
    trainer.set_params(
        {"c1": 0.1, "c2": 0.1, "max_iterations": 50, "feature.possible_transitions": True}
    )
    data = load_training_data([model.parent.parent / "data"])
    for example in data.nlu.examples:
        message = interpreter._prepared(example.text)
        message.example = example
        features = featurized(message)
        trainer.append(features, annotation_tags(message.tokens, example, ENTITY, True))
    trainer.train(str(model.parent.parent / "entity.crfsuite"))
    crfsuite = pycrfsuite.Tagger()
    crfsuite.open(str(model.parent.parent / "entity.crfsuite"))
    served = extractor.taggers[ENTITY]
    assert served.labels == crfsuite.labels()
    for text in ["fly from Oslo to Berlin", "book 4 seats to Rome", "good morning", "I am sad"]:
        features = featurized(interpreter._prepared(text))
        # python-crfsuite's own conversion of a token's features into attributes
        (item, *_) = pycrfsuite.ItemSequence(features[-1:]).items()
        assert sorted(item.items()) == sorted(attributes(features[-1]))
        crfsuite.set(features)
        expected = [
            [crfsuite.marginal(label, t) for label in served.labels] for t in range(len(features))
        ]
        # the model dump CRFsuite exports from rounds weights to six decimals
        np.testing.assert_allclose(served.marginals(features), expected, atol=1e-4)


def test_rasas_fixture_configs_train(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config_dir = SHARED / "rasa-fixtures" / "test_config"
    # Rasa's own CRF configs: custom feature windows, and no featurizer at all.
    model = train_project(
        tmp_path / "custom", (config_dir / "config_crf_no_pattern_feature.yml").read_text()
    )
    parse = Interpreter.load(model).parse("fly from Oslo to Berlin")
    assert [e["value"] for e in parse["entities"]] == ["Oslo", "Berlin"]
    caplog.set_level(logging.WARNING)
    model = train_project(tmp_path / "bare", (config_dir / "config_crf_no_regex.yml").read_text())
    assert "add a featurizer" in caplog.text  # Rasa's CRF learns only from featurized messages
    assert Interpreter.load(model).parse("fly from Oslo to Berlin")["entities"] == []


def test_crfsuite_is_never_imported_when_parsing(model: Path) -> None:
    watched = (*TRAINING_MODULES, "pycrfsuite", "sklearn")
    result, imported = parse_in_fresh_process(model, "fly from Oslo to Rome", watched)
    assert [e["value"] for e in result["entities"]] == ["Oslo", "Rome"], result
    assert imported == []


def test_misaligned_annotations_are_left_out_as_rasa_leaves_them() -> None:
    from stratus.nlu.tokenizers import WhitespaceTokenizer
    from stratus.shared.training_data.message import EntityAnnotation, NluExample
    from stratus_train.crf_extractor import aligned

    example = NluExample(
        "fly to Berlin-Mitte from Oslo",
        "book_flight",
        (
            EntityAnnotation(start=7, end=13, value="Berlin", entity="city"),  # inside a token
            EntityAnnotation(start=25, end=29, value="Oslo", entity="city"),
        ),
    )
    message = Message(example.text)
    WhitespaceTokenizer(WhitespaceTokenizer.defaults).process([message])
    kept = aligned(message.tokens, example)
    assert [a.value for a in kept.entities] == ["Oslo"]
    from stratus.nlu.entity_tags import ENTITY, annotation_tags

    # Rasa's BILOU tags for it: the misaligned one's token is "O"
    assert annotation_tags(message.tokens, kept, ENTITY, True) == ["O", "O", "O", "O", "U-city"]
