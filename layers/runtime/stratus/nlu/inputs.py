"""Everything NLU training reads from a project, and its fingerprint.

Lives in the engine (no TensorFlow) so that `stratus train` can tell "nothing changed"
without importing the training code at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stratus.model.fingerprint import nlu_fingerprint
from stratus.model.manifest import read_manifest
from stratus.model.storage import newest_model
from stratus.nlu.registry import fill_pipeline
from stratus.shared.config import ProjectConfig, load_config
from stratus.shared.exceptions import IncompatibleModelError
from stratus.shared.project import ProjectPaths
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


def _plain(value: Any) -> Any:
    """YAML containers (with line numbers) as plain JSON values."""
    return json.loads(json.dumps(value, default=str))


def load_nlu_inputs(
    project: str | Path = ".",
    config: str | Path | None = None,
    data: Sequence[str | Path] | None = None,
    domain: str | Path | None = None,
) -> NluInputs:
    """Read config.yml, the data files and the domain of a project (Rasa's default paths)."""
    from stratus.shared.domain.loader import load_domain
    from stratus.shared.training_data.files import load_training_data

    paths = ProjectPaths.discover(project, config=config, data=data, domain=domain)
    project_config = load_config(paths.config)
    pipeline = fill_pipeline(
        project_config.pipeline, project_config.file, project_config.pipeline_lines
    )
    training = load_training_data(list(paths.data), project_dir=paths.root)
    responses = {name: _plain(r.value) for name, r in training.responses.items()}
    intents: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    if paths.domain is not None:
        loaded = load_domain(paths.domain)
        for response in loaded.responses:
            responses.setdefault(response.name, response.as_dict())
        intents, entities = tuple(loaded.intent_names), tuple(loaded.entity_names)
    retrieval = {k: v for k, v in responses.items() if "/" in k}  # only these are used
    return NluInputs(project_config, pipeline, training.nlu, retrieval, intents, entities)


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
