"""Training an NLU pipeline into the `nlu/` part of a model directory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stratus.nlu.component import Component
from stratus.nlu.entity_tags import is_aligned
from stratus.nlu.message import Message
from stratus.nlu.pipeline import (
    NLU_DIR,
    PipelineMeta,
    component_dir,
    write_pipeline_meta,
)
from stratus.nlu.registry import COMPONENTS, FEATURIZER, TOKENIZER, build_component, fill_pipeline
from stratus.nlu.tokenizers import Tokenizer
from stratus.shared.config import ProjectConfig
from stratus.shared.exceptions import ConfigError, ProjectError
from stratus.shared.problems import Problem, warning
from stratus.shared.training_data.message import NluData
from stratus_train.neural import NEURAL_TRAINERS, NeuralContext

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]
# Misaligned annotations listed one by one before the rest are only counted.
_MAX_LISTED = 10


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def check_annotations(messages: list[Message]) -> list[Problem]:
    """Warnings for entity annotations whose ends fall inside a token (named by example)."""
    problems = []
    for m in messages:
        if m.example is None:
            continue
        for a in m.example.entities:
            if not is_aligned(m.tokens, a):
                problems.append(
                    warning(
                        f"entity '{a.entity}' [{a.start}:{a.end}] "
                        f"'{m.text[a.start : a.end]}' in \"{m.text}\" does not start and end at "
                        "token boundaries; it is trained on the tokens it overlaps",
                        m.example.file,
                        m.example.line,
                    )
                )
    return problems


def train_pipeline(
    language: str,
    pipeline: list[dict[str, Any]],
    data: NluData,
    model_dir: Path,
    responses: Mapping[str, list[dict[str, Any]]] | None = None,
    intents: Sequence[str] | None = None,
    entities: Sequence[str] | None = None,
    progress: Progress = _stderr,
) -> Path:
    """Train a filled pipeline on `data` into `model_dir/nlu`; returns that directory."""
    if not data.examples:
        raise ProjectError(Problem("there are no NLU training examples to train on"))
    nlu_dir = model_dir / NLU_DIR
    nlu_dir.mkdir(parents=True, exist_ok=True)
    messages = [Message(e.text, example=e) for e in data.examples]
    trained: list[Component] = []
    tokenizer: Tokenizer | None = None
    for index, item in enumerate(pipeline):
        name = item["name"]
        component = build_component(item, index)
        directory = component_dir(nlu_dir, index, name)
        directory.mkdir(exist_ok=True)
        if component.neural:
            trainer = NEURAL_TRAINERS.get(name)
            if trainer is None:
                raise ConfigError(Problem(f"Stratus cannot train '{name}' yet", field="pipeline"))
            trainer(
                component,
                messages,
                directory,
                NeuralContext(trained, tokenizer, responses or {}, progress),
            )
            loaded = type(component).load(component.config, directory)
            loaded.key = component.key
            component = loaded
        else:
            component.fit(messages, data)
            component.persist(directory)
        if COMPONENTS[name].kind in (TOKENIZER, FEATURIZER):
            # Later components learn from these outputs; classifiers' outputs feed nothing.
            component.process(messages)
        if isinstance(component, Tokenizer):
            tokenizer = component
            _warn(check_annotations(messages))
        trained.append(component)
    write_pipeline_meta(
        nlu_dir,
        PipelineMeta(
            language=language,
            pipeline=pipeline,
            intents=sorted(set(intents or []) | set(data.intents)),
            entities=sorted(set(entities or []) | set(data.entity_types)),
        ),
    )
    return nlu_dir


def _warn(problems: list[Problem]) -> None:
    for p in problems[:_MAX_LISTED]:
        logger.warning("%s", p)
    if len(problems) > _MAX_LISTED:
        logger.warning("... and %d more misaligned entity annotations", len(problems) - _MAX_LISTED)


class NluTrainer:
    """Trains NLU-only models for evaluation (`stratus test nlu --cross-validation`)."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress or (lambda line: logger.info("%s", line))

    def train_nlu(
        self,
        config: ProjectConfig,
        data: NluData,
        out_dir: Path,
        responses: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> Path:
        """A complete model directory (manifest included) under `out_dir`; `responses`:
        the retrieval responses a ResponseSelector answers with."""
        from stratus_train.train import write_model

        pipeline = fill_pipeline(config.pipeline, config.file, config.pipeline_lines)
        return write_model(config, pipeline, data, out_dir, responses, progress=self.progress)
