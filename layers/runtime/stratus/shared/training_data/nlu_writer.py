"""NLU data written back as Rasa 3.x YAML (or Rasa's JSON), which both Stratus and Rasa
read back the same: the splits `stratus data split nlu` and `stratus test nlu`'s config
comparison write, `stratus data convert nlu`, and the datasets the benchmark hands to
Rasa."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import yaml

from stratus.shared.training_data.message import NluData, NluExample

YAML_VERSION = "3.1"


def example_markup(example: NluExample) -> str:
    """The example's text with its entities marked up as Rasa writes them: `[text](type)`,
    or `[text]{"entity": ..., "value": ..., "role": ..., "group": ...}` when the value is
    not the text or there is a role or group."""
    text, last = "", 0
    for a in sorted(example.entities, key=lambda a: a.start):
        marked = example.text[a.start : a.end]
        if a.value == marked and a.role is None and a.group is None:
            annotation = f"({a.entity})"
        else:
            fields: dict[str, Any] = {"entity": a.entity}
            if a.value != marked:
                fields["value"] = a.value
            for key in ("role", "group"):
                if getattr(a, key) is not None:
                    fields[key] = getattr(a, key)
            annotation = json.dumps(fields, ensure_ascii=False)
        text += example.text[last : a.start] + f"[{marked}]" + annotation
        last = a.end
    return text + example.text[last:]


def nlu_yaml(data: NluData) -> str:
    """`version` and `nlu`: the examples by intent (intents in order of first appearance),
    then the synonyms, regexes and lookup tables."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in data.examples:
        by_intent[example.full_intent or ""].append(example_markup(example))
    items: list[dict[str, Any]] = [
        {"intent": intent, "examples": _listed(texts)} for intent, texts in by_intent.items()
    ]
    variants = _synonym_variants(data)
    items += [{"synonym": name, "examples": _listed(v)} for name, v in variants.items()]
    items += [{"regex": r.name, "examples": _listed([r.pattern])} for r in data.regexes]
    items += [{"lookup": t.name, "examples": _listed(t.elements)} for t in data.lookup_tables]
    return yaml.dump(
        {"version": YAML_VERSION, "nlu": items},
        Dumper=_BlockDumper,
        allow_unicode=True,
        sort_keys=False,
        width=1_000_000,  # one example per line, however long
    )


def nlu_json(data: NluData) -> str:
    """Rasa's JSON format (`{"rasa_nlu_data": {...}}`), as `rasa data convert nlu -f json`
    writes it: examples with character-offset entities, synonyms, regexes, lookups."""
    examples = []
    for example in data.examples:
        item: dict[str, Any] = {"text": example.text, "intent": example.full_intent or ""}
        item["entities"] = [a.as_dict() for a in example.entities]
        examples.append(item)
    variants = _synonym_variants(data)
    body = {
        "rasa_nlu_data": {
            "common_examples": examples,
            "regex_features": [{"name": r.name, "pattern": r.pattern} for r in data.regexes],
            "lookup_tables": [
                {"name": t.name, "elements": list(t.elements)} for t in data.lookup_tables
            ],
            "entity_synonyms": [{"value": v, "synonyms": s} for v, s in variants.items()],
        }
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _synonym_variants(data: NluData) -> dict[str, list[str]]:
    """Each canonical value's variants, as both formats list synonyms."""
    variants: dict[str, list[str]] = defaultdict(list)
    for variant, canonical in data.synonyms.items():
        variants[str(canonical)].append(variant)
    return variants


def _listed(texts: Any) -> str:
    return "".join(f"- {t}\n" for t in texts)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the `examples` lists) as `|` blocks, as Rasa writes them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)
