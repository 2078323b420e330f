"""The local stand-ins for the external services: fake weather and an order database."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@cache
def _table(name: str) -> dict[str, dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as file:
        rows = json.load(file)
    return {key: row for key, row in rows.items() if not key.startswith("_")}


def current_weather(city: str) -> dict[str, Any] | None:
    """``{"name", "condition", "temperature"}`` for a city (any case), or None."""
    return _table("weather.json").get(re.sub(r"\s+", " ", city.strip().lower()))


def normalize_order_id(value: Any) -> str | None:
    """``"#48213"``, ``"48 213"``, ``48213`` -> ``"48213"``; None without a 5-digit number."""
    digits = re.sub(r"[\s#-]", "", str(value)) if value is not None else ""
    return digits if re.fullmatch(r"\d{5}", digits) else None


def find_order(order_id: str) -> dict[str, Any] | None:
    """``{"status", "items"}`` of a takeaway order, or None."""
    return _table("orders.json").get(order_id)
