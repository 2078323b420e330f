"""Actions: the default ones, responses, forms, slot mappings and custom-action clients."""

from stratus.core.actions.base import Action, ActionContext, bot_utterance
from stratus.core.actions.client import (
    ActionClient,
    ActionDomainRequired,
    InProcessActionClient,
    LambdaContext,
)
from stratus.core.actions.forms import FormAction
from stratus.core.actions.registry import UnknownActionError, action_for_name
from stratus.core.actions.remote import RemoteAction, action_request
from stratus.core.actions.slot_mappings import ActionExtractSlots

__all__ = [
    "Action",
    "ActionClient",
    "ActionContext",
    "ActionDomainRequired",
    "ActionExtractSlots",
    "FormAction",
    "InProcessActionClient",
    "LambdaContext",
    "RemoteAction",
    "UnknownActionError",
    "action_for_name",
    "action_request",
    "bot_utterance",
]
