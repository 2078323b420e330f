"""The local model store, version names, and the A/B selector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stratus.model.selection import ModelSelector, share_of
from stratus.model.store import (
    LATEST,
    LocalModelStore,
    ModelStoreError,
    check_version,
    resolve_version,
)

MakeModel = Callable[..., Path]


def test_local_store_lists_fetches_and_resolves_latest(
    tmp_path: Path, make_model: MakeModel
) -> None:
    models = tmp_path / "models"
    make_model(models, "20261120-a", trained_at="2026-11-20T00:00:00+00:00")
    newest = make_model(models, "20261121-b", trained_at="2026-11-21T00:00:00+00:00")
    (models / "notes").mkdir()
    store = LocalModelStore(models)
    assert store.versions() == ["20261120-a", "20261121-b"]
    assert store.latest_version() == "20261121-b"
    assert store.fetch() == newest and store.fetch(LATEST) == newest
    assert store.fetch("20261120-a") == models / "20261120-a"
    assert resolve_version(store) == "20261121-b"
    assert resolve_version(store, version="20261120-a") == "20261120-a"
    with pytest.raises(ModelStoreError, match=r"No model version 'nope'.*20261120-a, 20261121-b"):
        store.fetch("nope")
    single = LocalModelStore(newest)
    assert single.versions() == ["20261121-b"] and single.fetch("20261121-b") == newest


def test_an_empty_folder_has_no_latest(tmp_path: Path) -> None:
    with pytest.raises(ModelStoreError, match="holds no model"):
        LocalModelStore(tmp_path).latest_version()


@pytest.mark.parametrize("bad", ["", "../up", "a/b", "latest", "LATEST", "x" * 200, " v1"])
def test_version_names_are_checked(bad: str) -> None:
    with pytest.raises(ModelStoreError, match="model version"):
        check_version(bad)


def test_split_is_stable_per_conversation_and_close_to_the_percentage() -> None:
    selector = ModelSelector("v1", "v2", 10)
    ids = [f"user-{i}" for i in range(3000)]
    first = [selector.choose(i) for i in ids]
    again = [ModelSelector.parse("v1, v2=10").choose(i) for i in ids]
    assert first == again  # the same conversation always gets the same version
    share = first.count("v2") / len(ids)
    assert 0.07 < share < 0.13
    # raising the candidate's share only moves conversations towards it
    wider = [ModelSelector("v1", "v2", 30).choose(i) for i in ids]
    assert all(w == "v2" for f, w in zip(first, wider) if f == "v2")
    assert 0.26 < wider.count("v2") / len(ids) < 0.34
    assert all(0 <= share_of(i) < 100 for i in ids[:50])


def test_selector_versions_and_parse() -> None:
    assert ModelSelector.parse("v1").versions == ["v1"]
    assert ModelSelector.parse("v1").choose("anyone") == "v1"
    assert ModelSelector.parse("v1,v2=25").versions == ["v1", "v2"]
    assert ModelSelector.parse("v1,v2=0").versions == ["v1"]
    everyone = ModelSelector.parse("v1,v2=100")
    assert everyone.versions == ["v2"] and everyone.choose("x") == "v2"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("v1,v2", "primary,candidate=percent"),
        ("v1,v2=ten", "primary,candidate=percent"),
        ("v1,v2=101", "percent: must be from 0 to 100"),
        ("v1,../x=5", "candidate model version"),
        ("latest", "primary model version"),
    ],
)
def test_selector_rejects_bad_settings(value: str, words: str) -> None:
    with pytest.raises(ModelStoreError, match=words.replace("(", r"\(")):
        ModelSelector.parse(value)
