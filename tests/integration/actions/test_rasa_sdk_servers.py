"""A form validated by a real rasa_sdk `FormValidationAction` over HTTP, through the
processor: rasa_sdk 3.6 (what Rasa 3.6 users run) and the current rasa_sdk, which
answers 449 under selective domain, so the client sends the request again with it."""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

import pytest
from sdk_servers import ActionServer, book_a_table

from stratus.core.actions import ActionDomainRequired
from stratus.core.actions.clients import action_client_for
from stratus.core.actions.http_client import HttpActionClient
from stratus.core.nlg import TemplatedNaturalLanguageGenerator
from stratus.core.policies.ensemble import PolicyEnsemble
from stratus.core.processor import MessageProcessor, UserMessage
from stratus.shared.domain import Domain
from stratus.shared.endpoints import endpoints_from_dict
from stratus.shared.exceptions import ActionFailure, ActionRejection
from stratus.stores import SQLiteTrackerStore

pytestmark = pytest.mark.slow


def processor(
    trained: tuple[Domain, PolicyEnsemble], server: ActionServer, tmp_path: Path, selective: bool
) -> MessageProcessor:
    domain, ensemble = trained
    section = {"url": server.url, "enable_selective_domain": selective}
    endpoints = endpoints_from_dict({"action_endpoint": section})
    client = action_client_for(endpoints.action)
    assert isinstance(client, HttpActionClient)
    return MessageProcessor.from_endpoints(
        domain,
        ensemble,
        SQLiteTrackerStore(tmp_path / "trackers.db"),
        endpoints,
        action_client=client,
        nlg=TemplatedNaturalLanguageGenerator.for_domain(domain, random.Random(3)),
    )


def say(processor: MessageProcessor, text: str) -> list[str]:
    result = processor.handle_message(UserMessage(text, sender_id="diner"))
    return [str(m.get("text")) for m in result.messages]


@pytest.mark.parametrize("selective", [False, True], ids=["full-domain", "selective-domain"])
def test_the_form_is_validated_by_rasa_sdk(
    trained: tuple[Domain, PolicyEnsemble],
    action_server: ActionServer,
    tmp_path: Path,
    selective: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="stratus.core.actions.remote")
    bot = processor(trained, action_server, tmp_path, selective)
    book_a_table(lambda text: say(bot, text))
    retried = [r for r in caplog.records if "asked for the domain" in r.getMessage()]
    assert len(retried) == (1 if selective and action_server.name == "rasa_sdk current" else 0)
    tracker = bot.tracker("diner")
    assert tracker.get_slot("cuisine") is None and tracker.active_loop_name is None


def test_status_mapping_against_the_real_server(action_server: ActionServer) -> None:
    client = HttpActionClient(action_server.url, timeout=30)
    request: dict[str, Any] = {
        "next_action": "action_nope",
        "sender_id": "s",
        "tracker": {"sender_id": "s", "events": [], "slots": {}, "latest_message": {}},
        "version": "3.6.21",
    }
    with pytest.raises(ActionFailure, match="does not know action 'action_nope'"):
        client.call(request)
    request["next_action"] = "action_submit_booking"
    if action_server.name == "rasa_sdk current":
        with pytest.raises(ActionDomainRequired):
            client.call(request)  # no domain -> 449
    request["domain"] = {}
    with pytest.raises(ActionRejection, match="nothing to book"):
        client.call(request)  # no cuisine: the action rejects -> 400
    tracker = {**request["tracker"], "slots": {"cuisine": "greek", "num_people": None}}
    with pytest.raises(ActionFailure, match="status 500"):
        client.call({**request, "tracker": tracker})  # num_people unset: it raises -> 500
