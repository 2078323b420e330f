"""template.yaml against the code it deploys: handlers, variables, routes, layer pins."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from stratus.local.template import read_template

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = read_template(REPO / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {
    name: resource
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Serverless::Function"
}
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE["Globals"]["Function"]
# Packages the Lambda runtime provides, or that only local serving and training need.
NOT_IN_THE_LAYER = {
    "boto3",
    "botocore",
    "s3transfer",
    "uvicorn",
    "httptools",
    "uvloop",
    "tensorflow",
    "keras",
}


def _module_names(path: Path) -> set[str]:
    """Names a module defines at top level (functions, classes, assignments)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _makefile_targets(folder: Path) -> set[str]:
    text = (folder / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, flags=re.MULTILINE))


def _environment(resource: dict[str, Any]) -> dict[str, Any]:
    variables = dict(GLOBAL_FUNCTION.get("Environment", {}).get("Variables", {}))
    variables.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return variables


def _pins(lines: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_the_handler_it_names(name: str) -> None:
    properties = FUNCTIONS[name]["Properties"]
    code = REPO / properties["CodeUri"]
    module, _, attribute = properties["Handler"].rpartition(".")
    metadata = FUNCTIONS[name].get("Metadata", {})
    if metadata.get("BuildMethod") == "makefile":
        # The Makefile copies CodeUri into a package: handler `pkg.module.attr`.
        makefile_dir = REPO / metadata.get("ContextPath", properties["CodeUri"])
        assert f"build-{name}" in _makefile_targets(makefile_dir)
        module = module.partition(".")[2]
    handler = code / (module.replace(".", "/") + ".py")
    assert handler.is_file(), f"{name}: {handler.relative_to(REPO)} does not exist"
    assert attribute in _module_names(handler), f"{name}: {handler} has no {attribute}"


@pytest.mark.parametrize(
    "name", sorted(n for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::LayerVersion")
)
def test_every_layer_has_its_build_target(name: str) -> None:
    layer = RESOURCES[name]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert f"build-{name}" in _makefile_targets(REPO / layer["Properties"]["ContentUri"])


def _code_read_by(resource: dict[str, Any]) -> str:
    """The Python the function runs: its code, the shared doors' code and the engine."""
    folders = [REPO / resource["Properties"]["CodeUri"], REPO / "layers" / "runtime" / "stratus"]
    if resource["Properties"]["CodeUri"].startswith("functions/"):
        folders.append(REPO / "functions")
    return "\n".join(
        path.read_text(encoding="utf-8") for folder in folders for path in folder.rglob("*.py")
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_variable_the_template_sets_is_read(name: str) -> None:
    resource = FUNCTIONS[name]
    variables = _environment(resource)
    code = _code_read_by(resource)
    powertools = pytest.importorskip("aws_lambda_powertools")
    powertools_code = "\n".join(
        path.read_text(encoding="utf-8") for path in Path(powertools.__file__).parent.rglob("*.py")
    )
    unread = [
        variable
        for variable in variables
        if f'"{variable}"' not in code
        and not (variable.startswith("POWERTOOLS_") and f'"{variable}"' in powertools_code)
    ]
    assert not unread, f"{name} sets variables nothing reads: {unread}"


def test_the_http_api_routes_every_path_of_the_server() -> None:
    routes = [
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for function in FUNCTIONS.values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    ]

    def routed(method: str, path: str) -> bool:
        for route_method, route in routes:
            pattern = re.escape(route).replace(re.escape("{proxy+}"), ".+")
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", pattern)
            if route_method in (method, "ANY") and re.fullmatch(pattern, path.rstrip("/") or "/"):
                return True
        return False

    server = REPO / "layers" / "runtime" / "stratus" / "server"
    declared = []
    for module, prefix in (("app.py", ""), ("api.py", ""), ("rest.py", "/webhooks/rest")):
        source = (server / module).read_text(encoding="utf-8")
        for method, path in re.findall(r'@(?:app|router)\.(get|post|put)\(\s*"([^"]*)"', source):
            declared.append((method.upper(), prefix + path))
    assert len(declared) >= 15
    for channel in ("slack", "telegram", "facebook"):
        declared.append(("POST", f"/webhooks/{channel}/webhook"))
    missing = [route for route in declared if not routed(*route)]
    assert not missing, f"paths the server serves but the HTTP API does not route: {missing}"


def test_the_deps_layer_pins_what_pyproject_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _pins(project["dependencies"] + project["optional-dependencies"].get("lambda", []))
    layer = _pins((REPO / "layers" / "deps" / "requirements.txt").read_text().splitlines())
    for package, version in runtime.items():
        if package in NOT_IN_THE_LAYER:
            assert package not in layer, f"{package} must not be in the deps layer"
        else:
            assert layer.get(package) == version, (
                f"{package}: pyproject {version}, layer {layer.get(package)}"
            )
    assert not NOT_IN_THE_LAYER & set(layer)


def test_samconfig_deploys_one_stack_per_stage() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    stages = TEMPLATE["Parameters"]["Stage"]["AllowedValues"]
    for stage in stages:
        deploy = config[stage]["deploy"]["parameters"]
        assert deploy["stack_name"] == f"stratus-{stage}"
        assert f'Stage="{stage}"' in deploy["parameter_overrides"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True
