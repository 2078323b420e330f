"""Evaluating test stories against a trained model (`stratus test core`)."""

from stratus.core.testing.replay import (
    ActionOutcome,
    ReplayedStep,
    StoryOutcome,
    StoryReplayer,
    UnlikelyIntentWarning,
)
from stratus.core.testing.runner import CoreTestResult, format_summary, run_core_test

__all__ = [
    "ActionOutcome",
    "CoreTestResult",
    "ReplayedStep",
    "StoryOutcome",
    "StoryReplayer",
    "UnlikelyIntentWarning",
    "format_summary",
    "run_core_test",
]
