"""DucklingEntityExtractor: numbers, dates, amounts and the like from a Duckling server.

Rasa's component is an HTTP client of a Duckling server the user runs
(https://github.com/facebook/duckling); so is this one, with Rasa 3.6's request and
entity shapes. It learns nothing: training only checks its options, and every parse
POSTs the text to `<url>/parse`. The `RASA_DUCKLING_HTTP_URL` environment variable
wins over the configured `url`, as in Rasa; the doors read it (`duckling_url_from`)
and pass it to the loaded component.

As in Rasa, a server that cannot be reached, answers with an error or does not answer
within `timeout` seconds costs the message its Duckling entities, never the parse: the
failure is logged and the rest of the pipeline runs. Unlike Rasa, an answer that is not
Duckling's JSON is logged and skipped too (Rasa 3.6 raises, failing the request).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any, ClassVar

from stratus.nlu.component import Component
from stratus.nlu.message import Message

logger = logging.getLogger(__name__)

# Rasa's variable for the server's URL; set, it wins over the component's `url`.
DUCKLING_URL_VARIABLE = "RASA_DUCKLING_HTTP_URL"
_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
# Characters of an unexpected answer quoted in the log.
_QUOTED = 200


def duckling_url_from(env: Mapping[str, str]) -> str | None:
    """The Duckling server a door's environment names, if any (Rasa's variable)."""
    return env.get(DUCKLING_URL_VARIABLE, "").strip() or None


class DucklingEntityExtractor(Component):
    """Entities of the configured Duckling dimensions, from the user's Duckling server."""

    name = "DucklingEntityExtractor"
    # Rasa 3.6's defaults, option for option.
    defaults: ClassVar[dict[str, Any]] = {
        # the dimensions to keep ("number", "time", "amount-of-money", ...); None: all
        "dimensions": None,
        "url": None,
        # e.g. "de_DE"; None: not sent, so the server uses its own default (en_US)
        "locale": None,
        # e.g. "Europe/Berlin"; None: the server's own time zone
        "timezone": None,
        "timeout": 3,
    }

    def __init__(self, config: dict[str, Any], url: str | None = None) -> None:
        super().__init__(config)
        # the environment's server (see `duckling_url_from`) over the configured one
        self.url: str | None = url or config.get("url") or None
        dimensions = config.get("dimensions")
        self._dimensions = set(dimensions) if dimensions else None
        self._warned = False

    @property
    def parse_url(self) -> str | None:
        """Rasa's `concat_url(url, "/parse")`."""
        if not self.url:
            return None
        return (self.url if self.url.endswith("/") else self.url + "/") + "parse"

    def process(self, messages: list[Message]) -> None:
        url = self.parse_url
        if url is None:
            if not self._warned:  # Rasa warns once per call site too
                self._warned = True
                logger.warning(
                    "DucklingEntityExtractor is in the pipeline, but it has no `url` and "
                    "%s is not set: no Duckling entities will be extracted.",
                    DUCKLING_URL_VARIABLE,
                )
            return
        for message in messages:
            # Rasa sends the current time in whole seconds, as milliseconds.
            matches = self._parse(url, message.text, int(time.time()) * 1000)
            found = [
                entity
                for entity in (_entity(m) for m in matches)
                if entity is not None
                and (self._dimensions is None or entity["entity"] in self._dimensions)
            ]
            for entity in found:
                entity["extractor"] = self.name
            message.entities = (message.entities or []) + found

    def _payload(self, text: str, reference_time: int) -> bytes:
        fields = {
            "text": text,
            "locale": self.config.get("locale"),
            "tz": self.config.get("timezone"),
            # Rasa sends json.dumps(None) ("null") when every dimension is wanted.
            "dims": json.dumps(self.config.get("dimensions")),
            "reftime": reference_time,
        }
        # Unset fields are left out, as `requests` leaves out Rasa's None values.
        kept = {k: v for k, v in fields.items() if v is not None}
        return urllib.parse.urlencode(kept).encode("utf-8")

    def _parse(self, url: str, text: str, reference_time: int) -> list[Any]:
        """Duckling's matches for `text`; [] (logged) when the server fails."""
        # ~18 ms of imports (http.client, tempfile): paid only by pipelines that call out.
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            url, data=self._payload(text, reference_time), headers=_FORM, method="POST"
        )
        timeout = self.config.get("timeout")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            logger.error(
                "Failed to get a proper response from remote duckling at '%s'. "
                "Status Code: %s. Response: %s",
                url,
                error.code,
                error.read()[:_QUOTED].decode("utf-8", "replace"),
            )
            return []
        except (urllib.error.URLError, OSError) as error:  # refused, DNS, timeout
            logger.error(
                "Failed to connect to the Duckling server at '%s': %s. Make sure it is "
                "running and that `url` in config.yml (or %s) names its host and port; "
                "https://github.com/facebook/duckling#quickstart shows how to run one.",
                url,
                getattr(error, "reason", error),
                DUCKLING_URL_VARIABLE,
            )
            return []
        try:
            matches = json.loads(body)
        except ValueError:
            matches = None
        if not isinstance(matches, list):
            logger.error(
                "The Duckling server at '%s' answered with something other than a list of "
                "matches; no Duckling entities for this message. Answer: %s",
                url,
                body[:_QUOTED].decode("utf-8", "replace"),
            )
            return []
        return matches


def _entity(match: Any) -> dict[str, Any] | None:
    """Rasa's `convert_duckling_format_to_rasa` for one match; None (logged) for a match
    without Duckling's fields."""
    try:
        value = match["value"]
        entity = {
            "start": int(match["start"]),
            "end": int(match["end"]),
            "text": match.get("body", match.get("text")),
            "value": _value(value),
            "confidence": 1.0,
            "additional_info": value,
            "entity": str(match["dim"]),
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        logger.error("Skipped a Duckling match without start, end, dim and value: %.200r", match)
        return None
    return entity


def _value(value: Mapping[str, Any]) -> Any:
    """An interval's ends, or the value itself (Rasa's `extract_value`)."""
    if value.get("type") == "interval":
        return {
            "to": (value.get("to") or {}).get("value"),
            "from": (value.get("from") or {}).get("value"),
        }
    return value.get("value")
