"""Training the dialogue policies of Rasa's example bots into a model's `core/` folder,
loading them with onnxruntime and replaying the bots' own stories and rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stratus.core.policies import PolicyEnsemble, TEDPolicy
from stratus.core.policies.states import prediction_states
from stratus.core.story_graph import TrainingTracker, generate_trackers
from stratus.core.trackers import new_tracker
from stratus.shared.config import config_from_dict
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import RULE_SNIPPET_ACTION
from stratus.shared.events import ActionExecuted, ActionExecutionRejected
from stratus.shared.project import Project, ProjectPaths, load_project
from stratus_train.core import train_core, train_core_project
from stratus_train.core.ted import fit_ted
from stratus_train.core.ted_onnx import export_ted

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "rasa-examples"


def example(name: str) -> Project:
    if not EXAMPLES.is_dir():
        pytest.fail(f"{EXAMPLES} is missing: clone the repository next to shared/")
    return load_project(ProjectPaths.discover(EXAMPLES / name))


def replay(ensemble: PolicyEnsemble, training: TrainingTracker, domain: Domain) -> list[str]:
    """Predicts every action of a story as `rasa test` does; returns the mistakes."""
    running = new_tracker(domain, training.name)
    mistakes = []
    first = True
    for event in training.tracker(domain).applied_events():
        if isinstance(event, ActionExecuted) and event.action_name != RULE_SNIPPET_ACTION:
            if not (first or training.is_unpredictable(event)):
                gold = event.action_name or event.action_text
                name, _ = ensemble.predict_next_action(running, domain)
                loop = running.active_loop_name
                if loop and name == loop and gold != loop:
                    # the loop would reject: emulate it, as `rasa test` does
                    running.update(ActionExecutionRejected(action_name=loop))
                    name, _ = ensemble.predict_next_action(running, domain)
                if name != gold:
                    mistakes.append(f"{training.name}: predicted {name}, story says {gold}")
            first = False
        elif isinstance(event, ActionExecuted):
            first = True
        running.update(event)
    return mistakes


@pytest.fixture(scope="module")
def moodbot_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    project = example("moodbot")
    model = tmp_path_factory.mktemp("moodbot")
    train_core_project(project, model, progress=lambda _: None)
    return project, model


def test_core_folder_layout(moodbot_model: tuple[Project, Path]) -> None:
    _, model = moodbot_model
    core = model / "core"
    assert sorted(p.relative_to(core).as_posix() for p in core.rglob("*") if p.is_file()) == [
        "memoization_policy.json",
        "policies.json",
        "rule_policy.json",
        "ted/meta.json",
        "ted/model.onnx",
    ]
    meta = json.loads((core / "policies.json").read_text())
    assert [p["type"] for p in meta["policies"]] == ["TEDPolicy", "MemoizationPolicy", "RulePolicy"]
    ted = json.loads((core / "ted" / "meta.json").read_text())
    assert ted["config"]["max_history"] == 5 and ted["config"]["epochs"] == 1
    assert ted["onnx_max_difference"] < 1e-4


def test_moodbot_stories_and_rules_replay_without_mistakes(
    moodbot_model: tuple[Project, Path],
) -> None:
    project, model = moodbot_model
    domain = project.training_domain()
    ensemble = PolicyEnsemble.load(model / "core", domain)
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    assert [m for t in trackers for m in replay(ensemble, t, domain)] == []


@pytest.mark.parametrize(
    "name",
    [
        "formbot",
        "rules",
        "concertbot",
        "e2ebot",
        "reminderbot",
        "responseselectorbot",
        "knowledgebasebot",
    ],
)
def test_example_bots_replay_their_own_stories_and_rules(name: str, tmp_path: Path) -> None:
    project = example(name)
    train_core_project(project, tmp_path, progress=lambda _: None)
    domain = project.training_domain()
    ensemble = PolicyEnsemble.load(tmp_path / "core", domain)
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    assert trackers
    assert [m for t in trackers for m in replay(ensemble, t, domain)] == []


def test_ted_onnx_agrees_with_tensorflow_and_learns_moodbot(tmp_path: Path) -> None:
    project = example("moodbot")
    domain = project.training_domain()
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    net, featurizer, histories, _ = fit_ted(
        trackers,
        domain,
        {"max_history": 5, "epochs": 40, "random_seed": 1},
        progress=lambda _: None,
    )
    export_ted(net, featurizer.dimension, tmp_path, *featurizer.encode(histories[:2]))
    (tmp_path / "meta.json").write_text(
        json.dumps(
            {"config": {"max_history": 5, "ranking_length": 0}, "featurizer": featurizer.as_dict()}
        )
    )
    policy = TEDPolicy.load(tmp_path)
    right = total = 0
    for training in (t for t in trackers if not t.is_rule):
        tracker = new_tracker(domain, "t")
        for event in training.tracker(domain).applied_events():
            if isinstance(event, ActionExecuted) and tracker.events:
                states = prediction_states(tracker, domain, 5)
                tf_scores = net.confidences(*featurizer.encode([states])).numpy()[0]
                onnx = policy.predict(tracker, domain).probabilities
                by_name = dict(zip(featurizer.actions, tf_scores.tolist()))
                expected = [by_name[a] for a in domain.action_names_or_texts]
                assert np.max(np.abs(np.asarray(onnx) - expected)) < 1e-4
                total += 1
                right += domain.action_names_or_texts[int(np.argmax(onnx))] == event.action_name
            tracker.update(event)
    assert total > 10 and right / total >= 0.9


@pytest.mark.parametrize("renormalize", [False, True])
def test_ted_ranking_length_and_renormalize_as_rasa(renormalize: bool, tmp_path: Path) -> None:
    # Rasa's rank_and_mask: the top `ranking_length` confidences stay, the others become 0,
    # and `renormalize_confidences` makes the kept ones sum to 1. Rasa's TED keeps every
    # action's confidence by default (ranking_length 0).
    project = example("moodbot")
    domain = project.training_domain()
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    net, featurizer, histories, config = fit_ted(
        trackers, domain, {"max_history": 5, "epochs": 2, "random_seed": 1}, lambda _: None
    )
    assert config["ranking_length"] == 0 and config["renormalize_confidences"] is False
    export_ted(net, featurizer.dimension, tmp_path, *featurizer.encode(histories[:2]))
    meta = {"config": config, "featurizer": featurizer.as_dict()}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    tracker = new_tracker(domain, "t")
    full = np.asarray(TEDPolicy.load(tmp_path).predict(tracker, domain).probabilities)
    assert np.count_nonzero(full) == len(featurizer.actions)

    ranked = {**config, "ranking_length": 3, "renormalize_confidences": renormalize}
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "config": ranked}))
    cut = np.asarray(TEDPolicy.load(tmp_path).predict(tracker, domain).probabilities)
    top = np.argsort(full)[::-1][:3]
    assert sorted(np.flatnonzero(cut)) == sorted(top)
    expected = full[top] / full[top].sum() if renormalize else full[top]
    assert np.allclose(cut[top], expected, atol=1e-6)


@pytest.mark.parametrize("unidirectional", [False, True])
def test_ted_export_masks_padded_and_later_turns_as_tensorflow(
    unidirectional: bool, tmp_path: Path
) -> None:
    # Histories of different lengths in one batch: padded turns, and with a unidirectional
    # encoder later turns, must be hidden from attention exactly as in TensorFlow (two
    # layers: with one, the latest turn reads the same keys either way).
    project = example("moodbot")
    domain = project.training_domain()
    trackers = generate_trackers(project.data.stories, project.data.rules, domain)
    config = {"max_history": 5, "epochs": 2, "random_seed": 1, "number_of_transformer_layers": 2}
    net, featurizer, histories, _ = fit_ted(
        trackers, domain, {**config, "unidirectional_encoder": unidirectional}, lambda _: None
    )
    turns, mask = featurizer.encode(histories[:64])
    assert 0 < mask.sum(axis=1).min() < mask.shape[1]  # some histories are padded
    worst = export_ted(net, featurizer.dimension, tmp_path, turns, mask)
    assert worst < 1e-4


def test_memoization_and_rules_only_need_no_tensorflow_model(tmp_path: Path) -> None:
    project = example("rules")
    config = config_from_dict({"policies": [{"name": "RulePolicy"}]}, "config.yml")
    result = train_core(
        project.training_domain(),
        project.data.stories,
        project.data.rules,
        config,
        tmp_path,
        progress=lambda _: None,
    )
    assert result.policies == ["RulePolicy"]
    assert not (tmp_path / "core" / "ted").exists()


def test_augmentation_feeds_ted_only(moodbot_model: tuple[Project, Path], tmp_path: Path) -> None:
    project, _ = moodbot_model
    plain = tmp_path / "plain"
    train_core_project(project, plain, progress=lambda _: None, augmentation_factor=0)
    train_core_project(project, tmp_path, progress=lambda _: None, augmentation_factor=10)
    core = tmp_path / "core"
    for file in ("memoization_policy.json", "rule_policy.json"):
        assert json.loads((core / file).read_text()) == json.loads(
            (plain / "core" / file).read_text()
        )
    ted = json.loads((core / "ted" / "meta.json").read_text())
    ted_plain = json.loads((plain / "core" / "ted" / "meta.json").read_text())
    assert ted["examples"] > ted_plain["examples"]


def test_ted_evaluates_held_out_examples_and_keeps_the_best_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rasa's evaluate_on_number_of_examples / checkpoint_model on TEDPolicy: the held-out
    # examples never train, are scored every N epochs, and the best evaluation's weights
    # are the ones kept.
    import stratus_train.core.ted as ted

    config = ted.ted_config(
        {
            "epochs": 4,
            "random_seed": 1,
            "evaluate_on_number_of_examples": 6,
            "evaluate_every_number_of_epochs": 2,
            "checkpoint_model": True,
        }
    )
    rng = np.random.default_rng(0)
    turns = rng.normal(size=(30, 3, 8)).astype(np.float32)
    mask = np.ones((30, 3), np.float32)
    targets = (np.arange(30) % 3).astype(np.int32)
    net = ted.TedNetwork(config, 3)
    net.scores(turns[:1], mask[:1])  # build
    ordered: list[int] = []
    real_order = ted.epoch_order

    def spy_order(labels: np.ndarray, *args: object) -> np.ndarray:
        ordered.append(len(labels))
        return real_order(labels, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ted, "epoch_order", spy_order)
    lines: list[str] = []
    ted.train_network(
        net, config, (turns, mask, targets), ted._softmax_loss, rng, lines.append, "TED", True
    )
    assert ordered == [24] * 4  # 30 examples, 6 held out, every epoch
    assert "TED: 6 examples held out for evaluation" in lines
    scored = [line for line in lines if "val_a_acc=" in line]
    assert [line.split()[2] for line in scored] == ["2/4", "4/4"]
    assert any(line.startswith("TED: kept the weights of epoch ") for line in lines)
    # without evaluation examples a checkpoint cannot be kept: trained as before
    plain = ted.ted_config({"epochs": 2, "random_seed": 1, "checkpoint_model": True})
    ordered.clear()
    lines.clear()
    ted.train_network(
        net, plain, (turns, mask, targets), ted._softmax_loss, rng, lines.append, "TED", True
    )
    assert ordered == [30, 30] and not any("val_" in line or "kept" in line for line in lines)
