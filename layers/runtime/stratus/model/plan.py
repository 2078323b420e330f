"""What `stratus train` must (re)train, decided without importing TensorFlow.

A model has up to two parts, each with the fingerprint of what it learnt from. A part
whose fingerprint matches the newest model's is copied instead of retrained (Rasa's
training cache does the same), and when nothing changed no model is written at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stratus.model.fingerprint import core_fingerprint
from stratus.nlu.inputs import NLU_PART, NluInputs, newest_with_part, nlu_inputs_from_project
from stratus.shared.domain import Domain, domain_from_dict
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem
from stratus.shared.project import Project, ProjectPaths, load_project

CORE_PART = "core"
DOMAIN_FILE = "domain.json"


def domain_to_model_json(domain: Domain) -> str:
    """The domain as a model stores it: in declaration order, since the policies index
    its action list (forms come last in the order they were declared)."""
    return json.dumps(domain.as_dict(), ensure_ascii=False, default=str)


def load_model_domain(model_dir: Path) -> Domain:
    """The training domain a model was trained with."""
    return domain_from_dict(json.loads((model_dir / DOMAIN_FILE).read_text("utf-8")))


@dataclass(frozen=True)
class TrainingPlan:
    """A loaded project and the fingerprints of the parts to train."""

    project: Project
    domain: Domain  # the training domain, stored in the model for serving
    nlu: NluInputs | None
    core_fingerprint: str | None

    @property
    def fingerprints(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.nlu is not None:
            out[NLU_PART] = self.nlu.fingerprint()
        if self.core_fingerprint is not None:
            out[CORE_PART] = self.core_fingerprint
        return out

    def reusable(self, out: Path) -> dict[str, Path]:
        """Parts the newest model in `out` already has, trained from the same inputs."""
        found: dict[str, Path] = {}
        for part, fingerprint in self.fingerprints.items():
            model = newest_with_part(out, part, fingerprint)
            if model is not None:
                found[part] = model
        return found


def plan_training(
    paths: ProjectPaths, nlu_only: bool = False, core_only: bool = False
) -> TrainingPlan:
    """Load the project and fingerprint the parts `stratus train` should produce."""
    if nlu_only and core_only:
        raise ProjectError(Problem("--nlu-only and --core-only exclude each other; pick one"))
    project = load_project(paths)
    domain = project.training_domain()
    nlu = None if core_only else nlu_inputs_from_project(project)
    if nlu is not None and not nlu.data.examples:
        if nlu_only:
            raise ProjectError(
                Problem("there are no NLU training examples to train on", str(paths.root))
            )
        nlu = None  # a core-only project, as `rasa train` allows
    core: str | None = None
    if not nlu_only:
        core = core_fingerprint(
            domain, project.data.stories, project.data.rules, project.config.policies
        )
    return TrainingPlan(project, domain, nlu, core)
