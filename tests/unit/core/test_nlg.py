"""Response rendering: variation choice, conditions, channels, templating, NLG endpoint."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from core_helpers import tracker_with

from stratus.core.actions.base import bot_utterance
from stratus.core.nlg import (
    CallbackNaturalLanguageGenerator,
    TemplatedNaturalLanguageGenerator,
    generator_for_endpoint,
)
from stratus.core.nlg.callback import NLGEndpointError
from stratus.core.nlg.interpolation import interpolate_text
from stratus.shared.domain import domain_from_yaml
from stratus.shared.endpoints import EndpointConfig
from stratus.shared.events import SlotSet

DOMAIN = domain_from_yaml(
    """
version: "3.1"
slots:
  vip: {type: bool, mappings: []}
  city: {type: text, mappings: []}
  size: {type: float, mappings: []}
responses:
  utter_greet:
  - text: "VIP on slack"
    channel: slack
    condition: [{type: slot, name: vip, value: true}]
  - text: "plain on slack"
    channel: slack
  - text: "VIP anywhere"
    condition: [{type: slot, name: vip, value: true}]
  - text: "plain anywhere"
  utter_city:
  - text: "Berlin it is"
    condition: [{type: slot, name: city, value: berlin}]
  - text: "somewhere else"
  utter_many:
  - text: one
  - text: two
  - text: three
  utter_size:
  - text: "size {size} in {city}"
  utter_missing:
  - text: "hello {nobody}"
  utter_buttons:
  - text: "Pick {city}"
    buttons:
    - title: "Small in {city}"
      payload: '/inform{{"size": "small", "city": "{city}"}}'
    - title: single
      payload: '/inform{"size": "large"}'
  utter_rich:
  - image: "https://img.example/{city}.png"
    custom: {kind: card, where: "{city}"}
    attachment: {type: file, url: "https://files.example/a.pdf"}
"""
)


def render(name: str, *slots: SlotSet, channel: str | None = None, seed: int = 1) -> Any:
    nlg = TemplatedNaturalLanguageGenerator.for_domain(DOMAIN, random.Random(seed))
    return nlg.generate(name, tracker_with(DOMAIN, *slots), channel)


@pytest.mark.parametrize(
    ("vip", "channel", "expected"),
    [
        (True, "slack", "VIP on slack"),
        (False, "slack", "plain on slack"),
        (True, "rest", "VIP anywhere"),
        (False, "rest", "plain anywhere"),
        (None, None, "plain anywhere"),
    ],
)
def test_channel_and_condition_priority(vip: Any, channel: str | None, expected: str) -> None:
    slots = [] if vip is None else [SlotSet("vip", vip)]
    assert render("utter_greet", *slots, channel=channel)["text"] == expected


def test_conditions_compare_strings_without_case_and_other_types_strictly() -> None:
    assert render("utter_city", SlotSet("city", "BERLIN"))["text"] == "Berlin it is"
    # the string "true" is not the boolean true
    assert render("utter_greet", SlotSet("vip", "true"))["text"] == "plain anywhere"


def test_injected_rng_makes_the_variation_reproducible() -> None:
    texts = {render("utter_many", seed=s)["text"] for s in range(30)}
    assert texts == {"one", "two", "three"}
    assert render("utter_many", seed=3) == render("utter_many", seed=3)


def test_templates_print_raw_slot_values_and_none_for_unset() -> None:
    assert render("utter_size", SlotSet("size", "2"))["text"] == "size 2 in None"
    assert render("utter_size", SlotSet("size", 3.0), SlotSet("city", "Rome"))["text"] == (
        "size 3.0 in Rome"
    )


def test_missing_template_variable_keeps_text_and_logs_conversation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        message = render("utter_missing")
    assert message["text"] == "hello {nobody}"
    assert "tester" in caplog.text and "nobody" in caplog.text


def test_double_braces_in_button_payloads_become_json() -> None:
    message = render("utter_buttons", SlotSet("city", "Oslo"))
    assert message["text"] == "Pick Oslo"
    first, second = message["buttons"]
    assert first["title"] == "Small in Oslo"
    assert json.loads(first["payload"][len("/inform") :]) == {"size": "small", "city": "Oslo"}
    # single braces are not a template: sent unchanged
    assert second["payload"] == '/inform{"size": "large"}'


def test_interpolation_edge_cases() -> None:
    assert interpolate_text("{{a}} and {a}", {"a": 1}) == "{a} and 1"
    assert interpolate_text("stray } brace {a}", {"a": 1}) == "stray } brace {a}"
    assert interpolate_text("no templates", {}) == "no templates"


def test_rich_parts_are_templated_and_become_bot_data() -> None:
    message = render("utter_rich", SlotSet("city", "Oslo"))
    assert message["image"] == "https://img.example/Oslo.png"
    assert message["custom"] == {"kind": "card", "where": "Oslo"}
    event = bot_utterance({**message, "utter_action": "utter_rich"})
    assert event.data["image"] == "https://img.example/Oslo.png"
    assert event.data["attachment"] == {"type": "file", "url": "https://files.example/a.pdf"}
    assert event.metadata == {"utter_action": "utter_rich"}


def test_image_doubles_as_attachment_when_there_is_none() -> None:
    event = bot_utterance({"text": "look", "image": "https://x/y.png"})
    assert event.data["attachment"] == "https://x/y.png"


def test_unknown_response_renders_nothing() -> None:
    assert render("utter_nothing_like_this") is None


class _NLGServer(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    answer: Any = {"text": "from the server", "buttons": []}

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"body": body, "path": self.path})
        data = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def nlg_server() -> Iterator[str]:
    _NLGServer.requests = []
    _NLGServer.answer = {"text": "from the server", "buttons": []}
    server = HTTPServer(("127.0.0.1", 0), _NLGServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/nlg"
    server.shutdown()


def test_nlg_endpoint_gets_rasas_request_shape(nlg_server: str) -> None:
    endpoint = EndpointConfig(url=nlg_server, token="s3cret")
    nlg = generator_for_endpoint(endpoint, DOMAIN)
    assert isinstance(nlg, CallbackNaturalLanguageGenerator)
    tracker = tracker_with(DOMAIN, SlotSet("city", "Oslo"))
    message = nlg.generate("utter_greet", tracker, "slack", extra="x")
    assert message == {"text": "from the server", "buttons": []}
    (seen,) = _NLGServer.requests
    assert seen["path"].endswith("?token=s3cret")
    body = seen["body"]
    assert body["response"] == "utter_greet"
    assert body["arguments"] == {"extra": "x"}
    assert body["channel"] == {"name": "slack"}
    assert body["tracker"]["sender_id"] == "tester"
    assert body["tracker"]["slots"]["city"] == "Oslo"
    assert [e["event"] for e in body["tracker"]["events"]] == ["action", "slot"]


def test_nlg_endpoint_with_a_bad_answer_fails(nlg_server: str) -> None:
    _NLGServer.answer = {"text": 42}
    nlg = CallbackNaturalLanguageGenerator(EndpointConfig(url=nlg_server))
    with pytest.raises(NLGEndpointError):
        nlg.generate("utter_greet", tracker_with(DOMAIN), None)


def test_unreachable_nlg_endpoint_fails() -> None:
    nlg = CallbackNaturalLanguageGenerator(EndpointConfig(url="http://127.0.0.1:9/nlg"), timeout=1)
    with pytest.raises(NLGEndpointError):
        nlg.generate("utter_greet", tracker_with(DOMAIN), None)
