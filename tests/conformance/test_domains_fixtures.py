"""Rasa's domain fixtures and example bots load as Rasa 3.6 loads them.

Valid domains load without errors; the ones Rasa 3.6 rejects raise ProjectError with
every problem located (file and line). Expected values were recorded from Rasa 3.6.21
(`Domain.load(...).action_names_or_texts` and `.slots`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.shared.domain import Domain, load_domain, responses_from_yaml
from stratus.shared.exceptions import ProjectError
from stratus.shared.yaml_io import read_yaml

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
FIXTURES = SHARED / "rasa-fixtures"
EXAMPLES = SHARED / "rasa-examples"
TEST_DOMAINS = FIXTURES / "test_domains"

# Rasa 3.6 refuses these domains too.
INVALID = {
    "invalid_format.yml": "invalid YAML",
    "wrong_custom_response_format.yml": "unknown key 'super'",
    "wrong_response_format.yml": "must be a mapping",
    "empty_response_format.yml": "has no variations",
    "missing_text_for_templates.yml": "must be a mapping",
    "duplicate_responses.yml": "duplicate key 'utter_greet'",
    # Slots without `mappings:` (Rasa 2 syntax): "Cannot find required key 'mappings'".
    "form.yml": "needs `mappings:`",
    "people_form.yml": "needs `mappings:`",
    "query_form.yml": "needs `mappings:`",
}
# Rasa 3.6 rejects these three, Stratus loads them with a warning per repeat (by design).
WARN_DUPLICATES = {"duplicate_actions.yml", "duplicate_entities.yml", "duplicate_intents.yml"}

RASA_DEFAULT_ACTIONS = (
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "...",
    "action_extract_slots",
)


def _require_shared() -> None:
    if not TEST_DOMAINS.is_dir():
        pytest.fail(f"{SHARED} is missing: clone the repository next to shared/")


def _test_domain_paths() -> list[Path]:
    if not TEST_DOMAINS.is_dir():
        return []
    return sorted(p for p in TEST_DOMAINS.iterdir() if p.suffix == ".yml" or p.is_dir())


def _bot_domains() -> list[Path]:
    found = [*EXAMPLES.glob("*/domain.yml"), *FIXTURES.glob("*/domain.yml")]
    found += [FIXTURES / "test" / "test_integration" / "domain.yml"]
    return sorted(p for p in found if p.is_file())


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_fixtures_are_there() -> None:
    _require_shared()
    assert len(_test_domain_paths()) >= 30
    assert len(_bot_domains()) >= 15


@pytest.mark.parametrize("path", _test_domain_paths(), ids=lambda p: p.name)
def test_test_domains(path: Path) -> None:
    if path.name in INVALID:
        with pytest.raises(ProjectError) as raised:
            load_domain(path)
        problems = raised.value.problems
        assert any(INVALID[path.name] in p.message for p in problems), problems
        for problem in problems:
            assert problem.is_error
            assert problem.file is not None and Path(problem.file).name == path.name
            assert problem.line is not None
        return
    domain = load_domain(path)
    assert domain.action_names[: len(RASA_DEFAULT_ACTIONS)] == RASA_DEFAULT_ACTIONS
    assert domain.slot_names[-1] == "session_started_metadata"
    for note in domain.warnings:
        assert not note.is_error and note.file is not None
    if path.name in WARN_DUPLICATES:
        assert domain.warnings and all("listed twice" in w.message for w in domain.warnings)
    if path.is_dir() and path.name.startswith("test_domain_with_duplicates"):
        assert any("more than one domain file" in w.message for w in domain.warnings)


@pytest.mark.parametrize("path", _bot_domains(), ids=_name)
def test_bot_domains_load_cleanly(path: Path) -> None:
    domain = load_domain(path)
    assert domain.warnings == ()
    assert domain.action_names[: len(RASA_DEFAULT_ACTIONS)] == RASA_DEFAULT_ACTIONS
    # Everything a story may name is an action, a response or a form of the domain.
    for response in domain.response_names:
        assert response in domain.action_names


@pytest.mark.parametrize(
    ("bot", "user_actions", "slots"),
    [
        (
            "formbot",
            (
                "validate_restaurant_form",
                "utter_ask_continue",
                "utter_ask_cuisine",
                "utter_ask_feedback",
                "utter_ask_num_people",
                "utter_ask_outdoor_seating",
                "utter_ask_preferences",
                "utter_chitchat",
                "utter_default",
                "utter_greet",
                "utter_iamabot",
                "utter_noworries",
                "utter_restart",
                "utter_slots_values",
                "utter_submit",
                "utter_wrong_cuisine",
                "utter_wrong_num_people",
                "utter_wrong_outdoor_seating",
                "restaurant_form",
            ),
            (
                "cuisine",
                "num_people",
                "outdoor_seating",
                "preferences",
                "feedback",
                "requested_slot",
                "session_started_metadata",
            ),
        ),
        (
            "concertbot",
            (
                "action_search_concerts",
                "action_search_venues",
                "action_show_concert_reviews",
                "action_show_venue_reviews",
                "action_set_music_preference",
                "utter_awesome",
                "utter_default",
                "utter_get_started",
                "utter_goodbye",
                "utter_greet",
                "utter_iamabot",
                "utter_youarewelcome",
            ),
            ("concerts", "venues", "likes_music", "session_started_metadata"),
        ),
        (
            "knowledgebasebot",
            (
                "action_query_knowledge_base",
                "utter_ask_rephrase",
                "utter_goodbye",
                "utter_greet",
                "utter_iamabot",
            ),
            (
                "object_type",
                "mention",
                "attribute",
                "hotel",
                "restaurant",
                "city",
                "cuisine",
                "knowledge_base_listed_objects",
                "knowledge_base_last_object",
                "knowledge_base_last_object_type",
                "session_started_metadata",
            ),
        ),
    ],
)
def test_same_actions_and_slots_as_rasa(
    bot: str, user_actions: tuple[str, ...], slots: tuple[str, ...]
) -> None:
    _require_shared()
    domain = load_domain(EXAMPLES / bot / "domain.yml")
    assert domain.action_names_or_texts == (*RASA_DEFAULT_ACTIONS, *user_actions)
    assert domain.slot_names == slots


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "test_selectors" / "nlu.yml",
        FIXTURES / "test_response_selector_bot" / "data" / "nlu.yml",
        FIXTURES / "examples" / "rasa" / "demo-rasa-responses.yml",
        TEST_DOMAINS
        / "test_domain_files_with_no_session_config_and_custom_session_config"
        / "data"
        / "responses.yml",
    ],
    ids=_name,
)
def test_responses_in_data_files(path: Path) -> None:
    _require_shared()
    responses, notes = responses_from_yaml(read_yaml(path)["responses"], str(path))
    assert responses and notes == ()
    domain = Domain().with_responses(responses)
    assert set(domain.response_names) == {r.name for r in responses}
    for response in responses:
        assert response.variations


def test_response_selector_bot_retrieval_intents() -> None:
    _require_shared()
    bot = FIXTURES / "test_response_selector_bot"
    domain = load_domain(bot / "domain.yml")
    responses, _ = responses_from_yaml(read_yaml(bot / "data" / "nlu.yml")["responses"], "nlu.yml")
    domain = domain.with_responses(responses)
    assert "chitchat" in domain.retrieval_intents
    assert "utter_chitchat" in domain.action_names
