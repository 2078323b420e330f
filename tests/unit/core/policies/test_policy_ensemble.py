"""The ensemble: rejection, loop happy paths, end-to-end, confidence and priority."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from policy_helpers import LISTEN, Bot, action, user

from stratus.core.policies import PolicyEnsemble, PolicyPrediction, pick_best
from stratus.shared.config import config_from_dict
from stratus.shared.domain import Domain, domain_from_dict
from stratus.shared.events import (
    ActionExecutionRejected,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    Event,
    LoopInterrupted,
)
from stratus.shared.exceptions import IncompatibleModelError
from stratus_train.core.train import train_core

DOMAIN = domain_from_dict(
    {
        "version": "3.1",
        "intents": ["greet"],
        "responses": {"utter_a": [{"text": "a"}], "utter_b": [{"text": "b"}]},
    }
)


def probabilities(domain: Domain, **scores: float) -> list[float]:
    out = [0.0] * len(domain.action_names_or_texts)
    for name, score in scores.items():
        out[domain.action_index(name)] = score
    return out


class Fixed:
    """A policy that always predicts the same thing."""

    def __init__(self, prediction: PolicyPrediction) -> None:
        self.prediction = prediction
        self.name = str(prediction.policy_name)
        self.priority = prediction.policy_priority

    def predict(self, tracker: object, domain: Domain, history: object = None) -> PolicyPrediction:
        return self.prediction


def fixed(name: str, priority: int, events: Sequence[Event] = (), **scores: float) -> Fixed:
    return Fixed(
        PolicyPrediction(probabilities(DOMAIN, **scores), name, priority, events=list(events))
    )


def test_equal_confidence_goes_to_the_higher_priority() -> None:
    ted = fixed("TEDPolicy", 1, utter_a=1.0)
    memo = fixed("MemoizationPolicy", 3, utter_b=1.0)
    for order in ([ted, memo], [memo, ted]):
        name, prediction = PolicyEnsemble(order).predict_next_action(_tracker(), DOMAIN)
        assert (name, prediction.policy_name) == ("utter_b", "MemoizationPolicy")


def test_higher_confidence_beats_priority() -> None:
    ensemble = PolicyEnsemble(
        [fixed("TEDPolicy", 1, utter_a=0.9), fixed("RulePolicy", 6, action_default_fallback=0.3)]
    )
    assert ensemble.predict_next_action(_tracker(), DOMAIN)[0] == "utter_a"


def test_the_rejected_action_is_zeroed() -> None:
    ensemble = PolicyEnsemble(
        [
            fixed("TEDPolicy", 1, utter_a=0.9, utter_b=0.05),
            fixed("RulePolicy", 6, action_default_fallback=0.3),
        ]
    )
    tracker = _tracker()
    assert ensemble.predict_next_action(tracker, DOMAIN, rejected_action="utter_a")[0] == (
        "action_default_fallback"
    )
    tracker.update(ActionExecutionRejected(action_name="utter_a"))
    assert ensemble.predict_next_action(tracker, DOMAIN)[0] == "action_default_fallback"


def test_loop_happy_path_wins_even_with_lower_confidence() -> None:
    loop = PolicyPrediction(
        probabilities(DOMAIN, utter_a=0.5), "RulePolicy", 6, is_no_user_prediction=True
    )
    other = PolicyPrediction(probabilities(DOMAIN, utter_b=1.0), "MemoizationPolicy", 3)
    assert pick_best([other, loop]).policy_name == "RulePolicy"


def test_end_to_end_predictions_beat_intent_predictions() -> None:
    text = PolicyPrediction(
        probabilities(DOMAIN, utter_a=0.4), "TEDPolicy", 1, is_end_to_end_prediction=True
    )
    intent = PolicyPrediction(probabilities(DOMAIN, utter_b=1.0), "MemoizationPolicy", 3)
    best = pick_best([intent, text])
    assert best.policy_name == "TEDPolicy" and best.is_end_to_end_prediction


def test_events_of_every_policy_are_kept_and_user_featurization_added() -> None:
    interrupted = LoopInterrupted(is_interrupted=True)
    ensemble = PolicyEnsemble(
        [
            fixed("RulePolicy", 6, action_default_fallback=0.3, events=[interrupted]),
            fixed("MemoizationPolicy", 3, utter_b=1.0),
        ]
    )
    tracker = _tracker()
    tracker.update(action(LISTEN))
    tracker.update(user("greet"))
    name, prediction = ensemble.predict_next_action(tracker, DOMAIN)
    assert name == "utter_b"
    assert prediction.events[0] is interrupted
    assert isinstance(prediction.events[-1], DefinePrevUserUtteredFeaturization)
    assert prediction.events[-1].use_text_for_featurization is False
    tracker.update(action("utter_b"))
    _, after_bot = ensemble.predict_next_action(tracker, DOMAIN)
    assert not any(isinstance(e, DefinePrevUserUtteredFeaturization) for e in after_bot.events)


def _tracker():  # type: ignore[no-untyped-def]
    from stratus.core.trackers import new_tracker

    return new_tracker(DOMAIN, "t")


@pytest.fixture(scope="module")
def formbot_core(bot: Callable[[str], Bot], tmp_path_factory: pytest.TempPathFactory) -> Path:
    form = bot("formbot")
    config = config_from_dict(
        {"policies": [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}]}, "config.yml"
    )
    model = tmp_path_factory.mktemp("model")
    train_core(
        form.domain,
        form.project.data.stories,
        form.project.data.rules,
        config,
        model,
        progress=lambda _: None,
    )
    return model / "core"


def test_loaded_ensemble_handles_formbots_unhappy_path(
    bot: Callable[[str], Bot], formbot_core: Path
) -> None:
    form = bot("formbot")
    ensemble = PolicyEnsemble.load(formbot_core, form.domain)
    tracker = form.tracker(
        action(LISTEN),
        user("request_restaurant"),
        action("restaurant_form"),
        ActiveLoop(name="restaurant_form"),
        action(LISTEN),
        user("stop"),
        ActionExecutionRejected(action_name="restaurant_form"),
    )
    name, prediction = ensemble.predict_next_action(tracker, form.domain)
    assert (name, prediction.policy_name) == ("utter_ask_continue", "MemoizationPolicy")
    for event in (action(name), action(LISTEN), user("affirm")):
        tracker.update(event)
    name, prediction = ensemble.predict_next_action(tracker, form.domain)
    assert (name, prediction.policy_name) == ("restaurant_form", "MemoizationPolicy")
    assert any(isinstance(e, LoopInterrupted) for e in prediction.events)


def test_loading_refuses_a_different_domain(formbot_core: Path) -> None:
    with pytest.raises(IncompatibleModelError, match="retrain"):
        PolicyEnsemble.load(formbot_core, DOMAIN)
