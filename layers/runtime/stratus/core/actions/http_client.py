"""The HTTP action client: an existing action server (`rasa run actions`, rasa_sdk).

Configured as Rasa configures it (endpoints.yml)::

    action_endpoint:
      url: http://localhost:5055/webhook
      headers: {X-Api-Key: ...}          # optional, sent with every request
      params: {tenant: a}                # optional query parameters
      token: secret                      # optional: sent as ?token=secret
      token_name: token                  # optional: the query parameter for the token
      basic_auth: {username: u, password: p}
      cafile: /path/to/ca.pem            # optional: trust this CA for https
      timeout: 300                       # optional, seconds (Rasa waits 300)

The standard library's urllib does the work, so the Lambda layer carries no HTTP
library for it. Statuses keep Rasa's meaning (`answer_from_status`): 400 rejects the
action, 449 asks for the domain, 404 and 500 fail it, and so does a server that cannot
be reached or does not answer in time.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from stratus.core.actions.client import answer_from_status, request_json
from stratus.shared.events import JsonDict
from stratus.shared.exceptions import ActionFailure

# Rasa's DEFAULT_REQUEST_TIMEOUT for the action server.
DEFAULT_HTTP_TIMEOUT = 300.0


class HttpActionClient:
    """POSTs the action-server request to `url` and maps the answer to Rasa's meaning."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        token: str | None = None,
        token_name: str = "token",
        basic_auth: Mapping[str, Any] | None = None,
        cafile: str | None = None,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
    ) -> None:
        self.url = _with_params(url, {**(params or {}), **({token_name: token} if token else {})})
        self.headers = {str(k): str(v) for k, v in (headers or {}).items()}
        self.headers.setdefault("Content-Type", "application/json")
        if basic_auth:
            pair = f"{basic_auth.get('username', '')}:{basic_auth.get('password', '')}"
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self.timeout = timeout
        self._ssl = ssl.create_default_context(cafile=cafile) if cafile else None

    def call(self, request: JsonDict) -> JsonDict:
        name = str(request.get("next_action"))
        data = request_json(request).encode("utf-8")
        http_request = urllib.request.Request(
            self.url, data=data, headers=self.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(
                http_request, timeout=self.timeout, context=self._ssl
            ) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:  # refused, DNS, TLS, timeout
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise ActionFailure(
                    f"Action '{name}': the action server at {self._safe_url} did not answer "
                    f"within {self.timeout:g} seconds."
                ) from error
            raise ActionFailure(
                f"Action '{name}': the action server at {self._safe_url} could not be "
                f"reached: {reason}"
            ) from error
        try:
            answer = json.loads(body) if body else None
        except ValueError:
            if 200 <= status < 300:
                raise ActionFailure(
                    f"Action '{name}': the action server answered malformed JSON: {body[:200]!r}"
                ) from None
            answer = body.decode("utf-8", "replace")
        return answer_from_status(name, status, answer)

    @property
    def _safe_url(self) -> str:
        """The URL without its query (which may hold the token), for messages."""
        return self.url.split("?", 1)[0]


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    if not params:
        return url
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + separator + urllib.parse.urlencode({k: str(v) for k, v in params.items()})
