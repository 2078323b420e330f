"""Build the DepsLayer: pip-install requirements.txt for Lambda, then trim what never runs.

Used by `sam build` (Makefile `build-DepsLayer`) and by infra/layer_size.py, so the
measured layer is the deployed one. Standard library only: `sam build` runs it with
whatever python3 is on PATH; pip downloads wheels for the Lambda platform, not this one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Lambda's python3.12 runtime is Amazon Linux 2023 (glibc 2.34). numpy>=2.3 and
# onnxruntime>=1.17 ship only manylinux_2_27/2_28 wheels, which python3.11's Amazon
# Linux 2 (glibc 2.26) cannot load: that is why the functions run python3.12.
PYTHON_VERSION = "3.12"
# pip does not widen one --platform to older manylinux tags, so every accepted tag is named.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")

# Paths under site-packages that no serving code imports (onnxruntime's offline tools
# pull in sympy; numpy's tests and f2py; type stubs), removed to stay within budget.
TRIMMED = (
    "onnxruntime/tools",
    "onnxruntime/transformers",
    "onnxruntime/quantization",
    "onnxruntime/datasets",
    "numpy/f2py",
    "numpy/_pyinstaller",
    "numpy/typing/tests",
    "bin",  # console scripts, with this machine's interpreter in their #! line
)
TRIMMED_DIR_NAMES = frozenset({"__pycache__", "tests"})
TRIMMED_SUFFIXES = (".pyc", ".pyi")


def install(requirements: Path, site_packages: Path) -> None:
    """pip-install the pinned requirements, wheels only, for the Lambda platform."""
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
        *("--no-deps", "--no-compile", "--only-binary=:all:", "--implementation", "cp"),
        *(arg for platform in PLATFORMS for arg in ("--platform", platform)),
        *("--python-version", PYTHON_VERSION),
        *("--target", str(site_packages), "--requirement", str(requirements)),
    ]
    subprocess.run(command, check=True)


def trim(site_packages: Path) -> None:
    """Remove what the serving path never imports."""
    for relative in TRIMMED:
        shutil.rmtree(site_packages / relative, ignore_errors=True)
    # Only numpy's test folders: other packages may have a real module named `tests`.
    for path in sorted((site_packages / "numpy").rglob("*"), reverse=True):
        if path.is_dir() and path.name in TRIMMED_DIR_NAMES:
            shutil.rmtree(path)
    for path in sorted(site_packages.rglob("*"), reverse=True):
        if path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)
        elif path.is_file() and path.name.endswith(TRIMMED_SUFFIXES):
            path.unlink()


def build(layer_root: Path, requirements: Path = HERE / "requirements.txt") -> Path:
    """Build the layer into `layer_root/python` (what Lambda puts on sys.path); returns it."""
    site_packages = layer_root / "python"
    if site_packages.exists():
        shutil.rmtree(site_packages)
    site_packages.mkdir(parents=True)
    install(requirements, site_packages)
    trim(site_packages)
    return site_packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layer_root", type=Path, help="the layer's root; python/ goes inside")
    parser.add_argument("--requirements", type=Path, default=HERE / "requirements.txt")
    args = parser.parse_args(argv)
    build(args.layer_root, args.requirements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
