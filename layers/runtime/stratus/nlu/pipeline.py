"""The NLU part of a model directory: `nlu/pipeline.json` plus one folder per component.

nlu/pipeline.json            language, filled pipeline, known intents and entities
nlu/00_WhitespaceTokenizer/  (empty: nothing learnt)
nlu/03_CountVectorsFeaturizer/vocabulary.json
nlu/05_DIETClassifier/model.onnx, meta.json, transitions.npz (+ entity_tag_tables.npz)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stratus.nlu.component import Component, read_json, write_json
from stratus.nlu.duckling import DucklingEntityExtractor
from stratus.nlu.registry import component_class, component_key
from stratus.shared.exceptions import IncompatibleModelError

NLU_DIR = "nlu"
PIPELINE_FILE = "pipeline.json"
# Longest message (in tokens) the pipeline looks at; the rest is cut with a warning.
MAX_TOKENS = 512


@dataclass(frozen=True)
class PipelineMeta:
    language: str
    pipeline: list[dict[str, Any]]
    # What `/intent{"entity": ..}` messages may name (the domain's, else the data's).
    intents: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    max_tokens: int = MAX_TOKENS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def component_dir(nlu_dir: Path, index: int, name: str) -> Path:
    return nlu_dir / f"{index:02d}_{name}"


def write_pipeline_meta(nlu_dir: Path, meta: PipelineMeta) -> None:
    write_json(nlu_dir / PIPELINE_FILE, meta.as_dict())


def read_pipeline_meta(nlu_dir: Path) -> PipelineMeta:
    try:
        data = read_json(nlu_dir / PIPELINE_FILE)
        return PipelineMeta(**data)
    except (OSError, ValueError, TypeError) as e:
        raise IncompatibleModelError(f"{nlu_dir / PIPELINE_FILE} cannot be read: {e}") from e


def load_components(
    nlu_dir: Path, meta: PipelineMeta, duckling_url: str | None = None
) -> list[Component]:
    """Every component as training persisted it, in pipeline order; `duckling_url` (the
    door's RASA_DUCKLING_HTTP_URL) overrides a DucklingEntityExtractor's `url`."""
    components = []
    for index, item in enumerate(meta.pipeline):
        name = item["name"]
        try:
            cls = component_class(name)
        except KeyError as e:
            raise IncompatibleModelError(
                f"the model uses component '{name}', which this Stratus does not know"
            ) from e
        config = {k: v for k, v in item.items() if k != "name"}
        component = cls.load(config, component_dir(nlu_dir, index, name))
        component.key = component_key(index, name)
        if duckling_url and isinstance(component, DucklingEntityExtractor):
            component.url = duckling_url
        components.append(component)
    return components
