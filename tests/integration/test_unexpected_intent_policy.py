"""UnexpecTEDIntentPolicy: trained with Rasa's default policies on moodbot, exported to
ONNX, and predicting `action_unlikely_intent` in conversations as Rasa 3.6 does."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stratus.core.nlg import TemplatedNaturalLanguageGenerator
from stratus.core.policies import PolicyEnsemble, UnexpecTEDIntentPolicy
from stratus.core.policies.unexpected_intent import intent_prediction_states
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.core.story_graph import generate_trackers
from stratus.core.testing.replay import StoryReplayer
from stratus.core.testing.runner import story_trackers, write_results
from stratus.core.trackers import new_tracker
from stratus.shared.config import DEFAULT_POLICIES, config_from_dict
from stratus.shared.events import ActionExecuted, UserUttered
from stratus.shared.exceptions import ConfigError
from stratus.shared.project import Project, ProjectPaths, load_project
from stratus.shared.training_data.files import load_training_data
from stratus.stores import SQLiteTrackerStore
from stratus_train.core import train_core
from stratus_train.core.ted_onnx import export_similarities
from stratus_train.core.unexpected_intent import fit_unexpected_intent

pytestmark = pytest.mark.slow
MOODBOT = Path(__file__).resolve().parents[2].parent / "shared" / "rasa-examples" / "moodbot"
UNLIKELY = "action_unlikely_intent"
# moodbot's stories (the rules are not training data for this policy)
STORY_INTENTS = {"greet", "mood_great", "mood_unhappy", "affirm", "deny"}


def _moodbot() -> Project:
    if not MOODBOT.is_dir():
        pytest.fail(f"{MOODBOT} is missing: clone the repository next to shared/")
    return load_project(ProjectPaths.discover(MOODBOT))


def _train(project: Project, model: Path, policies: list[dict[str, Any]]) -> PolicyEnsemble:
    config = config_from_dict({"policies": policies}, "config.yml")
    domain = project.training_domain()
    train_core(
        domain, project.data.stories, project.data.rules, config, model, progress=lambda _: None
    )
    return PolicyEnsemble.load(model / "core", domain)


def _default_policies(**unexpected: Any) -> list[dict[str, Any]]:
    """Rasa's default policies (as `rasa init` leaves them), with fewer epochs."""
    policies = copy.deepcopy(DEFAULT_POLICIES)
    for policy in policies:
        if policy["name"] == "UnexpecTEDIntentPolicy":
            policy.update(epochs=40, random_seed=1, **unexpected)
        elif policy["name"] == "TEDPolicy":
            policy.update(epochs=20, random_seed=1)
    return policies


@pytest.fixture(scope="module")
def moodbot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path, PolicyEnsemble]:
    project = _moodbot()
    model = tmp_path_factory.mktemp("moodbot")
    return project, model, _train(project, model, _default_policies())


def _processor(project: Project, ensemble: PolicyEnsemble, tmp: Path) -> MessageProcessor:
    domain = project.training_domain()
    nlg = TemplatedNaturalLanguageGenerator.for_domain(domain, random.Random(7))
    return MessageProcessor(domain, ensemble, SQLiteTrackerStore(tmp / "t.db"), nlg=nlg)


def _actions(events: list[Any]) -> list[str | None]:
    return [e.action_name for e in events if isinstance(e, ActionExecuted)]


def test_default_policies_train_it_into_the_model(
    moodbot: tuple[Project, Path, PolicyEnsemble],
) -> None:
    _, model, ensemble = moodbot
    core = model / "core"
    assert (core / "unexpected_intent" / "model.onnx").stat().st_size > 0
    meta = json.loads((core / "unexpected_intent" / "meta.json").read_text())
    # every intent a story has gets a threshold, intents only rules use get none
    assert set(meta["thresholds"]) == STORY_INTENTS
    assert meta["config"]["max_history"] == 5 and meta["config"]["tolerance"] == 0.0
    assert meta["onnx_max_difference"] < 1e-4
    policies = json.loads((core / "policies.json").read_text())["policies"]
    assert [p["type"] for p in policies] == [
        "MemoizationPolicy",
        "RulePolicy",
        "UnexpecTEDIntentPolicy",
        "TEDPolicy",
    ]
    unexpected = ensemble.policies[2]
    assert isinstance(unexpected, UnexpecTEDIntentPolicy) and unexpected.priority == 2


