from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.yaml_io import (
    YDict,
    YList,
    parse_yaml,
    read_yaml,
    read_yaml_mapping,
    substitute_env_vars,
)


def test_lines_of_keys_and_items_are_recorded() -> None:
    data = parse_yaml("a: 1\nlist:\n  - x\n  - y: 2\n    z: 3\n")
    assert isinstance(data, YDict) and isinstance(data["list"], YList)
    assert data.line_of("a") == 1
    assert data.line_of("list") == 2
    assert data["list"].item_lines == [3, 4]
    assert data["list"][1].line_of("z") == 5


def test_yaml_1_2_scalars_as_rasa_reads_them() -> None:
    data = parse_yaml("a: yes\nb: no\nc: 12:30\nd: true\ne: 0o17\nf: 1.5\ng: on\n")
    assert data == {"a": "yes", "b": "no", "c": "12:30", "d": True, "e": 15, "f": 1.5, "g": "on"}


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(ProjectError) as e:
        parse_yaml("intents:\n  - a\nintents:\n  - b\n", "domain.yml")
    msg = str(e.value)
    assert "domain.yml:3" in msg and "first defined on line 1" in msg


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(ProjectError) as e:
        parse_yaml("stories:\n- story: x\n  steps:\n  - intent: greet\n [oops,\n", "s.yml")
    assert str(e.value).startswith("s.yml:")
    assert "invalid YAML" in str(e.value)
    assert e.value.problems[0].line is not None


def test_non_utf8_file_names_line(tmp_path: Path) -> None:
    p = tmp_path / "nlu.yml"
    p.write_bytes(b"nlu:\n- intent: greet\n  examples: |\n    - caf\xe9\n")
    with pytest.raises(ProjectError) as e:
        read_yaml(p)
    assert f"{p}:4" in str(e.value) and "UTF-8" in str(e.value)


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="file not found"):
        read_yaml(tmp_path / "nope.yml")
    (tmp_path / "empty.yml").write_text("")
    assert read_yaml(tmp_path / "empty.yml") is None
    assert read_yaml_mapping(tmp_path / "empty.yml", "domain") == {}
    with pytest.raises(ProjectError, match="directory"):
        read_yaml(tmp_path)


def test_top_level_list_where_mapping_expected(tmp_path: Path) -> None:
    p = tmp_path / "config.yml"
    p.write_text("- a\n- b\n")
    with pytest.raises(ProjectError, match="must be a mapping"):
        read_yaml_mapping(p, "config file")


def test_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    p = tmp_path / "big.yml"
    p.write_bytes(b"nlu:\n- intent: a\n  examples: |\n" + b"    - hello there\n" * 3_200_000)
    with pytest.raises(ProjectError) as e:
        read_yaml(p)
    assert "limit" in str(e.value) and str(p) in str(e.value)


def test_env_var_substitution_keeps_lines() -> None:
    data = parse_yaml("tracker_store:\n  url: ${DB_HOST}:5432\n  user: plain\n")
    out = substitute_env_vars(data, {"DB_HOST": "db.local"})
    assert out["tracker_store"]["url"] == "db.local:5432"
    assert out.line_of("tracker_store") == 1
    with pytest.raises(ProjectError, match="'DB_HOST' is used but not set"):
        substitute_env_vars(data, {})
