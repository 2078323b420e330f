"""Fixtures for the dialogue-engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import FORMBOT

from stratus.shared.domain import Domain, load_domain
from stratus.stores import SQLiteTrackerStore


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(tmp_path / "trackers.db")


@pytest.fixture(scope="session")
def formbot_domain() -> Domain:
    if not FORMBOT.is_dir():
        pytest.fail(f"{FORMBOT} is missing: clone the repository next to shared/")
    return load_domain(FORMBOT / "domain.yml")
