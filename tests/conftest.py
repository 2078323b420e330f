"""Shared test fixtures: where the repository and ../shared live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI clones the repository next to shared/, as the developers' checkout is.
SHARED = REPO.parent / "shared"
RASA_EXAMPLES = SHARED / "rasa-examples"
RASA_FIXTURES = SHARED / "rasa-fixtures"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: clone the repository next to shared/")
    return SHARED
