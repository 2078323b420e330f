"""A model stores its training domain so that the policies' action list comes back equal."""

from __future__ import annotations

from pathlib import Path

from stratus.model.plan import DOMAIN_FILE, domain_to_model_json, load_model_domain
from stratus.shared.domain import domain_from_yaml

DOMAIN = """\
version: "3.1"
intents: [greet, inform]
slots:
  zeta:
    type: text
    mappings: [{type: from_text}]
  alpha:
    type: bool
    mappings: [{type: from_intent, intent: greet, value: true}]
forms:
  zebra_form:
    required_slots: [zeta]
  apple_form:
    required_slots: [alpha]
responses:
  utter_greet:
    - text: hi
actions: [action_zz, action_aa]
"""


def test_declaration_order_of_forms_slots_and_actions_survives(tmp_path: Path) -> None:
    domain = domain_from_yaml(DOMAIN)
    (tmp_path / DOMAIN_FILE).write_text(domain_to_model_json(domain))
    loaded = load_model_domain(tmp_path)
    assert loaded.action_names == domain.action_names
    assert loaded.action_names[-2:] == ("zebra_form", "apple_form")
    assert loaded.slot_names == domain.slot_names
    assert loaded == domain
