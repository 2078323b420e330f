"""Rasa's own training-data fixtures and example bots load as Rasa 3.6 loads them.

Counts marked "Rasa:" are the assertions of Rasa's own test suite
(tests/shared/nlu/training_data/test_training_data.py) or of RASA-REFERENCE.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from stratus.shared.exceptions import ProjectError
from stratus.shared.training_data import (
    CheckpointStep,
    NluData,
    OrStep,
    SlotWasSetStep,
    TrainingData,
    UserStep,
    load_training_data,
    read_nlu_file,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "rasa-fixtures"
EXAMPLES = SHARED / "rasa-examples"
DATASETS = SHARED / "datasets"

pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"{SHARED} is missing: clone the repository next to shared/"
)


@pytest.fixture(scope="module")
def rasa_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for Rasa's repository root: the fixtures are its `data/` folder.

    Rasa's JSON lookup tables name files relative to where Rasa runs
    ("data/test/lookup_tables/plates.txt"); this is that directory.
    """
    root = tmp_path_factory.mktemp("rasa")
    (root / "data").symlink_to(FIXTURES, target_is_directory=True)
    return root


def entity_counts(nlu: NluData) -> Counter[str]:
    """Rasa's number_of_examples_per_entity."""
    counts: Counter[str] = Counter()
    for example in nlu.examples:
        for entity in example.entities:
            counts[f"entity '{entity.entity}'"] += 1
            for attribute in ("role", "group"):
                if getattr(entity, attribute) is not None:
                    counts[f"{attribute} '{getattr(entity, attribute)}'"] += 1
    return counts


# (folder, examples, stories, rules, responses)
VALID_FOLDERS = [
    ("test_yaml_stories", 0, 89, 20, 0),
    ("test_multifile_yaml_stories", 0, 6, 0, 0),
    ("examples/rasa", 51, 0, 0, 2),
    ("test_mixed_yaml_training_data", 2, 1, 0, 1),
    ("test_multiline_intent_examples_yaml", 4, 0, 0, 0),
    ("test_number_nlu_examples", 5, 1, 2, 0),
    ("rasa_yaml_examples", 0, 0, 0, 0),
    ("test_nlu", 30, 0, 0, 0),
    ("test_selectors", 182, 1, 0, 9),
    ("test_responses", 0, 0, 0, 3),
    ("test_e2ebot/data", 10, 2, 0, 0),
    ("test_e2ebot/tests", 0, 4, 0, 0),
]


@pytest.mark.parametrize(("folder", "examples", "stories", "rules", "responses"), VALID_FOLDERS)
def test_fixture_folders_load(
    folder: str, examples: int, stories: int, rules: int, responses: int
) -> None:
    td = load_training_data([FIXTURES / folder])
    assert td.files, "no data file was read"
    counts = (len(td.nlu.examples), len(td.stories), len(td.rules), len(td.responses))
    assert counts == (examples, stories, rules, responses)
    assert all(not w.is_error and w.file for w in td.warnings)


NLU_ZOO = sorted(
    p.relative_to(FIXTURES / "test")
    for p in (FIXTURES / "test").rglob("*")
    if p.suffix in (".yml", ".json")
)
NOT_TRAINING_DATA = {Path("config_embedding_test.yml")}  # a config.yml


def test_the_nlu_zoo_is_what_we_think_it_is() -> None:
    # A new fixture must be looked at, not silently walked past.
    assert len(NLU_ZOO) == 38


@pytest.mark.parametrize("name", NLU_ZOO, ids=str)
def test_every_file_of_the_nlu_zoo(name: Path, rasa_repo: Path) -> None:
    path = FIXTURES / "test" / name
    if name in NOT_TRAINING_DATA:
        with pytest.raises(ProjectError, match="no training data here"):
            load_training_data([path], project_dir=rasa_repo)
        return
    td = load_training_data([path], project_dir=rasa_repo)
    assert td.files == (str(path),)
    assert (
        td.nlu.examples
        or td.nlu.synonyms
        or td.stories
        or td.rules
        or td.responses
        or (td.warnings)
    )
    for example in td.nlu.examples:
        assert example.file == str(path) and example.line
        for entity in example.entities:
            assert 0 <= entity.start <= entity.end <= len(example.text)


def test_incorrect_nlu_format_has_no_examples_and_says_so() -> None:
    td = load_training_data([FIXTURES / "test/incorrect_nlu_format.yml"])
    assert td.nlu.examples == ()
    (w,) = td.warnings
    assert w.line == 2 and "'nlu' is empty" in w.message


