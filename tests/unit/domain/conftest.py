"""Paths to Rasa's domain fixtures in ../shared (CI clones the repo next to shared/)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"
TEST_DOMAINS = SHARED / "rasa-fixtures" / "test_domains"
EXAMPLES = SHARED / "rasa-examples"


@pytest.fixture(scope="session")
def test_domains() -> Path:
    if not TEST_DOMAINS.is_dir():
        pytest.fail(f"{TEST_DOMAINS} is missing: clone the repository next to shared/")
    return TEST_DOMAINS


@pytest.fixture(scope="session")
def examples() -> Path:
    if not EXAMPLES.is_dir():
        pytest.fail(f"{EXAMPLES} is missing: clone the repository next to shared/")
    return EXAMPLES
