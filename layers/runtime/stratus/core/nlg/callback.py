"""The NLG endpoint client (`nlg: url` in endpoints.yml), in Rasa's request/response shape."""

from __future__ import annotations

import base64
import json
import logging
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from stratus.shared.endpoints import EndpointConfig
from stratus.shared.events import JsonDict
from stratus.shared.exceptions import StratusError
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0
_LIST_KEYS = ("buttons", "elements", "quick_replies")
_OBJECT_KEYS = ("custom", "attachment")


class NLGEndpointError(StratusError):
    """The NLG endpoint could not be reached or answered something that is not a response."""


def nlg_request(
    utter_action: str, tracker: DialogueStateTracker, output_channel: str | None, **kwargs: Any
) -> JsonDict:
    """Rasa's NLG request body: `{response, arguments, tracker, channel: {name}}`."""
    return {
        "response": utter_action,
        "arguments": kwargs,
        "tracker": tracker.current_state(EventVerbosity.ALL),
        "channel": {"name": output_channel},
    }


def check_nlg_response(response: Any) -> JsonDict:
    """The response if it has Rasa's shape (`text` a string or null, list and object
    parts of the right kinds); raises NLGEndpointError otherwise."""
    if not isinstance(response, dict):
        raise NLGEndpointError(f"NLG endpoint answered {type(response).__name__}, not an object")
    if response.get("text") is not None and not isinstance(response["text"], str):
        raise NLGEndpointError("NLG endpoint answered a non-string 'text'")
    for key in _LIST_KEYS:
        if response.get(key) is not None and not isinstance(response[key], list):
            raise NLGEndpointError(f"NLG endpoint answered a non-list '{key}'")
    for key in _OBJECT_KEYS:
        if response.get(key) is not None and not isinstance(response[key], dict):
            raise NLGEndpointError(f"NLG endpoint answered a non-object '{key}'")
    return response


class CallbackNaturalLanguageGenerator:
    """Asks an external NLG server for every response (POST, JSON, stdlib urllib)."""

    def __init__(self, endpoint: EndpointConfig, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not endpoint.url:
            raise ValueError("the nlg endpoint needs a url")
        self.endpoint = endpoint
        self.timeout = timeout
        self._ssl = ssl.create_default_context(cafile=endpoint.cafile) if endpoint.cafile else None

    def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str | None,
        **kwargs: Any,
    ) -> JsonDict | None:
        body = nlg_request(utter_action, tracker, output_channel, **kwargs)
        return check_nlg_response(self._post(body))

    def _url(self) -> str:
        assert self.endpoint.url is not None
        params = dict(self.endpoint.params)
        if self.endpoint.token is not None:
            params[self.endpoint.token_name] = self.endpoint.token
        if not params:
            return self.endpoint.url
        separator = "&" if "?" in self.endpoint.url else "?"
        return f"{self.endpoint.url}{separator}{urllib.parse.urlencode(params)}"

    def _post(self, body: JsonDict) -> Any:
        headers = {
            "Content-Type": "application/json",
            **{k: str(v) for k, v in self.endpoint.headers.items()},
        }
        auth = self.endpoint.basic_auth
        if auth:
            raw = f"{auth.get('username', '')}:{auth.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        request = urllib.request.Request(
            self._url(), data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl) as reply:
                return json.loads(reply.read().decode("utf-8") or "null")
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise NLGEndpointError(f"NLG endpoint {self.endpoint.url} failed: {error}") from error
