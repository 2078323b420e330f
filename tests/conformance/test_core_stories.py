"""`stratus test core` over Rasa's example bots and fixtures: their test stories (and, for
bots without any, their own stories and rules) replayed against a freshly trained model.

Models are trained once per bot (module-scoped) with TEDPolicy's epochs capped (RulePolicy
and MemoizationPolicy carry most bots; the TED-only end-to-end bots keep enough epochs
to learn their few stories), so the file runs in well under a minute. Without `e2e` the
replay never runs NLU (as `rasa test core`), so most bots train their dialogue part only,
which also sidesteps NLU components Stratus does not support (SpacyNLP in moodbot and
reminderbot) and the Duckling server formbot's and rules' pipelines call.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stratus.cli import test as test_cmd
from stratus.core.testing import CoreTestResult, run_core_test
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.files import load_training_data

pytest.importorskip("stratus_train")
from stratus_train.train import train

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "rasa-examples"
FIXTURES = SHARED / "rasa-fixtures"

pytestmark = pytest.mark.slow


def _prepare(
    src: Path, dst: Path, epochs: dict[str, int], at_least: dict[str, int] | None = None
) -> Path:
    """A copy of the bot with epochs capped (`epochs`) or raised (`at_least`)."""
    shutil.copytree(src, dst)
    config = yaml.safe_load((dst / "config.yml").read_text("utf-8"))
    for part in ("pipeline", "policies"):
        for component in config.get(part) or []:
            cap = epochs.get(component.get("name"))
            if cap is not None and "epochs" in component:
                component["epochs"] = min(int(component["epochs"]), cap)
            floor = (at_least or {}).get(component.get("name"))
            if floor is not None:
                component["epochs"] = max(int(component.get("epochs", 0)), floor)
    (dst / "config.yml").write_text(yaml.safe_dump(config), "utf-8")
    return dst


Trainer = Callable[..., Path]
NOT_DATA = {"domain.yml", "config.yml", "endpoints.yml", "credentials.yml"}


def _data_files(project: Path) -> list[Path]:
    """`data/`, or the YAML files next to the domain for fixtures that keep them there."""
    if (project / "data").is_dir():
        return [project / "data"]
    return sorted(p for p in project.glob("*.yml") if p.name not in NOT_DATA)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trainer]:
    """Train a bot once per module; the same arguments give the same model."""
    cache: dict[tuple[Any, ...], Path] = {}

    def get(
        src: Path,
        epochs: dict[str, int] | None = None,
        core_only: bool = True,
        at_least: dict[str, int] | None = None,
    ) -> Path:
        key = (
            src,
            tuple(sorted((epochs or {}).items())),
            core_only,
            tuple(sorted((at_least or {}).items())),
        )
        if key not in cache:
            root = tmp_path_factory.mktemp(src.name)
            project = _prepare(src, root / "project", epochs or {}, at_least)
            result = train(
                project,
                out=root / "models",
                data=_data_files(project),
                progress=lambda _: None,
                core_only=core_only,
            )
            cache[key] = result.model_dir
        return cache[key]

    yield get


def _assert_all_pass(result: CoreTestResult) -> None:
    failed = (result.out / "failed_test_stories.yml").read_text("utf-8")
    assert result.total > 0
    assert result.correct == result.total, failed
    report = yaml.safe_load((result.out / "story_report.json").read_text("utf-8"))
    assert report["conversation_accuracy"] == {
        "accuracy": 1.0,
        "correct": result.total,
        "with_warnings": 0,
        "total": result.total,
    }
    assert failed.startswith("# None of the test stories failed")


def _failed_actions(result: CoreTestResult) -> dict[str, list[tuple[str, str]]]:
    return {
        s.name: [(a.action, a.predicted) for a in s.actions if not a.correct] for s in result.failed
    }


# -- test stories -------------------------------------------------------------------------


def test_formbot_test_stories(trained: Trainer, tmp_path: Path) -> None:
    model = trained(EXAMPLES / "formbot", {"TEDPolicy": 5})
    stories = [
        EXAMPLES / "formbot" / "tests",
        FIXTURES / "test_evaluations" / "test_form_end_to_end_stories.yml",
    ]
    result = run_core_test(model, stories, tmp_path / "results", EXAMPLES / "formbot")
    _assert_all_pass(result)
    assert result.total == 5
    assert (tmp_path / "results" / "story_confusion_matrix.png").stat().st_size > 0


def test_e2ebot_test_stories(trained: Trainer, tmp_path: Path) -> None:
    model = trained(EXAMPLES / "e2ebot", {"TEDPolicy": 60})
    result = run_core_test(model, [EXAMPLES / "e2ebot" / "tests"], tmp_path / "results")
    _assert_all_pass(result)


def test_fixture_e2ebot_test_stories(trained: Trainer, tmp_path: Path) -> None:
    # "Test with a hard entity" ends with `bot: I'm sorry!`, a text neither the domain
    # nor the stories know, so no model can predict it (it fails in Rasa 3.6 as well).
    # At the fixture's own 5 TED epochs Rasa 3.6 fails both stories (it predicts
    # action_restart after "hi joe!"); with 100 the text features tell joe from bob.
    bot = FIXTURES / "test_e2ebot"
    model = trained(bot, at_least={"TEDPolicy": 100})
    result = run_core_test(model, [bot / "tests" / "test_stories.yml"], tmp_path / "results")
    assert result.total == 2
    assert [s.name for s in result.failed] == ["Test with a hard entity"]
    assert [a.action for a in result.failed[0].actions if not a.correct] == ["I'm sorry!"]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text("utf-8")
    assert '- bot: "I\'m sorry!"  # predicted: ' in failed


def test_fixture_e2ebot_end_to_end_scores_the_entities(trained: Trainer, tmp_path: Path) -> None:
    # With `e2e`, NLU reads every `user:` text and its entities join the report (by
    # label, aligned by position, as Rasa's EvaluationStore.serialise does).
    bot = FIXTURES / "test_e2ebot"
    model = trained(bot, {"TEDPolicy": 60, "DIETClassifier": 60}, core_only=False)
    stories = [bot / "tests" / "test_stories.yml"]
    result = run_core_test(model, stories, tmp_path / "results", e2e=True)
    report = json.loads((tmp_path / "results" / "story_report.json").read_text("utf-8"))
    assert report["mood"]["support"] == 2
    assert report["name"]["support"] == 1
    assert report["conversation_accuracy"]["total"] == 2
    assert "Test with a hard entity" in [s.name for s in result.failed]


def test_action_extract_slots_11333_fails_where_its_data_has_no_answer(
    trained: Trainer, tmp_path: Path
) -> None:
    # The fixture's test stories are moodbot's, but its data has no rule for `goodbye`
    # or `bot_challenge`: those three stories fail in Rasa 3.6 too.
    bot = FIXTURES / "test_action_extract_slots_11333"
    result = run_core_test(trained(bot), [bot / "tests"], tmp_path / "results")
    assert result.total == 7
    assert sorted(_failed_actions(result)) == ["bot challenge", "happy path 2", "say goodbye"]
    assert _failed_actions(result)["say goodbye"][0] == ("utter_goodbye", "action_default_fallback")


@pytest.mark.parametrize(
    "bot",
    [
        "test_from_trigger_intent_with_mapping_conditions",
        "test_from_trigger_intent_with_no_mapping_conditions",
        "test_custom_action_triggers_action_extract_slots",
    ],
)
def test_fixture_stories(trained: Trainer, tmp_path: Path, bot: str) -> None:
    project = FIXTURES / bot
    stories = _data_files(project)
    result = run_core_test(trained(project), stories, tmp_path / "results")
    _assert_all_pass(result)


def test_response_selector_bot_names_the_wrong_retrieval_response(
    trained: Trainer, tmp_path: Path
) -> None:
    # Stories 1 and 2 are written to fail: a wrong retrieval action is reported with its
    # response key, a right one as the story wrote it (with or without the key).
    bot = FIXTURES / "test_response_selector_bot"
    model = trained(bot, core_only=False)
    result = run_core_test(model, [bot / "tests"], tmp_path / "results", e2e=True)
    actions = {s.name.split(" - ")[0]: s.actions for s in result.stories}
    first = {name: (a[0].action, a[0].predicted) for name, a in actions.items()}
    assert first == {
        "test 0": ("utter_chitchat/ask_name", "utter_chitchat/ask_name"),
        "test 1": ("utter_chitchat/ask_weather", "utter_chitchat/ask_name"),
        "test 2": ("utter_goodbye", "utter_chitchat/ask_name"),
        "test 3": ("utter_chitchat", "utter_chitchat"),
    }
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text("utf-8")
    assert "- action: utter_chitchat/ask_weather  # predicted: utter_chitchat/ask_name" in failed
    # The story's full retrieval name goes into the tracker as written, a previous action
    # no rule knows, so the rules fall back where the story listens: Rasa 3.6.21 reports
    # exactly this (bench/conversations.py --peer rasa), and only test 3 passes.
    after = {name: [(x.action, x.predicted) for x in a[1:]] for name, a in actions.items()}
    assert after["test 0"] == [("action_listen", "action_default_fallback")]
    assert after["test 3"] == [("action_listen", "action_listen")]
    assert [s.name.split(" - ")[0] for s in result.stories if not s.failed] == ["test 3"]


# -- bots without test stories: their own stories and rules ----------------------------


def _replayable_rule(rule: dict[str, Any]) -> bool:
    """A rule that can be replayed from an empty conversation: it waits for the user
    afterwards (a `...` at its end leaves the next action open), and it starts with a
    user turn or has no condition. (A rule with a condition that starts with an action
    continues a turn whose first actions its `...` leaves out: a form's submit rule.)"""
    steps = rule.get("steps") or []
    first = steps[0] if steps else {}
    starts_with_user = "intent" in first or "user" in first
    return bool(rule.get("wait_for_user_input", True)) and (
        starts_with_user or not rule.get("condition")
    )


def _write_replay_stories(project: Path, out: Path) -> Path:
    """The bot's stories, and its replayable rules (conditions first), as test stories."""
    stories: list[dict[str, Any]] = []
    for path in _data_files(project):
        for file in sorted(path.rglob("*.yml")) if path.is_dir() else [path]:
            document = yaml.safe_load(file.read_text("utf-8")) or {}
            stories.extend(document.get("stories") or [])
            stories.extend(
                {
                    "story": f"rule: {rule['rule']}",
                    "steps": [*(rule.get("condition") or []), *rule["steps"]],
                }
                for rule in document.get("rules") or []
                if _replayable_rule(rule)
            )
    out.write_text(yaml.safe_dump({"version": "3.1", "stories": stories}, sort_keys=False))
    return out


REPLAYED_BOTS: dict[str, dict[str, Any]] = {
    "moodbot": {},
    "rules": {},
    "concertbot": {"epochs": {"TEDPolicy": 40}},
    "reminderbot": {},
    "knowledgebasebot": {},
    "formbot": {"epochs": {"TEDPolicy": 5}},
    "responseselectorbot": {"epochs": {"TEDPolicy": 40}},
}


@pytest.mark.parametrize("bot", sorted(REPLAYED_BOTS))
def test_training_stories_and_rules_replay(trained: Trainer, tmp_path: Path, bot: str) -> None:
    project = EXAMPLES / bot
    model = trained(project, REPLAYED_BOTS[bot].get("epochs"))
    stories = _write_replay_stories(project, tmp_path / "test_replay.yml")
    result = run_core_test(model, [stories], tmp_path / "results")
    _assert_all_pass(result)


def _stratus_test(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    test_cmd.add_arguments(parser)
    return test_cmd.run(parser.parse_args(argv))


def test_stratus_test_passes_rasas_result_options_to_both_parts(
    trained: Trainer, tmp_path: Path
) -> None:
    # The model of test_response_selector_bot_names_the_wrong_retrieval_response: tests
    # 0-2 fail, test 3 passes. Plain `stratus test` runs the test stories, then NLU.
    bot = FIXTURES / "test_response_selector_bot"
    model = trained(bot, core_only=False)
    out = tmp_path / "results"
    common = ["--project", str(bot), "-m", str(model), "--e2e", "--no-plot"]
    options = ["--successes", "--no-warnings", "--fail-on-prediction-errors"]
    with pytest.raises(StratusError) as raised:
        _stratus_test([*common, "--out", str(out), *options])
    message = str(raised.value)
    assert message.startswith("3 of 4 test stories failed (--fail-on-prediction-errors):")
    named = [line.strip() for line in message.splitlines()[1:]]
    assert [name.split(" - ")[0] for name in named] == ["test 0", "test 1", "test 2"]
    # every result file was still written, and --successes reached the NLU part too
    written = {p.name for p in out.iterdir()}
    assert {n for n in written if n.endswith(".yml") or n.startswith("story")} == {
        "failed_test_stories.yml",
        "story_report.json",
        "successful_test_stories.yml",
    }
    assert {"intent_report.json", "intent_successes.json"} <= written
    assert not [n for n in written if n.endswith(".png")]
    failed = load_training_data([out / "failed_test_stories.yml"]).stories
    assert [s.name for s in failed] == named
    [passed] = load_training_data([out / "successful_test_stories.yml"]).stories
    assert passed.name.startswith("test 3 - ") and "# predicted" not in (
        out / "successful_test_stories.yml"
    ).read_text("utf-8")

    # `stratus test core`: --no-errors drops the failed stories; without
    # --fail-on-prediction-errors failures exit 0
    core_out = tmp_path / "core"
    assert _stratus_test(["core", *common, "--out", str(core_out), "--no-errors"]) == 0
    assert sorted(p.name for p in core_out.iterdir()) == [
        "stories_with_warnings.yml",
        "story_report.json",
    ]
    warnings = (core_out / "stories_with_warnings.yml").read_text("utf-8")
    assert warnings == "# No warnings for test stories"
