"""Domains from directories and several files, merged as Rasa merges them."""

from __future__ import annotations

from pathlib import Path

from stratus.shared.domain import (
    Response,
    ResponseVariation,
    SessionConfig,
    domain_from_yaml,
    load_domain,
    responses_from_yaml,
)
from stratus.shared.yaml_io import read_yaml


def test_directory_tree_is_searched_recursively(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_from_directory_tree")
    assert {
        "utter_root",
        "utter_root2",
        "utter_skill_1",
        "utter_skill_2",
        "utter_subroot",
        "utter_subskill",
    } <= set(domain.intent_names)
    assert domain.entity_names == ("ball", "chess", "cluedo", "monopoly", "pandemic")
    assert domain.response_names == ("utter_greet", "utter_cheer_up")
    fields = [w.field for w in domain.warnings]
    # domain_pt3.yml has a response written at the top level by mistake.
    assert "utter_did_that_help" in fields
    assert fields.count("responses.utter_greet") == 1


def test_unreadable_file_in_a_directory_is_skipped_with_a_warning(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_from_directory")
    assert {"greet", "default", "goodbye"} <= set(domain.intent_names)
    assert domain.slot_names[:2] == ("cuisine", "location")
    (note,) = domain.warnings
    assert note.file is not None and note.file.endswith("domain_invalid.yml")
    assert note.line == 4 and "duplicate key 'version'" in note.message


def test_intents_with_properties_across_files(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_from_directory_for_entities")
    assert domain.used_entities("play") == ("ball", "chess")
    assert domain.used_entities("vacationing") == (
        "anti_freeze_blankets",
        "automatic_cupcakes",
        "ball",
        "chess",
    )
    assert domain.used_entities("question") == (
        "anti_freeze_blankets",
        "automatic_cupcakes",
        "ball",
        "chess",
        "tornadoes",
    )


def test_many_files_with_forms_roles_and_session_config(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_from_multiple_files")
    assert domain.session_config == SessionConfig(360, True)  # from last_month.yml
    assert domain.required_slots_for_form("robot_form") == (
        "propose_simulation",
        "display_cure_method",
    )
    assert domain.entity("caramel_robot").roles == ("sauce", "chips")  # type: ignore[union-attr]
    assert domain.entity("rum_and_raisin_robot").groups == ("rum", "raisin")  # type: ignore[union-attr]
    assert domain.used_entities("drum_robot") == ("pistachio_robot",)
    assert domain.used_entities("drum_wallets") == (
        "caramel_robot",
        "caramel_robot#chips",
        "caramel_robot#sauce",
    )
    assert domain.used_entities("drum_clocks") == ()
    assert len(domain.slots) == 24 + 2  # + requested_slot, session_started_metadata
    assert domain.action_names[-1] == "robot_form"
    assert domain.warnings == ()


def test_duplicates_across_files_warn_and_first_wins(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_with_duplicates")
    fields = sorted(w.field or "" for w in domain.warnings)
    assert fields == [
        "intents.greet",
        "responses.utter_did_that_help",
        "responses.utter_greet",
        "slots.mood",
    ]
    note = next(w for w in domain.warnings if w.field == "slots.mood")
    assert note.file is not None and note.file.endswith("domain2.yml") and note.line == 18
    assert "domain1.yml:30" in note.message
    assert {"greet", "test", "mood_great"} <= set(domain.intent_names)
    assert domain.response_names.count("utter_greet") == 1
    assert load_domain(test_domains / "test_domain_without_duplicates").warnings == ()


def test_first_definition_wins_on_conflict(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("responses:\n  utter_hi:\n  - text: from a\n")
    (tmp_path / "b.yml").write_text("responses:\n  utter_hi:\n  - text: from b\n")
    domain = load_domain(tmp_path)
    assert domain.response("utter_hi").variations[0].text == "from a"  # type: ignore[union-attr]
    assert "a different definition" in domain.warnings[0].message
    swapped = load_domain([tmp_path / "b.yml", tmp_path / "a.yml"])
    assert swapped.response("utter_hi").variations[0].text == "from b"  # type: ignore[union-attr]


def test_session_config_in_its_own_file(test_domains: Path) -> None:
    domain = load_domain(test_domains / "test_domain_with_separate_session_config")
    assert domain.session_config == SessionConfig(1, True)
    assert "utter_iamabot" in domain.response_names


def test_data_file_responses_join_the_domain(test_domains: Path) -> None:
    project = test_domains / "test_domain_files_with_no_session_config_and_custom_session_config"
    domain = load_domain(project / "domain.yml")
    assert domain.session_config == SessionConfig(0, False)
    data = read_yaml(project / "data" / "responses.yml")
    extra, notes = responses_from_yaml(data["responses"], str(project / "data" / "responses.yml"))
    assert notes == ()
    combined = domain.with_responses(extra)
    assert combined.response("utter_test").variations[0].text == "Hey! How are you?"  # type: ignore[union-attr]
    assert "utter_test" in combined.action_names
    assert combined.session_config == SessionConfig(0, False)  # data files do not reset it
    assert domain.response("utter_test") is None  # domains are immutable


def test_data_file_response_overrides_domain_response_with_warning() -> None:
    domain = domain_from_yaml("responses:\n  utter_hi:\n  - text: domain\n", "domain.yml")
    other = Response("utter_hi", (ResponseVariation(text="data"),), file="data/nlu.yml", line=3)
    combined = domain.with_responses([other])
    assert combined.response("utter_hi").variations[0].text == "data"  # type: ignore[union-attr]
    (note,) = combined.warnings
    assert (note.file, note.line) == ("data/nlu.yml", 3) and "domain.yml:2" in note.message


def test_data_file_response_errors_are_located() -> None:
    from stratus.shared.exceptions import ProjectError
    from stratus.shared.yaml_io import parse_yaml

    node = parse_yaml("responses:\n  utter_a:\n  - just text\n", "data/nlu.yml")["responses"]
    try:
        responses_from_yaml(node, "data/nlu.yml")
    except ProjectError as e:
        assert str(e.problems[0]).startswith("data/nlu.yml:3: error: responses.utter_a[0]:")
    else:
        raise AssertionError("a plain-text variation must be rejected")


def test_default_session_config_does_not_override(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "session_config: {session_expiration_time: 60, carry_over_slots_to_new_session: true}\n"
    )
    (tmp_path / "b.yml").write_text("session_config: {session_expiration_time: 5}\n")
    (tmp_path / "c.yml").write_text("session_config: {session_expiration_time: 9}\n")
    assert load_domain(tmp_path).session_config == SessionConfig(5, True)


def test_hidden_and_non_yaml_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".rasa").mkdir()
    (tmp_path / ".rasa" / "cache.yml").write_text("intents: [hidden]\n")
    (tmp_path / "notes.txt").write_text("intents: [txt]\n")
    (tmp_path / "nlu.yml").write_text("nlu:\n- intent: data_only\n  examples: '- hi'\n")
    (tmp_path / "domain.yaml").write_text("intents: [shown]\n")
    domain = load_domain(tmp_path)
    assert "shown" in domain.intent_names
    assert not {"hidden", "txt", "data_only"} & set(domain.intent_names)


def test_errors_from_several_files_are_reported_together(tmp_path: Path) -> None:
    from stratus.shared.exceptions import ProjectError

    (tmp_path / "a.yml").write_text("slots:\n  s: {type: txt, mappings: []}\n")
    (tmp_path / "b.yml").write_text("responses:\n  utter_x:\n  - oops\n")
    try:
        load_domain(tmp_path)
    except ProjectError as e:
        assert sorted(Path(p.file or "").name for p in e.problems) == ["a.yml", "b.yml"]
    else:
        raise AssertionError("invalid files must raise")


def test_empty_directory_warns(tmp_path: Path) -> None:
    domain = load_domain(tmp_path)
    assert domain.is_empty()
    assert "no domain files" in domain.warnings[0].message
