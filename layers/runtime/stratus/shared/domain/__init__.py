"""The Rasa 3.6 domain: loading, validating, merging and serializing it.

    domain = load_domain("domain.yml")            # a file, a directory, or a list of them
    domain = domain.with_responses(data_responses)  # `responses:` found in data files
    domain.action_names                           # the ordered action list policies index
    domain.as_dict()                              # Rasa's GET /domain JSON

What a caller must know:

* Invalid input raises `ProjectError` listing every problem of every file, each with
  file, line and field (`domain.yml:12: error: slots.cuisine.type: unknown slot type
  'txt'. Did you mean 'text'?`). Warnings never raise: they are on `domain.warnings`
  (a tuple of `Problem` with severity WARNING), which equality ignores.
* Warnings, not errors: an intent, entity or action listed twice in one file (the first
  is kept; Rasa 3.6 rejects these), the same name defined in two files (the first file in
  sorted path order wins; Rasa warns too), unknown top-level keys (Rasa ignores them), an
  unreadable YAML file inside a domain directory (skipped, as Rasa does).
* Errors where Rasa 3.6 accepts silently: unknown keys inside intents, entities, slots,
  mappings, forms, responses, session_config and config (Rasa drops most of them).
  A response variation needs one of text, image, custom, buttons, attachment,
  elements or quick_replies (Rasa 3.6 insists on text or custom).
* A slot needs `mappings:`, as in Rasa 3.6 (`mappings: []` is fine).
* Completed as Rasa does: default intents are in `intents`; `requested_slot` (if there
  are forms), the knowledge-base slots (if `action_query_knowledge_base` is declared) and
  `session_started_metadata` are in `slots`; categorical slots get `__other__`.
* `action_names` order (what policies featurize by index): Rasa 3.6's 13 default actions
  (`action_listen` = 0 ... `...`, `action_extract_slots`), declared actions in order,
  `utter_<intent>` of each retrieval intent, the remaining responses sorted by name, then
  forms. `action_names_or_texts` appends the end-to-end bot texts. Policies should store
  the list they trained with in the model rather than trust it to be recomputed equal.
"""

from stratus.shared.domain.actions import Action
from stratus.shared.domain.constants import (
    DEFAULT_ACTIONS,
    DEFAULT_INTENTS,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
)
from stratus.shared.domain.domain import Domain, SessionConfig
from stratus.shared.domain.forms import Form
from stratus.shared.domain.intents import Entity, Intent
from stratus.shared.domain.loader import (
    domain_from_dict,
    domain_from_yaml,
    is_domain_file,
    load_domain,
)
from stratus.shared.domain.mappings import MappingCondition, SlotMapping
from stratus.shared.domain.merge import merge_domains
from stratus.shared.domain.responses import (
    Response,
    ResponseCondition,
    ResponseVariation,
    responses_from_yaml,
)
from stratus.shared.domain.slots import Slot

__all__ = [
    "DEFAULT_ACTIONS",
    "DEFAULT_INTENTS",
    "REQUESTED_SLOT",
    "SESSION_STARTED_METADATA_SLOT",
    "Action",
    "Domain",
    "Entity",
    "Form",
    "Intent",
    "MappingCondition",
    "Response",
    "ResponseCondition",
    "ResponseVariation",
    "SessionConfig",
    "Slot",
    "SlotMapping",
    "domain_from_dict",
    "domain_from_yaml",
    "is_domain_file",
    "load_domain",
    "merge_domains",
    "responses_from_yaml",
]
