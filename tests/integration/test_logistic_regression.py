"""LogisticRegressionClassifier: trained with Rasa's scikit-learn estimator, served from its
coefficients with numpy (scikit-learn's `predict_proba`, never scikit-learn itself)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from fresh_parse import TRAINING_MODULES, parse_in_fresh_process

from stratus.nlu.interpreter import Interpreter
from stratus.nlu.logistic_regression import LogisticRegressionClassifier
from stratus.nlu.message import Message

pytest.importorskip("sklearn")
pytestmark = pytest.mark.slow

MOODBOT = Path(__file__).resolve().parents[2].parent / "shared" / "rasa-examples" / "moodbot"
CONFIG = """\
recipe: default.v1
assistant_id: lr_test
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: LogisticRegressionClassifier
    ranking_length: %d
"""


def train_project(root: Path, nlu: str | None = None, ranking_length: int = 0) -> Path:
    from stratus_train.train import train

    (root / "data").mkdir(parents=True)
    if nlu is None:
        shutil.copy(MOODBOT / "data" / "nlu.yml", root / "data" / "nlu.yml")
    else:
        (root / "data" / "nlu.yml").write_text(nlu)
    (root / "config.yml").write_text(CONFIG % ranking_length)
    (root / "domain.yml").write_text('version: "3.1"\n')
    result = train(root, out=root / "models", progress=lambda _: None, nlu_only=True)
    return result.model_dir


@pytest.fixture(scope="module")
def moodbot_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_project(tmp_path_factory.mktemp("lr"))


def _sklearn_fit(interpreter: Interpreter, texts: list[str], intents: list[str]) -> object:
    """Rasa's estimator fitted here on the messages' sentence features."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    classifier = interpreter.components[-1]
    assert isinstance(classifier, LogisticRegressionClassifier)
    rows = [classifier.features(m) for m in featurized(interpreter, texts)]
    width = classifier.layout.sparse_dim
    x = csr_matrix(
        (
            [v for _, values, _ in rows for v in values],
            (
                [i for i, (cols, _, _) in enumerate(rows) for _ in cols],
                [c for cols, _, _ in rows for c in cols],
            ),
        ),
        shape=(len(rows), width),
    )
    estimator = LogisticRegression(class_weight="balanced", random_state=42, max_iter=100)
    return estimator.fit(x, intents), x


def featurized(interpreter: Interpreter, texts: list[str]) -> list[Message]:
    messages = [interpreter._prepared(t) for t in texts]
    for component in interpreter._rest[:-1]:  # everything before the classifier
        component.process(messages)
    return messages


def test_served_probabilities_are_scikit_learns(moodbot_model: Path) -> None:
    import yaml

    interpreter = Interpreter.load(moodbot_model)
    texts, intents = [], []
    for item in yaml.safe_load((MOODBOT / "data" / "nlu.yml").read_text())["nlu"]:
        for line in item["examples"].splitlines():
            if line.strip().startswith("- "):
                texts.append(line.strip()[2:])
                intents.append(item["intent"])
    estimator, x = _sklearn_fit(interpreter, texts, intents)
    expected = estimator.predict_proba(x)  # type: ignore[attr-defined]
    classes = list(estimator.classes_)  # type: ignore[attr-defined]
    parses = [interpreter.parse(t) for t in texts]
    for parse, want in zip(parses, expected):
        ranking = parse["intent_ranking"]
        # ranking_length 0: every intent, most likely first, summing to one
        assert [r["confidence"] for r in ranking] == sorted(
            (r["confidence"] for r in ranking), reverse=True
        )
        got = {r["name"]: r["confidence"] for r in ranking}
        assert sorted(got) == classes
        np.testing.assert_allclose([got[c] for c in classes], want, rtol=1e-5, atol=1e-7)
        assert parse["intent"] == ranking[0]
    accuracy = np.mean([p["intent"]["name"] == i for p, i in zip(parses, intents)])
    assert accuracy > 0.9
    json.dumps(parses)  # plain floats: the parse result is JSON as it stands


def test_two_intents_use_the_binary_model_and_one_intent_predicts_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    two = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: goodbye
  examples: |
    - bye
    - see you later
    - good night
"""
    model = train_project(tmp_path / "two", two, ranking_length=1)
    parse = Interpreter.load(model).parse("hello there")
    assert parse["intent"]["name"] == "greet"
    assert len(parse["intent_ranking"]) == 1  # ranking_length
    assert 0.5 < parse["intent"]["confidence"] < 1.0
    one = two.split("- intent: goodbye")[0]
    caplog.set_level(logging.WARNING)
    model = train_project(tmp_path / "one", one)
    assert "needs at least 2 intents" in caplog.text
    parse = Interpreter.load(model).parse("hello")
    assert parse["intent"] == {"name": None, "confidence": 0.0}
    assert parse["intent_ranking"] == []


def test_scikit_learn_is_never_imported_when_parsing(moodbot_model: Path) -> None:
    watched = (*TRAINING_MODULES, "sklearn", "scipy")
    result, imported = parse_in_fresh_process(moodbot_model, "i am very sad", watched)
    assert result["intent"]["name"] == "mood_unhappy", result
    assert imported == []
