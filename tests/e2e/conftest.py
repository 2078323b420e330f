"""The deployed stack on loopback: the template's resources on a moto server, the
example bot trained and uploaded to its bucket, and the Lambda doors of functions/
loaded as Lambda loads them (module-level init, then `lambda_handler(event, context)`)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from lambda_events import LambdaContext

from stratus.local.stack import LocalStack, create_local_stack
from stratus.model.s3 import upload_model

REPO = Path(__file__).resolve().parents[2]
BOT = REPO / "examples" / "restaurantbot"
FUNCTIONS = REPO / "functions"
ACTIONS_FUNCTION = "stratus-e2e-actions"


@pytest.fixture(scope="session")
def restaurant_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example bot, trained once per run: fewer epochs than its config asks for, and
    seeded (DIET, ResponseSelector, TED), so every run holds the same conversations."""
    from stratus_train.train import train

    root = tmp_path_factory.mktemp("restaurantbot") / "restaurantbot"
    shutil.copytree(BOT, root, ignore=shutil.ignore_patterns("models", ".stratus"))
    config = root / "config.yml"
    text = config.read_text()
    assert text.count("    epochs: 100\n") == 3, "examples/restaurantbot/config.yml changed"
    config.write_text(text.replace("    epochs: 100\n", "    epochs: 40\n    random_seed: 1\n"))
    train(root, out=root / "models", progress=lambda _: None)
    return root


@pytest.fixture(scope="session")
def stack(moto_endpoint: str, restaurant_project: Path) -> LocalStack:
    """template.yaml's resources on moto, the model uploaded, its version in SSM."""
    stack = create_local_stack(moto_endpoint, REPO / "template.yaml", stage="e2e")
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    [model_dir] = [p for p in (restaurant_project / "models").iterdir() if p.is_dir()]
    version = upload_model(model_dir, f"s3://{stack.model_bucket}/{stack.model_prefix}", client=s3)
    ssm = boto3.client("ssm", endpoint_url=moto_endpoint)
    ssm.put_parameter(
        Name=stack.model_version_parameter, Value=version, Type="String", Overwrite=True
    )
    return stack


@dataclass
class Door:
    """One function's module as Lambda loaded it."""

    module: Any

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.module.lambda_handler(event, LambdaContext())
        return answer


LoadDoor = Callable[..., Door]


@pytest.fixture
def load_door(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LoadDoor]:
    """Loads functions/<name>/handler.py with the environment template.yaml gives it,
    pointed at the local stack; the example bot's actions run through the local Lambda
    invoker (STRATUS_ACTION_HANDLER)."""
    monkeypatch.syspath_prepend(str(FUNCTIONS))
    monkeypatch.syspath_prepend(str(BOT))
    for name, value in stack.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STRATUS_MODEL_VERSION", "")  # the SSM parameter decides
    monkeypatch.setenv("STRATUS_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("STRATUS_ACTION_FUNCTION", ACTIONS_FUNCTION)
    monkeypatch.setenv("STRATUS_ACTION_HANDLER", "actions.handler:handler")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "StratusE2E")
    loaded: list[str] = []

    def load(function: str, **env: str) -> Door:
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"stratus-{function}")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        module_name = f"e2e_{function}_{uuid.uuid4().hex[:8]}"
        spec = importlib.util.spec_from_file_location(
            module_name, FUNCTIONS / function / "handler.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        loaded.append(module_name)
        spec.loader.exec_module(module)
        return Door(module)

    yield load
    for name in loaded:
        sys.modules.pop(name, None)
