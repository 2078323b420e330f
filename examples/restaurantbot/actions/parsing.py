"""Turning what people type into booking values: clock times, party sizes, cuisines."""

from __future__ import annotations

import re
from typing import Any

MIN_PARTY = 1
MAX_PARTY = 20
# Bookable table times (the kitchen closes at 22:30, the restaurant at 23:00).
FIRST_TABLE = "11:00"
LAST_TABLE = "22:00"

CUISINES = (
    "italian",
    "japanese",
    "indian",
    "mexican",
    "thai",
    "chinese",
    "french",
    "greek",
    "spanish",
    "korean",
    "vietnamese",
    "lebanese",
)
_CUISINE_SYNONYMS = {
    "pizza": "italian",
    "pasta": "italian",
    "sushi": "japanese",
    "ramen": "japanese",
    "curry": "indian",
    "tacos": "mexican",
    "burritos": "mexican",
    "dim sum": "chinese",
    "tapas": "spanish",
    "pho": "vietnamese",
}

_UNITS = {
    "zero": 0,
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
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_NUMBER_PHRASES = {"a dozen": 12, "dozen": 12, "a couple": 2, "couple": 2, "a pair": 2}


def words_to_number(text: str) -> int | None:
    """``"six"`` -> 6, ``"twenty one"`` -> 21, ``"a dozen"`` -> 12; None if not a number."""
    words = re.sub(r"[-\s]+", " ", text.strip().lower()).split()
    phrase = " ".join(words)
    if phrase in _NUMBER_PHRASES:
        return _NUMBER_PHRASES[phrase]
    if len(words) == 1:
        word = words[0]
        return _UNITS.get(word, _TENS.get(word))
    if len(words) == 2 and words[0] in _TENS and words[1] in _UNITS and 0 < _UNITS[words[1]] < 10:
        return _TENS[words[0]] + _UNITS[words[1]]
    return None


def parse_number(value: Any) -> float | None:
    """The first number in ``value``: 4, 4.0, "4", "4 people", "six", "a dozen of us"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    digits = re.search(r"\d+(?:[.,]\d+)?", text)
    if digits:
        return float(digits.group().replace(",", "."))
    for phrase, number in _NUMBER_PHRASES.items():
        if re.search(rf"\b{phrase}\b", text):
            return float(number)
    words = re.findall(r"[a-z]+", text)
    for index, word in enumerate(words):
        if word in _TENS:
            unit = _UNITS.get(words[index + 1]) if index + 1 < len(words) else None
            return float(_TENS[word] + (unit if unit is not None and 0 < unit < 10 else 0))
        if word in _UNITS:
            return float(_UNITS[word])
    return None


def parse_party_size(value: Any) -> float | None:
    """A valid party size (a whole number of people, 1 to 20) as a float, else None."""
    number = parse_number(value)
    if number is None or not number.is_integer() or not MIN_PARTY <= number <= MAX_PARTY:
        return None
    return number


def normalize_cuisine(value: Any) -> str | None:
    """``"Italian food"`` -> ``"italian"``, ``"sushi"`` -> ``"japanese"``; None if not served."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", value.strip().lower())
    text = re.sub(r"\s+(food|cuisine|restaurant|place)$", "", text)
    text = _CUISINE_SYNONYMS.get(text, text)
    return text if text in CUISINES else None


# --- clock times ---------------------------------------------------------------

_PM_HINTS = re.compile(
    r"\b(pm|p\.m\.?|tonight|this evening|in the evening|evening|this afternoon|"
    r"in the afternoon|afternoon|for dinner|dinner)\b"
)
_AM_HINTS = re.compile(r"\b(am|a\.m\.?|in the morning|this morning|morning)\b")
_FILLER = re.compile(
    r"\b(at|around|about|by|for|say|let's|lets|maybe|please|approximately|approx|"
    r"roughly|ish|o'clock|oclock|o clock|sharp|today|tomorrow|tonight|this|evening|"
    r"afternoon|morning|in|the|dinner|lunch|pm|am|p\.m\.?|a\.m\.?|h)\b"
)
_MINUTE_WORDS = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "oh five": 5}