def test_an_intent_no_story_has_there_is_flagged_and_the_turn_goes_on(
    moodbot: tuple[Project, Path, PolicyEnsemble], tmp_path: Path
) -> None:
    project, _, ensemble = moodbot
    processor = _processor(project, ensemble, tmp_path)
    # Every story starts with a greeting: "I am sad" as the first message is unexpected.
    events = processor.handle_message(UserMessage("/mood_unhappy", sender_id="sad")).events
    actions = _actions(events)
    assert actions[:3] == ["action_session_start", "action_listen", UNLIKELY]
    flagged = next(e for e in events if isinstance(e, ActionExecuted) and e.action_name == UNLIKELY)
    assert flagged.policy == "UnexpecTEDIntentPolicy" and flagged.confidence == 1.0
    query = flagged.metadata["query_intent"]
    assert query["name"] == "mood_unhappy" and query["score"] < query["threshold"]
    assert query["severity"] == pytest.approx(query["threshold"] - query["score"])
    # then the turn goes on without it: one more answer, then the bot listens
    assert actions[3] not in (UNLIKELY, "action_listen") and actions[-1] == "action_listen"
    assert actions.count(UNLIKELY) == 1


def test_the_stories_own_turns_are_never_flagged(
    moodbot: tuple[Project, Path, PolicyEnsemble], tmp_path: Path
) -> None:
    project, _, ensemble = moodbot
    processor = _processor(project, ensemble, tmp_path)
    for sender, messages in {
        "happy": ["/greet", "/mood_great"],
        "sad": ["/greet", "/mood_unhappy", "/affirm"],
        "sadder": ["/greet", "/mood_unhappy", "/deny"],
    }.items():
        for text in messages:
            result = processor.handle_message(UserMessage(text, sender_id=sender))
            assert UNLIKELY not in _actions(result.events), (sender, text)


def test_only_right_after_a_known_intent(moodbot: tuple[Project, Path, PolicyEnsemble]) -> None:
    project, _, ensemble = moodbot
    domain = project.training_domain()
    policy = ensemble.policies[2]
    unlikely = domain.action_index(UNLIKELY)
    start = [ActionExecuted(action_name="action_listen")]
    sad = UserUttered(text="sad", parse_data={"intent": {"name": "mood_unhappy"}})
    assert policy.predict(new_tracker(domain, "a", [*start, sad]), domain).probabilities[
        unlikely
    ] == (1.0)
    for events in (
        start,  # no message yet
        [*start, sad, ActionExecuted(action_name=UNLIKELY)],  # an action ran since
        [*start, UserUttered(text="??", parse_data={"intent": {"name": "not_in_domain"}})],
        [*start, UserUttered(text="no intent")],
    ):
        prediction = policy.predict(new_tracker(domain, "b", events), domain)
        assert prediction.max_confidence == 0.0 and prediction.action_metadata is None


def test_ignore_intents_list_is_never_flagged(tmp_path: Path) -> None:
    project = _moodbot()
    policies = _default_policies(ignore_intents_list=["mood_unhappy"])
    ensemble = _train(project, tmp_path, policies)
    processor = _processor(project, ensemble, tmp_path)
    sad = processor.handle_message(UserMessage("/mood_unhappy", sender_id="sad")).events
    assert UNLIKELY not in _actions(sad)
    # the other intents still are
    happy = processor.handle_message(UserMessage("/mood_great", sender_id="happy")).events
    assert UNLIKELY in _actions(happy)


