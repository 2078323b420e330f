"""Stories and rules turned into training trackers: shared by training and `stratus test core`."""

from stratus.core.story_graph.blocks import STORY_START, Origin, StoryBlock
from stratus.core.story_graph.generator import (
    TrainingTracker,
    explicit_events,
    generate_trackers,
    slots_for_entities,
)

__all__ = [
    "STORY_START",
    "Origin",
    "StoryBlock",
    "TrainingTracker",
    "explicit_events",
    "generate_trackers",
    "slots_for_entities",
]
