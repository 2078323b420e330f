"""UnexpecTEDIntentPolicy training: TED's network scoring the next user intent, the
per-intent thresholds, exported to ONNX.

As Rasa 3.6 (IntentMaxHistoryTrackerFeaturizer + IntentTED): one example per user message
of each story, the states before the message (the last `max_history`), labelled with every
intent that follows those same states somewhere in the stories. The network is TED's
(ted.py); its dialogue embedding is compared with a learned embedding per intent, trained
with a sigmoid cross-entropy per intent (Rasa samples 20 negative intents; here all count).
Then every intent that labels an example gets its thresholds from the similarities of the
training examples, as Rasa's `_compute_label_quantiles`: quantiles (1.0, 0.95, ... 0.05)
of its scores where it did not follow, none above its lowest score where it did;
`tolerance` picks one. The similarities are taken from the exported ONNX graph, the one
that serves, so a training story's own turn can never fall below its threshold.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stratus.core.policies.prediction import UNLIKELY_INTENT_POLICY_PRIORITY
from stratus.core.policies.states import (
    State,
    past_states,
    remove_user_text_if_intent,
    slice_history,
    states_key,
    without_action_unlikely_intent,
)
from stratus.core.policies.ted import SIMILARITIES, TURN_MASK, TURNS
from stratus.core.policies.ted_features import TedFeaturizer
from stratus.core.policies.unexpected_intent import (
    UNEXPECTED_INTENT_META_FILE,
    UNEXPECTED_INTENT_MODEL_FILE,
)
from stratus.core.story_graph import TrainingTracker
from stratus.shared.domain import Domain
from stratus.shared.events import ActionExecuted, Event, UserUttered
from stratus_train.backend import tf
from stratus_train.core.examples import is_action_unlikely_intent
from stratus_train.core.ted import TED_DEFAULTS, TedNetwork, seeded_rng, ted_config, train_network
from stratus_train.core.ted_onnx import export_similarities
from stratus_train.threads import use_training_threads

Progress = Callable[[str], None]
NAME = "UnexpecTEDIntentPolicy"
# Rasa 3.6's UnexpecTEDIntentPolicy defaults, for the options this implementation uses.
UNEXPECTED_INTENT_TRAIN_DEFAULTS: dict[str, Any] = {
    **{
        k: v
        for k, v in TED_DEFAULTS.items()
        if k not in ("constrain_similarities", "model_confidence", "renormalize_confidences")
    },
    "ranking_length": 10,
    "priority": UNLIKELY_INTENT_POLICY_PRIORITY,
    "tolerance": 0.0,
    "ignore_intents_list": [],
}
# Rasa's quantiles: one per 5 % of tolerance, 1.0 (tolerance 0) down to 0.05.
QUANTILES = [1 - step / 100.0 for step in range(0, 100, 5)]


def unexpected_intent_config(options: dict[str, Any]) -> dict[str, Any]:
    """The filled config (option values are checked in options.py)."""
    return ted_config({**UNEXPECTED_INTENT_TRAIN_DEFAULTS, **options})


def _usable(events: Sequence[Event]) -> bool:
    """Rasa's `_get_trackers_for_training`: every message has an intent, every bot turn
    an action name (end-to-end texts cannot be labels or featurized here)."""
    for event in events:
        if isinstance(event, UserUttered) and not event.intent_name:
            return False
        if isinstance(event, ActionExecuted) and not event.action_name:
            return False
    return True


def intent_examples(
    trackers: Sequence[TrainingTracker], domain: Domain, max_history: int | None
) -> tuple[list[list[State]], list[set[str]]]:
    """The distinct histories before a user message in the stories, each with the set of
    intents that follow it."""
    found: dict[str, tuple[list[State], set[str]]] = {}
    for tracker in (t for t in trackers if not t.is_rule):
        live = tracker.tracker(domain)
        events = live.applied_events()
        if not _usable(events):
            continue
        states = without_action_unlikely_intent(past_states(live, domain))
        remove_user_text_if_intent(states)
        actions = 0
        for event in events:
            if isinstance(event, ActionExecuted) and not is_action_unlikely_intent(event):
                actions += 1
            elif isinstance(event, UserUttered) and event.intent_name:
                history = slice_history(states[:actions], max_history)
                key = states_key(history)
                if key not in found:
                    found[key] = (copy.deepcopy(history), set())
                found[key][1].add(event.intent_name)
    histories = [history for history, _ in found.values()]
    return histories, [labels for _, labels in found.values()]


def _sigmoid_loss(targets: tf.Tensor, scores: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=scores))


def fit_unexpected_intent(
    trackers: Sequence[TrainingTracker],
    domain: Domain,
    options: dict[str, Any],
    progress: Progress = print,
) -> tuple[TedNetwork, TedFeaturizer, list[list[State]], list[set[str]], dict[str, Any]]:
    """Trains the network on the stories; returns it with its featurizer (whose intents
    are the labels), the training histories, their intents and the filled config."""
    use_training_threads()
    config = unexpected_intent_config(options)
    max_history = int(config["max_history"]) if config.get("max_history") else None
    histories, labels = intent_examples(trackers, domain, max_history)
    featurizer = TedFeaturizer.for_domain(domain)
    intents = {name: i for i, name in enumerate(featurizer.intents)}
    targets = np.zeros((len(histories), len(intents)), np.float32)
    for row, names in enumerate(labels):
        targets[row, [intents[n] for n in names if n in intents]] = 1.0
    rng = seeded_rng(config)
    net = TedNetwork(config, len(intents))
    turns, mask = featurizer.encode(histories or [[{}]])
    net.scores(turns[:1], mask[:1])  # build
    if histories:
        train_network(net, config, (turns, mask, targets), _sigmoid_loss, rng, progress, NAME)
    return net, featurizer, histories, labels, config


def label_quantiles(
    similarities: np.ndarray, labels: Sequence[set[str]], intents: Sequence[str]
) -> dict[str, list[float]]:
    """Per intent that labels some example: the quantiles of its similarity over the
    examples it does not label, none above its lowest similarity where it does."""
    quantiles: dict[str, list[float]] = {}
    for index, intent in enumerate(intents):
        positive = [
            float(similarities[row, index]) for row, names in enumerate(labels) if intent in names
        ]
        if not positive:
            continue
        negative = [
            float(similarities[row, index])
            for row, names in enumerate(labels)
            if intent not in names
        ]
        lowest = min(positive)
        if negative:
            values = np.quantile(np.asarray(negative), QUANTILES, method="lower")
            quantiles[intent] = [min(lowest, float(v)) for v in values]
        else:
            quantiles[intent] = [lowest] * len(QUANTILES)
    return quantiles


def pick_thresholds(quantiles: dict[str, list[float]], tolerance: float) -> dict[str, float]:
    """Rasa's `_pick_thresholds`: the quantile `tolerance` points at."""
    return {
        intent: values[min(int(tolerance * len(values)), len(values) - 1)]
        for intent, values in quantiles.items()
    }


