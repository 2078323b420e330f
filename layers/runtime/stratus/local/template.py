"""Reading template.yaml, so local resources and tests use the deployed definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem


class _TemplateLoader(yaml.SafeLoader):
    """Accepts CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) as plain values."""


def _intrinsic(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"Fn::{suffix}" if suffix != "Ref" else "Ref": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def read_template(path: str | Path) -> dict[str, Any]:
    """The template as a dict; short-form intrinsics become their long form."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=_TemplateLoader)  # a safe loader subclass
    except (OSError, yaml.YAMLError) as e:
        raise ProjectError(Problem(f"cannot read the SAM template: {e}", str(path))) from None
    if not isinstance(data, dict) or "Resources" not in data:
        raise ProjectError(Problem("not a SAM/CloudFormation template (no Resources)", str(path)))
    return data


def resource_properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """The `Properties` of one resource of the template."""
    resource = template["Resources"].get(logical_id)
    if resource is None:
        raise ProjectError(
            Problem(f"the template has no resource '{logical_id}'", None, None, "Resources")
        )
    return dict(resource.get("Properties") or {})