def _hour_word(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return words_to_number(token)


def _clock(hour: int, minute: int, am: bool, pm: bool) -> str | None:
    if not 0 <= minute <= 59 or not 0 <= hour <= 23:
        return None
    if pm and hour < 12:
        hour += 12
    elif am:
        if hour > 12:
            return None
        if hour == 12:
            hour = 0
    elif 1 <= hour <= 10:
        # No hint: a restaurant booking at "8" means 20:00, not 08:00.
        hour += 12
    return f"{hour:02d}:{minute:02d}"


def parse_time(value: Any) -> str | None:
    """A booking time as ``"HH:MM"`` (24 h): "7pm", "19:30", "7:30 pm", "at 8",
    "noon", "tonight at 9", "half past seven", "quarter to eight", "1930"; else None.

    Bare hours from 1 to 10 are read as afternoon or evening ("at 8" -> "20:00").
    """
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", value.strip().lower())
    if not text:
        return None
    if re.search(r"\b(noon|midday)\b", text):
        return "12:00"
    if re.search(r"\bmidnight\b", text):
        return "00:00"
    # "7pm", "7.30am", "8ish": detach the suffix so the word patterns see it.
    text = re.sub(r"(\d)(am|pm|a\.m\.?|p\.m\.?|ish)\b", r"\1 \2", text)
    am = bool(_AM_HINTS.search(text))
    pm = bool(_PM_HINTS.search(text)) and not am
    text = re.sub(r"(\d)\s*(am|pm|a\.m\.?|p\.m\.?)(?=\s|$)", r"\1 ", text)
    # "19h30" -> "19:30"
    text = re.sub(r"\b(\d{1,2})h(\d{2})\b", r"\1:\2", text)

    relative = re.search(r"\b(half|quarter) (past|after|to) ([a-z]+|\d{1,2})\b", text) or re.search(
        r"\b(half) ([a-z]+|\d{1,2})\b", text
    )
    if relative:
        if relative.lastindex == 2:  # "half eight" (British): 8:30
            amount, direction, hour_token = "half", "past", relative.group(2)
        else:
            amount, direction, hour_token = relative.groups()
        hour = _hour_word(hour_token)
        if hour is None:
            return None
        minutes = 30 if amount == "half" else 15
        if direction == "to":
            if amount == "half":
                return None
            hour, minute = (hour - 1) % 24, 60 - minutes
            if hour == 0 and not am:
                hour = 12
        else:
            minute = minutes
        return _clock(hour, minute, am, pm)

    numeric = re.search(r"\b(\d{1,2})[:.](\d{2})\b", text)
    if numeric:
        return _clock(int(numeric.group(1)), int(numeric.group(2)), am, pm)
    compact = re.search(r"\b(\d{3,4})\b", text)
    if compact:
        digits = compact.group(1)
        return _clock(int(digits[:-2]), int(digits[-2:]), am, pm)

    rest = _FILLER.sub(" ", text)
    words = re.sub(r"[^a-z0-9' -]", " ", rest).split()
    if not words:
        return None
    hour = _hour_word(words[0])
    if hour is None:
        return None
    minute_text = " ".join(words[1:])
    if not minute_text:
        minute = 0
    elif minute_text.isdigit():
        minute = int(minute_text)
    elif minute_text in _MINUTE_WORDS:
        minute = _MINUTE_WORDS[minute_text]
    else:
        return None
    return _clock(hour, minute, am, pm)


def within_opening_hours(clock: str) -> bool:
    """Whether a table can be booked at ``clock`` (``"HH:MM"``)."""
    return FIRST_TABLE <= clock <= LAST_TABLE


def is_bare_number(text: str) -> bool:
    """A message that is only a number ("8", "eight", "at 8"), with no unit or clock."""
    cleaned = re.sub(r"^(at|around|about|maybe|say)\s+", "", text.strip().lower().rstrip("!.?"))
    return (cleaned.isdigit() and len(cleaned) <= 2) or words_to_number(cleaned) is not None
