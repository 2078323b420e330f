"""A stand-in for a Duckling server (https://github.com/facebook/duckling) on loopback.

Duckling is a Haskell program with no PyPI or Debian package, so the tests run this
instead: a real HTTP server (`FakePlatform`) answering `POST /parse` with Duckling's
JSON for a few dimensions, in the shapes its HTTP server returns (`body`, `start`,
`end`, `dim`, `latent`, and `value` with `type` "value" or "interval"). It reads the
form fields Duckling reads (`text`, `dims`, `reftime`, `locale`, `tz`) and, like
Duckling, answers only the dimensions `dims` asks for ("null" or none: all).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from typing import Any

from fake_platforms import Answer, FakePlatform, Recorded

_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
}
_NUMBER = re.compile(r"\b(\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")\b", re.IGNORECASE)
_TOMORROW = re.compile(r"\btomorrow\b", re.IGNORECASE)
_TONIGHT = re.compile(r"\btonight\b", re.IGNORECASE)


def form(request: Recorded) -> dict[str, str]:
    """The form fields of a recorded POST."""
    return dict(urllib.parse.parse_qsl(str(request.body or ""), keep_blank_values=True))


def duckling_answer(request: Recorded, honour_dims: bool = True) -> Answer:
    fields = form(request)
    if "text" not in fields:  # Duckling: "Need a 'text' parameter to parse"
        return Answer(422, "Need a 'text' parameter to parse")
    text = fields["text"]
    dims = json.loads(fields.get("dims") or "null") or None
    reftime = dt.datetime.fromtimestamp(int(fields.get("reftime", "0")) / 1000, dt.UTC)
    matches: list[dict[str, Any]] = []
    for m in _NUMBER.finditer(text):
        raw = m.group(1).lower()
        number: int | float = _WORDS[raw] if raw in _WORDS else float(raw)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        matches.append(_match(m, "number", {"value": number, "type": "value"}))
    for m in _TOMORROW.finditer(text):
        day = (reftime + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        value = {"value": _iso(day), "grain": "day", "type": "value"}
        matches.append(_match(m, "time", {**value, "values": [dict(value)]}))
    for m in _TONIGHT.finditer(text):
        start = reftime.replace(hour=18, minute=0, second=0, microsecond=0)
        ends = {
            "from": {"value": _iso(start), "grain": "hour"},
            "to": {"value": _iso(start + dt.timedelta(hours=6)), "grain": "hour"},
        }
        matches.append(_match(m, "time", {**ends, "type": "interval", "values": [dict(ends)]}))
    if dims and honour_dims:
        matches = [match for match in matches if match["dim"] in dims]
    return Answer(200, sorted(matches, key=lambda match: match["start"]))


def _match(m: re.Match[str], dim: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "body": m.group(0),
        "start": m.start(),
        "end": m.end(),
        "dim": dim,
        "latent": False,
        "value": value,
    }


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000") + "+00:00"


def start_duckling(honour_dims: bool = True) -> FakePlatform:
    """A Duckling stand-in on 127.0.0.1; `close()` it when done. With `honour_dims`
    false it answers every dimension whatever `dims` asks for."""
    return FakePlatform(lambda request: duckling_answer(request, honour_dims))