@pytest.mark.parametrize("nlu_file", ["demo-rasa.json", "demo-rasa.yml"])
def test_demo_data_as_rasa_reads_it(nlu_file: str) -> None:
    folder = FIXTURES / "examples/rasa"
    td = load_training_data([folder / nlu_file, folder / "demo-rasa-responses.yml"])
    nlu = td.nlu
    # Rasa: test_demo_data
    assert set(nlu.intents) == {"affirm", "greet", "restaurant_search", "goodbye", "chitchat"}
    assert set(nlu.entity_types) == {"location", "cuisine"}
    assert set(td.responses) == {"utter_chitchat/ask_name", "utter_chitchat/ask_weather"}
    assert len(nlu.examples) == 46
    assert sum(1 for e in nlu.examples if e.response_key) == 4
    assert sum(1 for e in nlu.examples if e.entities) == 11
    assert nlu.synonyms == {
        "Chines": "chinese",
        "Chinese": "chinese",
        "chines": "chinese",
        "vegg": "vegetarian",
        "veggie": "vegetarian",
    }
    assert [(r.name, r.pattern) for r in nlu.regexes] == [
        ("greet", r"hey[^\s]*"),
        ("zipcode", r"[0-9]{5}"),
    ]


def test_json_and_yaml_demo_data_hold_the_same_examples() -> None:
    folder = FIXTURES / "examples/rasa"

    def key(nlu: NluData) -> set[tuple[str, str | None]]:
        return {(e.text, e.full_intent) for e in nlu.examples}

    assert key(read_nlu_file(folder / "demo-rasa.json")) == key(
        read_nlu_file(folder / "demo-rasa.yml")
    )


def test_roles_and_groups_of_composite_entities() -> None:
    nlu = read_nlu_file(FIXTURES / "test/demo-rasa-composite-entities.yml")
    # Rasa: test_composite_entities_data
    assert len(nlu.examples) == 29
    assert sum(1 for e in nlu.examples if e.entities) == 11
    assert nlu.synonyms == {"SF": "San Fransisco"}
    assert set(nlu.intents) == {"order_pizza", "book_flight", "chitchat", "affirm"}
    assert set(nlu.entity_types) == {"location", "topping", "size"}
    counts = entity_counts(nlu)
    assert counts["entity 'location'"] == 8
    assert counts["group '1'"] == 9
    assert counts["role 'from'"] == 3
    assert {k for k in counts if k.startswith("group")} == {"group '1'", "group '2'"}
    assert {k for k in counts if k.startswith("role")} == {"role 'to'", "role 'from'"}
    sf = next(e for e in nlu.examples if "from SF to New York" in e.text)
    assert [a.as_dict() for a in sf.entities] == [
        {"start": 31, "end": 33, "value": "San Fransisco", "entity": "location", "role": "from"},
        {"start": 37, "end": 45, "value": "New York", "entity": "location", "role": "to"},
    ]


def test_lookup_tables_inline_and_from_a_file(rasa_repo: Path) -> None:
    plates = ("tacos", "beef", "mapo tofu", "burrito", "lettuce wrap")
    from_yaml = read_nlu_file(FIXTURES / "test/lookup_tables/lookup_table.yml")
    from_json = read_nlu_file(FIXTURES / "test/lookup_tables/lookup_table.json", rasa_repo)
    for nlu in (from_yaml, from_json):
        (table,) = nlu.lookup_tables
        assert (table.name, table.elements) == ("plates", plates)
    bot = load_training_data([EXAMPLES / "knowledgebasebot/data"])
    assert {t.name: len(t.elements) for t in bot.nlu.lookup_tables} == {"restaurant": 7, "hotel": 6}


def test_examples_per_intent_of_number_examples() -> None:
    td = load_training_data([FIXTURES / "test_number_nlu_examples"])
    # Rasa: test_number_of_examples_per_intent_with_yaml
    assert Counter(e.intent for e in td.nlu.examples) == {"greet": 2, "ask_weather": 3}


def test_multiline_and_retrieval_examples() -> None:
    nlu = read_nlu_file(FIXTURES / "test_multiline_intent_examples_yaml/nlu.yml")
    assert nlu.examples[0].text == "Hello,\nMy name is Christof"
    retrieval = read_nlu_file(FIXTURES / "test/simple_retrieval_intent_nlu.yml")
    assert {e.full_intent for e in retrieval.examples} == {"chitchat/hello"}
    assert {e.intent for e in retrieval.examples} == {"chitchat"}


