"""A trained model holds a real conversation through `stratus shell`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
from moodbot import TEST_MOODBOT, copy_test_moodbot

from stratus.agent import Agent
from stratus.cli import shell
from stratus.shared.exceptions import IncompatibleModelError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stratus_train.train import train

    root = tmp_path_factory.mktemp("moodbot")
    copy_test_moodbot(root, epochs=60)
    train(root, out=root / "models", progress=lambda _: None)
    return root / "models"


def chat(models: Path, lines: list[str], debug: bool = False) -> str:
    out = io.StringIO()
    args = Namespace(
        model=str(models), project=str(TEST_MOODBOT), endpoints=None, sender="t", debug=debug
    )
    assert shell.run(args, stdin=io.StringIO("\n".join(lines) + "\n"), out=out) == 0
    return out.getvalue()


def test_moodbot_conversation_follows_its_stories(models: Path) -> None:
    out = chat(models, ["hello", "I am very sad", "no", "/restart", "bye"], debug=True)
    turns = out.split("You: ")[1:]
    assert "Bot: Hey! How are you?" in turns[0]
    assert "Bot: Here is something to cheer you up:" in turns[1]
    assert "Bot: Did that help you?" in turns[1]
    assert "Bot: Bye" in turns[2]
    assert "[action] action_restart (RulePolicy" in turns[3]
    assert "Bot: Bye" in turns[4]
    assert "[nlu] mood_unhappy" in turns[1]


def test_buttons_are_numbered_and_a_number_sends_the_payload(models: Path) -> None:
    out = chat(models, ["hello", "2"])
    assert "  1: great (/mood_great)" in out and "  2: super sad (/mood_unhappy)" in out
    assert "You: /mood_unhappy" in out
    assert "Bot: Here is something to cheer you up:" in out.split("You: /mood_unhappy")[1]


def test_an_nlu_only_model_cannot_hold_a_conversation_so_the_shell_parses(
    tmp_path: Path,
) -> None:
    from stratus_train.train import train

    root = tmp_path / "bot"
    copy_test_moodbot(root, epochs=1)
    result = train(root, out=root / "models", nlu_only=True, progress=lambda _: None)
    with pytest.raises(IncompatibleModelError, match="no dialogue part"):
        Agent.load(result.model_dir)
    # As `rasa shell` with an NLU-only model: the NLU shell, one parse result per line.
    out = chat(root / "models", ["hello", "/mood_great"])
    assert "has no dialogue part (trained with --nlu-only)" in out
    first, second = parse_results(out)
    assert first["text"] == "hello" and {"intent", "entities", "intent_ranking"} <= first.keys()
    assert second["intent"] == {"name": "mood_great", "confidence": 1.0}


def parse_results(printed: str) -> list[dict]:
    """The JSON documents the NLU shell printed after its greeting."""
    text = printed.split("Type a message and press enter to parse it.\n", 1)[1]
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        document, at = decoder.raw_decode(text, at + len(text[at:]) - len(text[at:].lstrip()))
        found.append(document)
    return found


def test_shell_nlu_parses_what_is_typed_with_a_full_model(models: Path) -> None:
    out = io.StringIO()
    args = Namespace(model=str(models), target="nlu")
    assert shell.run(args, stdin=io.StringIO("I am very sad\n"), out=out) == 0
    [result] = parse_results(out.getvalue())
    assert result["intent"]["name"] == "mood_unhappy"
    assert "Bot:" not in out.getvalue()


def test_a_conversation_never_imports_tensorflow(models: Path) -> None:
    code = (
        "import io, sys\n"
        "from argparse import Namespace\n"
        "from stratus.cli import shell\n"
        f"args = Namespace(model={str(models)!r}, project='.', endpoints=None, sender='x', "
        "debug=False)\n"
        "shell.run(args, stdin=io.StringIO('hello\\nI am sad\\n'), out=io.StringIO())\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', "
        "'stratus_train')]\n"
        "print('IMPORTED', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED []" in proc.stdout
