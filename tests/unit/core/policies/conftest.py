"""Fixtures for the policy tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from policy_helpers import Bot, load_bot


@pytest.fixture(scope="session")
def bot() -> Callable[[str], Bot]:
    cache: dict[str, Bot] = {}

    def get(name: str) -> Bot:
        if name not in cache:
            cache[name] = load_bot(name)
        return cache[name]

    return get
