"""Fitting LogisticRegressionClassifier: Rasa 3.6's scikit-learn estimator, exported as
plain coefficients for the engine (`stratus.nlu.logistic_regression`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stratus.nlu.component import Component, write_json
from stratus.nlu.features import FeatureLayout
from stratus.nlu.logistic_regression import (
    INTERCEPTS_FILE,
    META_FILE,
    WEIGHTS_FILE,
    LogisticRegressionClassifier,
)
from stratus.nlu.message import Message
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem

if TYPE_CHECKING:
    from stratus_train.neural import NeuralContext

logger = logging.getLogger(__name__)


def train_logistic_regression(
    component: Component, messages: list[Message], directory: Path, ctx: NeuralContext
) -> None:
    """The NEURAL_TRAINERS entry for LogisticRegressionClassifier."""
    assert isinstance(component, LogisticRegressionClassifier)
    config = component.config
    layout = FeatureLayout.of(messages)
    # Rasa's training matrix: the examples with an intent and a text.
    examples = [m for m in messages if m.example and m.example.intent and m.text]
    intents = sorted({m.example.intent for m in examples if m.example and m.example.intent})
    write_json(directory / META_FILE, {"intents": intents, "layout": layout.as_dict()})
    if len(intents) < 2:
        logger.warning(
            "LogisticRegressionClassifier needs at least 2 intents to classify; found %s. "
            "It will not predict intents.",
            intents,
        )
        return
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    ctx.progress(f"    Training LogisticRegressionClassifier on {len(examples)} examples ...")
    shaped = LogisticRegressionClassifier(config, intents, layout)
    rows, columns, values, dense = [], [], [], []
    for i, message in enumerate(examples):
        cols, vals, vector = shaped.features(message)
        rows.extend([i] * len(cols))
        columns.extend(cols)
        values.extend(vals)
        if vector is not None:
            dense.append(vector)
    x = csr_matrix(
        (values, (rows, columns)), shape=(len(examples), layout.sparse_dim), dtype=np.float64
    )
    if dense:
        x = hstack([x, csr_matrix(np.stack(dense))], format="csr")
    y = [m.example.intent for m in examples if m.example]
    try:
        estimator = LogisticRegression(
            # Rasa 3.6's estimator; penalty (L2), C and the multinomial loss of lbfgs are
            # scikit-learn's defaults, left to them so newer releases take the same model.
            solver=config["solver"],
            max_iter=config["max_iter"],
            class_weight="balanced",
            tol=config["tol"],
            random_state=config["random_state"],
            dual=False,
            fit_intercept=True,
            intercept_scaling=1,
            warm_start=False,
        )
        estimator.fit(x, y)
    except (ValueError, TypeError) as e:  # e.g. a solver name scikit-learn does not know
        raise ConfigError(
            Problem(f"LogisticRegressionClassifier cannot be trained: {e}", field="pipeline")
        ) from None
    assert list(estimator.classes_) == intents
    # float32 on disk (half the size; parses sum in float64): probabilities within ~1e-6
    np.save(directory / WEIGHTS_FILE, np.ascontiguousarray(estimator.coef_.T, np.float32))
    np.save(directory / INTERCEPTS_FILE, np.asarray(estimator.intercept_, np.float64))
