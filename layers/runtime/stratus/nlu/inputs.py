"""Everything NLU training reads from a project, and its fingerprint.

Lives in the engine (no TensorFlow) so that `stratus train` can tell "nothing changed"
without importing the training code at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.model.fingerprint import nlu_fingerprint
from stratus.model.manifest import read_manifest
from stratus.model.storage import newest_model
from stratus.nlu.registry import fill_pipeline
from stratus.shared.config import ProjectConfig
from stratus.shared.domain import Response
from stratus.shared.exceptions import IncompatibleModelError
from stratus.shared.project import Project, ProjectPaths, load_project
from stratus.shared.training_data.message import NluData

NLU_PART = "nlu"


@dataclass(frozen=True)
class NluInputs:
    config: ProjectConfig
    pipeline: list[dict[str, Any]]  # filled with defaults
    data: NluData
    # Responses a ResponseSelector answers with: `utter_faq/ask_name` -> variations.
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # The domain's intents and entities (what `/intent{...}` messages may name).
    intents: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        return nlu_fingerprint(
            self.config.language,
            self.pipeline,
            self.data,
            self.responses,
            {"intents": list(self.intents), "entities": list(self.entities)},
        )


def nlu_inputs_from_project(project: Project) -> NluInputs:
    """What NLU training reads from a loaded project (the filled pipeline among it)."""
    config = project.config
    pipeline = fill_pipeline(config.pipeline, config.file, config.pipeline_lines)
    return NluInputs(
        config,
        pipeline,
        project.data.nlu,
        retrieval_responses(project.domain.responses),
        tuple(project.domain.intent_names),
        tuple(project.domain.entity_names),
    )


def retrieval_responses(responses: Iterable[Response]) -> dict[str, list[dict[str, Any]]]:
    """The retrieval responses (`utter_faq/ask_name`) among `responses`, the ones a
    ResponseSelector answers with, by name (a later one of a name wins)."""
    return {r.name: r.as_dict() for r in responses if "/" in r.name}


def load_nlu_inputs(
    project: str | Path = ".",
    config: str | Path | None = None,
    data: Sequence[str | Path] | None = None,
    domain: str | Path | None = None,
) -> NluInputs:
    """Read config.yml, the data files and the domain of a project (Rasa's default paths)."""
    paths = ProjectPaths.discover(project, config=config, data=data, domain=domain)
    return nlu_inputs_from_project(load_project(paths))


def newest_with_part(out: Path, part: str, fingerprint: str) -> Path | None:
    """The newest model in `out` whose `part` was trained from exactly this fingerprint."""
    newest = newest_model(out)
    if newest is None:
        return None
    try:
        manifest = read_manifest(newest)
    except IncompatibleModelError:
        return None
    return newest if manifest.fingerprints.get(part) == fingerprint else None


def unchanged_model(out: Path, fingerprints: dict[str, str]) -> Path | None:
    """The newest model in `out`, if it was trained from exactly these fingerprints."""
    newest = newest_model(out)
    if newest is None:
        return None
    try:
        manifest = read_manifest(newest)
    except IncompatibleModelError:
        return None
    return newest if manifest.fingerprints == fingerprints else None
