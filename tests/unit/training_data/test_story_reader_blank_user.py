"""A blank `user:` text is accepted when the step names its intent (as in Rasa 3.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data.stories import UserStep
from stratus.shared.training_data.story_reader import read_story_file


def test_blank_user_text_with_intent_is_a_user_step(tmp_path: Path) -> None:
    p = tmp_path / "test_stories.yml"
    p.write_text(
        'stories:\n- story: s\n  steps:\n  - user: "   "\n    intent: nlu_fallback\n'
        "  - action: utter_default\n"
    )
    step = read_story_file(p).stories[0].steps[0]
    assert isinstance(step, UserStep)
    assert (step.intent, step.text) == ("nlu_fallback", "")


def test_blank_user_text_without_intent_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "test_stories.yml"
    p.write_text('stories:\n- story: s\n  steps:\n  - user: "   "\n  - action: utter_default\n')
    with pytest.raises(ProjectError, match="the user message is empty"):
        read_story_file(p)
