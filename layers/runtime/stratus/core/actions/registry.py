"""Finding the action for a name: default, response, retrieval, end-to-end, form or custom."""

from __future__ import annotations

from stratus.core.actions.base import Action
from stratus.core.actions.defaults import (
    ActionBack,
    ActionDeactivateLoop,
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
    ActionListen,
    ActionRestart,
    ActionRevertFallbackEvents,
    ActionSessionStart,
    ActionUnlikelyIntent,
)
from stratus.core.actions.forms import FormAction
from stratus.core.actions.loops import TwoStageFallbackAction
from stratus.core.actions.remote import RemoteAction
from stratus.core.actions.responses import (
    ActionBotResponse,
    ActionEndToEndResponse,
    ActionRetrieveResponse,
)
from stratus.core.actions.slot_mappings import ActionExtractSlots
from stratus.shared.domain import Domain
from stratus.shared.domain.constants import UTTER_PREFIX
from stratus.shared.exceptions import StratusError

DEFAULT_ACTION_TYPES: dict[str, type[Action]] = {
    cls().name: cls
    for cls in (
        ActionListen,
        ActionRestart,
        ActionSessionStart,
        ActionDefaultFallback,
        ActionDeactivateLoop,
        ActionRevertFallbackEvents,
        ActionDefaultAskAffirmation,
        ActionDefaultAskRephrase,
        TwoStageFallbackAction,
        ActionUnlikelyIntent,
        ActionBack,
        ActionExtractSlots,
    )
}


class UnknownActionError(StratusError):
    """A name that is neither an action nor an end-to-end bot text of the domain."""


def action_for_name(name: str, domain: Domain) -> Action:
    """The action for `name`, resolved as Rasa 3.6 resolves it: a default action unless
    the user declared one of that name, then retrieval `utter_<intent>`, end-to-end
    text, `utter_*` responses, forms (unless overridden by a custom action), custom."""
    declared = {a.name for a in domain.actions}
    if name not in domain.action_names_or_texts:
        raise UnknownActionError(f"'{name}' is not an action of this domain.")
    default = DEFAULT_ACTION_TYPES.get(name)
    if default is not None and name not in declared and name not in domain.form_names:
        return default()
    if name.startswith(UTTER_PREFIX) and name[len(UTTER_PREFIX) :] in domain.retrieval_intents:
        return ActionRetrieveResponse(name)
    if name in domain.action_texts and name not in domain.action_names:
        return ActionEndToEndResponse(name)
    if name.startswith(UTTER_PREFIX):
        return ActionBotResponse(name)
    if name in domain.form_names and name not in declared:
        return FormAction(name)
    return RemoteAction(name)
