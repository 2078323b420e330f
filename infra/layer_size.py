"""Measure the Lambda layers and functions against the size budget; exit 1 over it.

Lambda refuses a function whose code and layers exceed 250 MB unzipped; Stratus keeps
to 150 MB so a bigger model runtime or a language pack still fits. By default this
builds the layers the way `sam build` does (layers/deps/build_layer.py, the engine
copied to python/stratus) into a temporary folder; `--build-dir .aws-sam/build`
measures what `sam build` produced instead. With `--import-check`, a python3.12 (the
Lambda runtime's version) imports the serving stack from the built layers alone, plus
boto3 as the runtime provides it.

    python infra/layer_size.py [--build-dir DIR] [--budget-mb 150] [--import-check]

About 10 s with pip's wheel cache warm (the CI budget allows it: `make layers`).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
DEFAULT_BUDGET_MB = 150.0
# What a function with Rasa-like serving imports at cold start.
SERVING_IMPORTS = (
    "numpy, onnxruntime, fastapi, starlette, pydantic, mangum, pynamodb, jwt, yaml, regex",
    "aws_lambda_powertools.logging, aws_lambda_powertools.metrics, aws_lambda_powertools.tracing",
    "stratus.agent, stratus.server.app, stratus.stores.dynamo",
)


def _build_layer_module() -> ModuleType:
    path = REPO / "layers" / "deps" / "build_layer.py"
    spec = importlib.util.spec_from_file_location("build_layer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_layers(root: Path) -> dict[str, Path]:
    """Build both layers under `root`, as `sam build` lays them out."""
    _build_layer_module().build(root / "DepsLayer")
    engine = root / "EngineLayer" / "python" / "stratus"
    shutil.copytree(
        REPO / "layers" / "runtime" / "stratus",
        engine,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return {"DepsLayer": root / "DepsLayer", "EngineLayer": root / "EngineLayer"}


def unzipped_bytes(folder: Path) -> int:
    """What Lambda counts: the size of every file once extracted."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def zipped_bytes(folder: Path) -> int:
    """The size of the deployment zip (deflate, as `sam package` makes it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.tell()


def function_folders(build_dir: Path | None) -> dict[str, Path]:
    """Each function's packaged code: sam's build output, or its CodeUri in the repo."""
    sys.path.insert(0, str(REPO / "layers" / "runtime"))
    from stratus.local.template import read_template

    template = read_template(REPO / "template.yaml")
    folders = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            code = resource["Properties"]["CodeUri"]
            folders[name] = build_dir / name if build_dir else REPO / code
    return folders


def pinned_boto3() -> str:
    """pyproject's boto3 requirement: the import check's stand-in for the runtime's own
    (unpinned, pip took the newest and warned that it is not the one Stratus pins)."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return next(d for d in project["dependencies"] if d.replace(" ", "").startswith("boto3=="))


def import_check(layers: dict[str, Path]) -> None:
    """Import the serving stack under python3.12 from the layers and boto3 only."""
    python = shutil.which("python3.12")
    if python is None:
        raise SystemExit("--import-check needs python3.12 on PATH (the Lambda runtime's)")
    with tempfile.TemporaryDirectory() as runtime:
        # The runtime's own boto3 (Lambda provides one; the layer does not carry it).
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"),
                *("--disable-pip-version-check", "--only-binary=:all:"),
                *("--python-version", "3.12", "--target", runtime, pinned_boto3()),
            ],
            check=True,
        )
        path = [str(layers["EngineLayer"] / "python"), str(layers["DepsLayer"] / "python")]
        code = "".join(f"import {line}\n" for line in SERVING_IMPORTS)
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ":".join([*path, runtime])}
        # -S: no site-packages of this machine, only what Lambda would have.
        subprocess.run([python, "-S", "-c", code], check=True, env=env)
    print("import check: the serving stack imports from the layers under python3.12")


def report(layers: dict[str, Path], functions: dict[str, Path], budget_mb: float) -> bool:
    """Print the sizes; True when every function with its layers is within budget."""
    print(f"{'part':<28}{'unzipped MB':>13}{'zipped MB':>11}")
    sizes = {}
    for name, folder in {**layers, **functions}.items():
        sizes[name] = unzipped_bytes(folder)
        print(f"{name:<28}{sizes[name] / MB:>13.1f}{zipped_bytes(folder) / MB:>11.1f}")
    layered = sum(sizes[name] for name in layers)
    fits = True
    for name in functions:
        # Every function but the actions one carries both layers; count the worst case.
        total = (sizes[name] + layered) / MB
        verdict = "ok" if total <= budget_mb else "OVER BUDGET"
        fits = fits and total <= budget_mb
        print(f"{name} + layers: {total:.1f} MB of {budget_mb:.0f} MB: {verdict}")
    return fits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, help="measure `sam build` output instead")
    parser.add_argument("--budget-mb", type=float, default=DEFAULT_BUDGET_MB)
    parser.add_argument("--import-check", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.build_dir:
            layers = {name: args.build_dir / name for name in ("DepsLayer", "EngineLayer")}
        else:
            layers = build_layers(Path(scratch))
        fits = report(layers, function_folders(args.build_dir), args.budget_mb)
        if args.import_check:
            import_check(layers)
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main())
