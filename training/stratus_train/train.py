"""`stratus train`: a model directory from a project, skipped when nothing changed."""

from __future__ import annotations

import logging
import platform
import shutil
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from stratus import RASA_COMPATIBLE_VERSION, __version__
from stratus.model.manifest import write_manifest
from stratus.model.plan import (
    CORE_PART,
    DOMAIN_FILE,
    TrainingPlan,
    domain_to_model_json,
    plan_training,
)
from stratus.model.storage import new_model_dir
from stratus.nlu.inputs import NLU_PART, NluInputs, unchanged_model
from stratus.shared.config import ProjectConfig
from stratus.shared.domain import Domain
from stratus.shared.project import ProjectPaths
from stratus.shared.training_data.message import NluData
from stratus.shared.training_data.stories import Rule, Story
from stratus_train.background import CoreInBackground
from stratus_train.background import wanted as background_wanted
from stratus_train.nlu import train_pipeline

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]
_VERSIONED = (
    "numpy",
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "tf2onnx",
    "onnx",
    "onnxruntime",
    # LogisticRegressionClassifier's and CRFEntityExtractor's trainers
    "scikit-learn",
    "python-crfsuite",
)


@dataclass(frozen=True)
class TrainResult:
    model_dir: Path
    skipped: bool
    seconds: float


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "stratus": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_model(
    config: ProjectConfig,
    pipeline: list[dict[str, Any]],
    data: NluData,
    out: Path,
    responses: Mapping[str, list[dict[str, Any]]] | None = None,
    intents: Sequence[str] = (),
    entities: Sequence[str] = (),
    fingerprint: str | None = None,
    progress: Progress = print,
) -> Path:
    """Train the NLU pipeline into a new model directory under `out`, manifest last."""
    inputs = NluInputs(
        config, pipeline, data, dict(responses or {}), tuple(intents), tuple(entities)
    )
    model_dir = new_model_dir(Path(out))
    try:
        train_pipeline(
            config.language,
            pipeline,
            data,
            model_dir,
            inputs.responses,
            intents,
            entities,
            progress,
        )
        filled = replace(config, pipeline=pipeline).as_dict()
        write_manifest(
            model_dir,
            stratus_version=__version__,
            rasa_compatible_version=RASA_COMPATIBLE_VERSION,
            model_id=uuid.uuid4().hex,
            trained_at=datetime.now(UTC).isoformat(),
            assistant_id=config.assistant_id,
            config=filled,
            parts=[NLU_PART],
            fingerprints={NLU_PART: fingerprint or inputs.fingerprint()},
            versions=library_versions(),
        )
    except BaseException:
        # A half-written model must never become "the newest model" of the folder.
        shutil.rmtree(model_dir, ignore_errors=True)
        raise
    return model_dir


def train_plan(
    plan: TrainingPlan, out: str | Path = "models", force: bool = False, progress: Progress = print
) -> TrainResult:
    """Train what the plan asks for into a new model under `out`, reusing unchanged parts."""
    started = time.perf_counter()
    out = Path(out)
    fingerprints = plan.fingerprints
    if not force:
        existing = unchanged_model(out, fingerprints)
        if existing is not None:
            return TrainResult(existing, True, time.perf_counter() - started)
    reusable = {} if force else plan.reusable(out)
    model_dir = new_model_dir(out)
    nlu = plan.nlu if plan.nlu is not None and NLU_PART not in reusable else None
    core = plan.core_fingerprint is not None and CORE_PART not in reusable
    background: CoreInBackground | None = None
    try:
        if nlu is not None and core and background_wanted(plan.project.config):
            # DIET and TED each train on one thread: on a spare core, at the same time
            background = CoreInBackground.start(*_core_inputs(plan), model_dir)
            core = False
        if plan.nlu is not None and nlu is None:
            progress(f"nlu: unchanged, reusing it from {reusable[NLU_PART]}")
            shutil.copytree(reusable[NLU_PART] / NLU_PART, model_dir / NLU_PART)
        elif nlu is not None:
            train_pipeline(
                nlu.config.language,
                nlu.pipeline,
                nlu.data,
                model_dir,
                nlu.responses,
                nlu.intents,
                nlu.entities,
                progress if background is None else background.relaying(progress),
            )
        if background is not None:
            background.wait(progress)
        if plan.core_fingerprint is not None and CORE_PART in reusable:
            progress(f"core: unchanged, reusing it from {reusable[CORE_PART]}")
            shutil.copytree(reusable[CORE_PART] / CORE_PART, model_dir / CORE_PART)
        elif core:
            from stratus_train.core import train_core  # policies only when asked

            train_core(*_core_inputs(plan), model_dir, progress)
        (model_dir / DOMAIN_FILE).write_text(domain_to_model_json(plan.domain), "utf-8")
        config = plan.project.config
        if plan.nlu is not None:
            config = replace(config, pipeline=plan.nlu.pipeline)
        write_manifest(
            model_dir,
            stratus_version=__version__,
            rasa_compatible_version=RASA_COMPATIBLE_VERSION,
            model_id=uuid.uuid4().hex,
            trained_at=datetime.now(UTC).isoformat(),
            assistant_id=config.assistant_id,
            config=config.as_dict(),
            parts=list(fingerprints),
            fingerprints=fingerprints,
            versions=library_versions(),
        )
    except BaseException:
        if background is not None:
            background.stop()
        shutil.rmtree(model_dir, ignore_errors=True)
        raise
    return TrainResult(model_dir, False, time.perf_counter() - started)


def _core_inputs(plan: TrainingPlan) -> tuple[Domain, list[Story], list[Rule], ProjectConfig]:
    project = plan.project
    return plan.domain, list(project.data.stories), list(project.data.rules), project.config


def train(
    project: str | Path = ".",
    out: str | Path = "models",
    config: str | Path | None = None,
    data: Sequence[str | Path] | None = None,
    domain: str | Path | None = None,
    force: bool = False,
    progress: Progress = print,
    nlu_only: bool = False,
    core_only: bool = False,
) -> TrainResult:
    """Train a project's model unless the newest model in `out` is up to date."""
    paths = ProjectPaths.discover(project, config=config, data=data, domain=domain)
    plan = plan_training(paths, nlu_only=nlu_only, core_only=core_only)
    return train_plan(plan, out, force, progress)
