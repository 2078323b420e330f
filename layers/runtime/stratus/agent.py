"""A trained model ready to talk: domain, NLU interpreter and policies, loaded once.

Doors (the CLI, the local server, each Lambda) load an `Agent` once per process or
container and build a `MessageProcessor` from it with the store and action client that
fit where they run.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.core.actions.client import ActionClient, InProcessActionClient
from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.core.processor import MessageProcessor
from stratus.model.manifest import Manifest
from stratus.model.plan import CORE_PART, load_model_domain
from stratus.model.storage import load_manifest_of
from stratus.nlu.inputs import NLU_PART
from stratus.nlu.interpreter import Interpreter
from stratus.shared.domain import Domain
from stratus.shared.endpoints import AvailableEndpoints
from stratus.shared.exceptions import IncompatibleModelError, ProjectError
from stratus.shared.problems import Problem
from stratus.stores.base import TrackerStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Agent:
    """Everything a turn needs from the model directory."""

    model_dir: Path
    manifest: Manifest
    domain: Domain
    interpreter: Interpreter | None
    policies: PolicyEnsemble

    @classmethod
    def load(cls, model: str | Path, duckling_url: str | None = None) -> Agent:
        """Load one model, or the newest in a folder of models (as `--model` in Rasa);
        `duckling_url` overrides the Duckling server of a DucklingEntityExtractor."""
        model_dir, manifest = load_manifest_of(model)
        if CORE_PART not in manifest.parts:
            raise IncompatibleModelError(
                f"The model at '{model_dir}' has no dialogue part (trained with --nlu-only); "
                "train it without --nlu-only to hold conversations."
            )
        domain = load_model_domain(model_dir)
        interpreter = (
            Interpreter.load(model_dir, duckling_url=duckling_url)
            if NLU_PART in manifest.parts
            else None
        )
        policies = PolicyEnsemble.load(model_dir / CORE_PART, domain)
        return cls(model_dir, manifest, domain, interpreter, policies)

    def processor(
        self,
        store: TrackerStore,
        endpoints: AvailableEndpoints | None = None,
        action_client: ActionClient | None = None,
        **kwargs: Any,
    ) -> MessageProcessor:
        """A processor over this model with the door's store and action client; pass
        `event_broker=` to publish turns and `model_id=` to tag them with a version name
        (default: the manifest's model id)."""
        kwargs.setdefault("model_id", self.manifest.model_id)
        return MessageProcessor.from_endpoints(
            self.domain,
            self.policies,
            store,
            endpoints or AvailableEndpoints(),
            interpreter=self.interpreter,
            action_client=action_client,
            **kwargs,
        )


def local_action_client(actions_dir: Path) -> InProcessActionClient | None:
    """Run a project's `actions/handler.py` in-process, as Lambda would call it.

    The module is imported as the package `actions` (like Rasa's `rasa run actions`)
    from the folder holding it; None when the project has no such handler.
    """
    handler_file = actions_dir / "handler.py"
    if not handler_file.is_file():
        return None
    package = actions_dir.name
    parent = str(actions_dir.parent.resolve())
    if parent not in sys.path:
        sys.path.insert(0, parent)
    spec = importlib.util.find_spec(f"{package}.handler")
    if spec is None:  # pragma: no cover - the file exists, so the finder sees it
        return None
    try:
        module = importlib.import_module(f"{package}.handler")
    except Exception as e:  # a user's module failing to import is bad input, not a crash
        raise ProjectError(
            Problem(f"cannot import the custom actions: {type(e).__name__}: {e}", str(handler_file))
        ) from None
    handler = getattr(module, "handler", None)
    if not callable(handler):
        raise ProjectError(
            Problem(
                "defines no `handler(event, context)` function for the actions", str(handler_file)
            )
        )
    return InProcessActionClient(default=handler)
