"""Names Rasa 3.6 reserves in every domain (rasa/shared/core/constants.py)."""

from __future__ import annotations

# The training-data format version this loader reads; files may say lower, not higher.
LATEST_FORMAT_VERSION = "3.1"

ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_SESSION_START = "action_session_start"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
ACTION_REVERT_FALLBACK_EVENTS = "action_revert_fallback_events"
ACTION_DEFAULT_ASK_AFFIRMATION = "action_default_ask_affirmation"
ACTION_DEFAULT_ASK_REPHRASE = "action_default_ask_rephrase"
ACTION_TWO_STAGE_FALLBACK = "action_two_stage_fallback"
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"
ACTION_BACK = "action_back"
RULE_SNIPPET_ACTION = "..."  # what a rule's `...` / `wait_for_user_input: false` becomes
ACTION_EXTRACT_SLOTS = "action_extract_slots"
ACTION_VALIDATE_SLOT_MAPPINGS = "action_validate_slot_mappings"  # only if the user defines it
ACTION_QUERY_KNOWLEDGE_BASE = "action_query_knowledge_base"

# Exactly Rasa 3.6.21's DEFAULT_ACTION_NAMES, in its order: the first indices of every
# domain's action list (action_listen is index 0). Rasa 3.6 has no `action_send_text`
# (it arrived with Rasa Pro), so it is not here either.
DEFAULT_ACTIONS: tuple[str, ...] = (
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    ACTION_DEFAULT_FALLBACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_TWO_STAGE_FALLBACK,
    ACTION_UNLIKELY_INTENT,
    ACTION_BACK,
    RULE_SNIPPET_ACTION,
    ACTION_EXTRACT_SLOTS,
)

INTENT_RESTART = "restart"
INTENT_BACK = "back"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_SESSION_START = "session_start"
INTENT_NLU_FALLBACK = "nlu_fallback"
DEFAULT_INTENTS: tuple[str, ...] = (
    INTENT_RESTART,
    INTENT_BACK,
    INTENT_OUT_OF_SCOPE,
    INTENT_SESSION_START,
    INTENT_NLU_FALLBACK,
)

REQUESTED_SLOT = "requested_slot"
SESSION_STARTED_METADATA_SLOT = "session_started_metadata"
KNOWLEDGE_BASE_SLOTS: tuple[str, ...] = (
    "knowledge_base_listed_objects",
    "knowledge_base_last_object",
    "knowledge_base_last_object_type",
)

DEFAULT_CATEGORICAL_VALUE = "__other__"
ENTITY_LABEL_SEPARATOR = "#"  # `entity#role` / `entity#group` labels for featurization
RESPONSE_KEY_SEPARATOR = "/"  # `utter_faq/ask_name`
UTTER_PREFIX = "utter_"

DEFAULT_SESSION_EXPIRATION_MINUTES = 60
DEFAULT_CARRY_OVER_SLOTS = True

# A file is a domain file when its top level has one of these (Rasa's ALL_DOMAIN_KEYS).
DOMAIN_KEYS: tuple[str, ...] = (
    "intents",
    "entities",
    "slots",
    "forms",
    "responses",
    "actions",
    "e2e_actions",
    "session_config",
)
TOP_LEVEL_KEYS: tuple[str, ...] = (*DOMAIN_KEYS, "version", "config")
# Training-data keys a mixed file may hold next to domain keys; the domain reader skips them.
DATA_KEYS: tuple[str, ...] = ("nlu", "stories", "rules")