def test_or_steps_checkpoints_and_slots() -> None:
    td = load_training_data([FIXTURES / "test_yaml_stories/stories.yml"])
    stories = {s.name: s for s in td.stories}
    turns = stories["simple_story_with_multiple_turns"].steps
    assert isinstance(turns[0], OrStep)
    assert [a.intent for a in turns[0].alternatives if isinstance(a, UserStep)] == [
        "affirm",
        "thank_you",
    ]
    show = stories["show_it_all"].steps
    assert [s.name for s in show if isinstance(s, CheckpointStep)] == [
        "check_greet",
        "check_hello",
        "check_intermediate",
    ]
    end = stories["simple_story_with_only_end"].steps
    assert isinstance(end[2], SlotWasSetStep) and end[2].slots[0].value == "peter"
    or_slots = load_training_data([FIXTURES / "test_yaml_stories/story_with_or_slot_was_set.yml"])
    or_step = or_slots.stories[0].steps[2]
    assert isinstance(or_step, OrStep)
    assert all(isinstance(a, SlotWasSetStep) for a in or_step.alternatives)


def test_checkpoints_across_files_of_multifile_stories() -> None:
    td = load_training_data([FIXTURES / "test_multifile_yaml_stories"])
    starts = {s.steps[0].name for s in td.stories if isinstance(s.steps[0], CheckpointStep)}
    ends = {s.steps[-1].name for s in td.stories if isinstance(s.steps[-1], CheckpointStep)}
    assert starts == {"check_greet", "check_goodbye"} and starts <= ends
    assert len({s.file for s in td.stories}) == 2


def test_end_to_end_stories() -> None:
    td = load_training_data([FIXTURES / "test_yaml_stories/stories_e2e.yml"])
    sad = next(s for s in td.stories if s.name == "sad path (text to text)")
    user, bot = sad.steps[0], sad.steps[1]
    assert isinstance(user, UserStep) and user.intent is None and user.text == "Hello"
    assert user.entities[0].as_dict() == {"entity": "bla", "value": "Hello", "start": 0, "end": 5}
    assert getattr(bot, "text", None) == "Welcome to moodbot. How are you feeling today?"


def test_rules_flags() -> None:
    td = load_training_data([FIXTURES / "test_yaml_stories/rules_without_stories.yml"])
    rules = {r.name: r for r in td.rules}
    assert len(rules["Rule with condition"].condition) == 2
    assert not rules["Rule after which another action should be predicted"].wait_for_user_input
    assert rules["Rule which only applies to conversation start"].conversation_start


BOTS = (
    sorted(p.name for p in EXAMPLES.iterdir() if (p / "data").is_dir()) if EXAMPLES.is_dir() else []
)


@pytest.mark.parametrize("bot", BOTS)
def test_example_bots_load_cleanly(bot: str) -> None:
    folders = [EXAMPLES / bot / sub for sub in ("data", "tests") if (EXAMPLES / bot / sub).is_dir()]
    td: TrainingData = load_training_data(folders)
    assert td.warnings == ()
    assert td.nlu.examples and (td.stories or td.rules)
    test_files = {s.file for s in td.stories if s.is_test}
    assert (
        test_files == {str(EXAMPLES / bot / "tests/test_stories.yml")}
        or not (EXAMPLES / bot / "tests").is_dir()
    )


def test_formbot_synonyms_and_test_stories() -> None:
    td = load_training_data([EXAMPLES / "formbot/data", EXAMPLES / "formbot/tests"])
    assert td.nlu.synonyms == {
        "gastro pub": "gastropub",
        "pan asian": "asian",
        "asian oriental": "asian",
    }
    assert len(td.test_stories) == 3 and len(td.rules) == 6


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("intent_with_leading_slash.yml", 4, "starts with '/'"),
        ("wrong_yaml.yml", 2, "invalid YAML"),
    ],
)
def test_wrong_yaml_stories_are_located_errors(name: str, line: int, expected: str) -> None:
    path = FIXTURES / "test_wrong_yaml_stories" / name
    with pytest.raises(ProjectError) as err:
        load_training_data([path])
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(path), line)
    assert expected in problem.message


def test_wrong_yaml_stories_folder_reports_both_files() -> None:
    with pytest.raises(ProjectError) as err:
        load_training_data([FIXTURES / "test_wrong_yaml_stories"])
    assert sorted(Path(p.file or "").name for p in err.value.problems) == [
        "intent_with_leading_slash.yml",
        "wrong_yaml.yml",
    ]


@pytest.mark.parametrize(
    ("dataset", "examples"),
    [("snips/train.yml", 12860), ("banking77/train.yml", 9999), ("banking77/test.yml", 3079)],
)
def test_duplicate_examples_are_dropped_like_rasa(dataset: str, examples: int) -> None:
    # Rasa: RASA-REFERENCE.md 10.15 (counts read by Rasa 3.6 from the same files).
    path = DATASETS / dataset
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    assert len(read_nlu_file(path).examples) == examples