def test_onnx_agrees_with_tensorflow_on_what_it_serves(tmp_path: Path) -> None:
    project = _moodbot()
    domain = project.training_domain()
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    options = {"max_history": 5, "epochs": 10, "random_seed": 1}
    net, featurizer, histories, _, config = fit_unexpected_intent(
        trackers, domain, options, progress=lambda _: None
    )
    path = tmp_path / "model.onnx"
    export_similarities(net, featurizer.dimension, path, *featurizer.encode(histories[:1]), "U")
    policy = UnexpecTEDIntentPolicy(featurizer, config, {}, path)
    compared = set()
    for training in (t for t in trackers if not t.is_rule):
        tracker = new_tracker(domain, "t")
        for event in training.tracker(domain).applied_events():
            tracker.update(event)
            if isinstance(event, UserUttered):
                # what serving featurizes is one of the histories the network learned from
                states = intent_prediction_states(tracker, domain, 5)
                assert states in histories
                expected = net.scores(*featurizer.encode([states]), training=False).numpy()[0]
                assert np.max(np.abs(policy.similarities([states])[0] - expected)) < 1e-4
                compared.add(json.dumps(states, sort_keys=True))
    assert len(compared) == len(histories) == 3


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ({"tolerance": 1.5}, "policies[0].tolerance"),
        ({"tolerance": "high"}, "policies[0].tolerance"),
        ({"ignore_intents_list": "greet"}, "policies[0].ignore_intents_list"),
        ({"tolerence": 0.1}, "policies[0].tolerence"),
    ],
)
def test_options_are_checked_before_training(
    tmp_path: Path, option: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _train(_moodbot(), tmp_path, [{"name": "UnexpecTEDIntentPolicy", **option}])
    assert [p.field for p in raised.value.problems] == [field]
    assert not (tmp_path / "core").exists()


def test_stratus_test_core_reports_its_flags_as_warnings(
    moodbot: tuple[Project, Path, PolicyEnsemble], tmp_path: Path
) -> None:
    # As `rasa test core` 3.6: a story the bot follows, except for an
    # `action_unlikely_intent` the story does not have, passes "with warnings".
    project, _, ensemble = moodbot
    domain = project.training_domain()
    processor = _processor(project, ensemble, tmp_path)
    live: dict[str, tuple[list[str | None], float]] = {}
    for intent in ("mood_unhappy", "mood_great"):
        events = processor.handle_message(UserMessage(f"/{intent}", sender_id=intent)).events
        flagged = next(
            e for e in events if isinstance(e, ActionExecuted) and e.action_name == UNLIKELY
        )
        actions = _actions(events)
        # what the bot ran after the flag, up to the closing action_listen
        live[intent] = (
            actions[actions.index(UNLIKELY) + 1 : -1],
            flagged.metadata["query_intent"]["severity"],
        )

    def story(name: str, intent: str, actions: list[str | None]) -> str:
        steps = "".join(f"  - action: {a}\n" for a in actions)
        return f"- story: {name}\n  steps:\n  - intent: {intent}\n{steps}"

    unhappy, great = live["mood_unhappy"][0], live["mood_great"][0]
    wrong = "utter_goodbye" if great[:1] != ["utter_goodbye"] else "utter_greet"
    happy_path = "".join(
        f"  - {step}\n"
        for step in (
            "intent: greet",
            "action: utter_greet",
            "intent: mood_great",
            "action: utter_happy",
        )
    )
    path = tmp_path / "test_stories.yml"
    path.write_text(
        'version: "3.1"\nstories:\n'
        + story("unhappy first", "mood_unhappy", unhappy)
        + story("great first", "mood_great", great)
        + story("great first, wrong answer", "mood_great", [wrong])
        + f"- story: happy path\n  steps:\n{happy_path}"
    )
    trackers = story_trackers(load_training_data([path]).stories, domain)
    replayer = StoryReplayer(domain, ensemble)
    outcomes = [replayer.replay(t, "test_stories.yml") for t in trackers]
    result = write_results(outcomes, tmp_path / "results", plot=False, successes=True)

    assert [s.name for s in result.failed] == ["great first, wrong answer"]
    # the flag came first, then the story's own action was predicted
    assert outcomes[2].actions[0].action == wrong
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text()
    assert f"  - action: {wrong}  # predicted: " in failed
    assert f" after {UNLIKELY}\n" in failed
    warned_intents = {"unhappy first": "mood_unhappy", "great first": "mood_great"}
    by_severity = sorted(warned_intents, key=lambda name: -live[warned_intents[name]][1])
    assert [s.name for s in result.with_warnings] == by_severity
    report = json.loads((tmp_path / "results" / "story_report.json").read_text())
    assert report["conversation_accuracy"] == {
        "accuracy": 0.75,
        "correct": 3,
        "with_warnings": 2,
        "total": 4,
    }
    warned = tmp_path / "results" / "stories_with_warnings.yml"
    assert [s.name for s in load_training_data([warned]).stories] == [
        f"{name} (test_stories.yml)" for name in by_severity
    ]
    # the comment sits on the first action after the user turn (the closing
    # action_listen when the bot only listened)
    first = (unhappy or ["action_listen"])[0]
    assert (
        f"  - intent: mood_unhappy\n  - action: {first}  # predicted: {UNLIKELY}\n"
        in warned.read_text()
    )
    passed = (tmp_path / "results" / "successful_test_stories.yml").read_text()
    assert "- story: happy path (test_stories.yml)\n  steps:\n" + happy_path in passed
    assert passed.count(f"# predicted: {UNLIKELY}") == 2
