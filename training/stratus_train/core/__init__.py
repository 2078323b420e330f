"""Training the dialogue policies (RulePolicy, Memoization, TED) into a model's `core/`."""

from stratus_train.core.train import (
    CORE_PART,
    CoreTrainResult,
    train_core,
    train_core_project,
)

__all__ = ["CORE_PART", "CoreTrainResult", "train_core", "train_core_project"]
