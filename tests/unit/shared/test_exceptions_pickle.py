"""Errors cross process boundaries (dialogue training runs in a second process) intact."""

from __future__ import annotations

import pickle

from stratus.shared.exceptions import ConfigError, ProjectError
from stratus.shared.problems import Problem


def test_project_errors_keep_their_problems_through_pickle() -> None:
    problems = [Problem("unknown action 'utter_x'", "data/stories.yml", 7, "steps[1]")]
    for cls in (ProjectError, ConfigError):
        again = pickle.loads(pickle.dumps(cls(problems)))
        assert type(again) is cls
        assert again.problems == problems
        assert str(again) == "data/stories.yml:7: error: steps[1]: unknown action 'utter_x'"
