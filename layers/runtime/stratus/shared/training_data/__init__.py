"""NLU examples, stories, rules and test stories as Rasa 3.x writes them."""

from stratus.shared.training_data.entities_markup import ParsedExample, parse_markup
from stratus.shared.training_data.files import (
    RawResponse,
    TrainingData,
    find_data_files,
    load_training_data,
)
from stratus.shared.training_data.message import (
    EntityAnnotation,
    LookupTable,
    NluData,
    NluExample,
    RegexPattern,
)
from stratus.shared.training_data.nlu_reader import merge_nlu, read_nlu_file
from stratus.shared.training_data.stories import (
    ActionStep,
    ActiveLoopStep,
    BotStep,
    CheckpointStep,
    OrStep,
    Rule,
    SlotValue,
    SlotWasSetStep,
    Step,
    Story,
    StoryData,
    StoryEntity,
    UserStep,
)
from stratus.shared.training_data.story_reader import read_story_file

__all__ = [
    "ActionStep",
    "ActiveLoopStep",
    "BotStep",
    "CheckpointStep",
    "EntityAnnotation",
    "LookupTable",
    "NluData",
    "NluExample",
    "OrStep",
    "ParsedExample",
    "RawResponse",
    "RegexPattern",
    "Rule",
    "SlotValue",
    "SlotWasSetStep",
    "Step",
    "Story",
    "StoryData",
    "StoryEntity",
    "TrainingData",
    "UserStep",
    "find_data_files",
    "load_training_data",
    "merge_nlu",
    "parse_markup",
    "read_nlu_file",
    "read_story_file",
]