def onnx_similarities(
    path: Path, featurizer: TedFeaturizer, histories: Sequence[Sequence[State]]
) -> np.ndarray:
    """[examples, intents] from the exported graph, each history run unpadded as it is
    served (histories of one length share a batch)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = np.zeros((len(histories), len(featurizer.intents)), np.float32)
    by_length: dict[int, list[int]] = {}
    for row, history in enumerate(histories):
        by_length.setdefault(len(history), []).append(row)
    for rows in by_length.values():
        turns, mask = featurizer.encode([histories[r] for r in rows])
        out[rows] = session.run([SIMILARITIES], {TURNS: turns, TURN_MASK: mask})[0]
    return out


def train_unexpected_intent(
    trackers: Sequence[TrainingTracker],
    domain: Domain,
    options: dict[str, Any],
    directory: Path,
    progress: Progress = print,
) -> dict[str, Any]:
    """Trains on the story trackers, writes `directory/model.onnx` and `meta.json` (config,
    featurizer, thresholds); returns the metadata (with the TF/ONNX difference)."""
    started = time.perf_counter()
    net, featurizer, histories, labels, config = fit_unexpected_intent(
        trackers, domain, options, progress
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / UNEXPECTED_INTENT_MODEL_FILE
    check = histories[:64]
    turns, mask = featurizer.encode(check) if check else (np.zeros((0, 1, 1)), np.zeros((0, 1)))
    difference = export_similarities(net, featurizer.dimension, path, turns, mask, NAME)
    similarities = onnx_similarities(path, featurizer, histories)
    quantiles = label_quantiles(similarities, labels, featurizer.intents)
    meta = {
        "config": config,
        "featurizer": featurizer.as_dict(),
        "thresholds": pick_thresholds(quantiles, float(config["tolerance"])),
        "label_quantiles": quantiles,
        "examples": len(histories),
        "seconds": round(time.perf_counter() - started, 3),
        "onnx_max_difference": difference,
    }
    (directory / UNEXPECTED_INTENT_META_FILE).write_text(
        json.dumps(meta, indent=1, sort_keys=True), "utf-8"
    )
    return meta
