from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.config import DEFAULT_PIPELINE, DEFAULT_POLICIES, load_config
from stratus.shared.endpoints import load_credentials, load_endpoints
from stratus.shared.exceptions import ConfigError


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_missing_pipeline_and_policies_get_rasa_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "config.yml", "language: fr\npipeline: []\n"))
    assert cfg.language == "fr"
    assert cfg.pipeline == DEFAULT_PIPELINE and cfg.policies == DEFAULT_POLICIES
    assert cfg.defaults_used == ("pipeline", "policies")
    assert any("assistant_id" in str(w) for w in cfg.warnings)


def test_given_pipeline_is_kept_with_lines(tmp_path: Path) -> None:
    text = (
        "assistant_id: bot\npipeline:\n  - name: WhitespaceTokenizer\n"
        "  - name: DIETClassifier\n    epochs: 5\npolicies:\n  - name: RulePolicy\n"
    )
    cfg = load_config(write(tmp_path, "config.yml", text))
    assert cfg.pipeline[1] == {"name": "DIETClassifier", "epochs": 5}
    assert cfg.pipeline_lines == (3, 4)
    assert cfg.policies == [{"name": "RulePolicy"}]
    assert cfg.assistant_id == "bot" and cfg.warnings == ()


def test_misspelt_component_and_key_are_named_with_suggestions(tmp_path: Path) -> None:
    p = write(tmp_path, "config.yml", "pipline: []\npolicies:\n  - name: MemoisationPolicy\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    text = str(e.value)
    assert f"{p}:1: error: pipline: unknown key 'pipline'" in text
    assert "Did you mean 'pipeline'?" in text
    assert f"{p}:3: error: policies[0].name: unknown component 'MemoisationPolicy'" in text
    assert "'MemoizationPolicy'" in text


def test_rasa_fixture_configs_load(shared: Path) -> None:
    for path in sorted((shared / "rasa-fixtures" / "test_config").glob("*.y*ml")):
        load_config(path)


def test_endpoints_shapes_and_env_vars(tmp_path: Path, shared: Path) -> None:
    ep = load_endpoints(shared / "rasa-fixtures" / "test_endpoints" / "example_endpoints.yml")
    assert ep.action is not None and ep.action.url == "http://localhost:5055/webhook"
    assert ep.tracker_store is not None and ep.tracker_store.type == "redis"
    assert ep.tracker_store.kwargs["key_prefix"] == "conversation"
    assert ep.nlg is not None and ep.nlg.url == "http://localhost:5055/nlg"
    p = write(tmp_path, "endpoints.yml", "tracker_store:\n  type: dynamo\n  table: ${TABLE}\n")
    ep = load_endpoints(p, env={"TABLE": "trackers"})
    assert ep.tracker_store is not None and ep.tracker_store.kwargs["table"] == "trackers"
    assert load_endpoints(tmp_path / "missing.yml").action is None


def test_credentials_validate_channel_keys(tmp_path: Path) -> None:
    p = write(tmp_path, "credentials.yml", "rest:\nslack:\n  slack_tokn: x\n")
    with pytest.raises(ConfigError, match="Did you mean 'slack_token'"):
        load_credentials(p)
    p = write(tmp_path, "c2.yml", "rest:\ntelegram:\n  access_token: ${TG}\n  verify: bot\n")
    assert load_credentials(p, env={"TG": "123:abc"}) == {
        "rest": {},
        "telegram": {"access_token": "123:abc", "verify": "bot"},
    }
