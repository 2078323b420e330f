"""The example bot's own test stories pass, as they do under Rasa 3.6.21 (26/26)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.core.testing import run_core_test

pytestmark = pytest.mark.slow

BOT = Path(__file__).resolve().parents[2] / "examples" / "restaurantbot"


def test_restaurantbot_test_stories_all_pass(tmp_path: Path) -> None:
    from stratus_train.train import train

    result = train(BOT, out=tmp_path / "models", core_only=True, progress=lambda _: None)
    outcome = run_core_test(result.model_dir, [BOT / "tests"], tmp_path / "results", BOT)
    assert outcome.total == 26
    assert outcome.failed == ()
    assert outcome.accuracy == 1.0
    assert (tmp_path / "results" / "story_report.json").is_file()
