"""DucklingEntityExtractor against a Duckling server on loopback: Rasa 3.6's request and
entity shapes, its failures (a lost server costs entities, never the parse), and
Rasa's own formbot example trained and parsed with it."""

from __future__ import annotations

import logging
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_duckling import form, start_duckling
from fake_platforms import Answer, FakePlatform, Recorded

from stratus.nlu.duckling import DucklingEntityExtractor, duckling_url_from
from stratus.nlu.extractors import EntitySynonymMapper
from stratus.nlu.message import Message
from stratus.nlu.registry import fill_pipeline
from stratus.serverless.settings import ServiceSettings

FORMBOT = Path(__file__).resolve().parents[2].parent / "shared" / "rasa-examples" / "formbot"


@pytest.fixture()
def duckling() -> Iterator[FakePlatform]:
    server = start_duckling()
    yield server
    server.close()


def extractor(
    url: str | None, environment_url: str | None = None, **options: Any
) -> DucklingEntityExtractor:
    """The component as config.yml fills it; `environment_url` as a door passes it."""
    (filled,) = fill_pipeline([{"name": "DucklingEntityExtractor", "url": url, **options}])
    config = {k: v for k, v in filled.items() if k != "name"}
    return DucklingEntityExtractor(config, url=environment_url)


def entities(component: DucklingEntityExtractor, text: str) -> list[dict[str, Any]]:
    message = Message(text)
    component.process([message])
    return message.entities or []


def test_a_number_comes_back_in_rasas_entity_shape(duckling: FakePlatform) -> None:
    found = entities(extractor(duckling.url, dimensions=["number"]), "a table for four at 8")
    assert found == [
        {
            "start": 12,
            "end": 16,
            "text": "four",
            "value": 4,
            "confidence": 1.0,
            "additional_info": {"value": 4, "type": "value"},
            "entity": "number",
            "extractor": "DucklingEntityExtractor",
        },
        {
            "start": 20,
            "end": 21,
            "text": "8",
            "value": 8,
            "confidence": 1.0,
            "additional_info": {"value": 8, "type": "value"},
            "entity": "number",
            "extractor": "DucklingEntityExtractor",
        },
    ]


def test_the_request_is_rasas_form(duckling: FakePlatform) -> None:
    before = int(time.time()) * 1000
    entities(extractor(duckling.url + "/", dimensions=["number", "time"]), "in 2 days")
    entities(extractor(duckling.url, locale="de_DE", timezone="Europe/Berlin"), "zwei")
    first, second = duckling.posted()
    assert first.path == second.path == "/parse"  # one slash, with or without a trailing one
    assert first.headers["content-type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    sent = form(first)
    # No locale or tz unless configured: requests leaves Rasa's None values out.
    assert set(sent) == {"text", "dims", "reftime"}
    assert sent["text"] == "in 2 days" and sent["dims"] == '["number", "time"]'
    # The current time in whole seconds, as milliseconds (Rasa's reference time).
    assert int(sent["reftime"]) % 1000 == 0
    assert before <= int(sent["reftime"]) <= int(time.time()) * 1000
    sent = form(second)
    assert (sent["locale"], sent["tz"], sent["dims"]) == ("de_DE", "Europe/Berlin", "null")


def test_dimensions_are_filtered_and_intervals_give_from_and_to() -> None:
    # A server that answers every dimension whatever `dims` says: the extractor filters.
    everything = start_duckling(honour_dims=False)
    try:
        only_time = extractor(everything.url, dimensions=["time"])
        found = entities(only_time, "tonight for 3 people")
        assert [e["entity"] for e in found] == ["time"]
        assert set(found[0]["value"]) == {"from", "to"}
        assert found[0]["value"]["from"].endswith("T18:00:00.000+00:00")
        assert found[0]["additional_info"]["type"] == "interval"
        every = entities(extractor(everything.url), "tomorrow for 3 people")
        assert [(e["entity"], e["text"]) for e in every] == [("time", "tomorrow"), ("number", "3")]
        assert isinstance(every[0]["value"], str)
    finally:
        everything.close()


def test_a_server_that_fails_costs_the_entities_not_the_parse(
    duckling: FakePlatform, caplog: pytest.LogCaptureFixture
) -> None:
    component = extractor(duckling.url, dimensions=["number"])
    caplog.set_level(logging.ERROR, logger="stratus.nlu.duckling")
    duckling.fail_next(500, {"error": "boom"})
    assert entities(component, "for 2") == []
    assert "Status Code: 500" in caplog.text and duckling.url in caplog.text
    duckling.fail_next(200, "not a list")
    assert entities(component, "for 2") == []
    assert "something other than a list of matches" in caplog.text
    duckling.fail_next(
        200,
        [
            {"dim": "number"},
            {"start": 4, "end": 5, "dim": "number", "value": {"value": 2, "type": "value"}},
        ],
    )
    assert [e["value"] for e in entities(component, "for 2")] == [2]  # the broken one skipped
    assert "Skipped a Duckling match" in caplog.text
    # and the server keeps being asked: the next message gets its entities
    assert [e["value"] for e in entities(component, "for 5")] == [5]


def test_an_unreachable_or_slow_server_is_logged_with_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="stratus.nlu.duckling")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert entities(extractor(closed), "for 2") == []
    assert f"Failed to connect to the Duckling server at '{closed}/parse'" in caplog.text
    assert "RASA_DUCKLING_HTTP_URL" in caplog.text

    def slow(request: Recorded) -> Answer:
        time.sleep(1.0)
        return Answer(200, [])

    server = FakePlatform(slow)
    try:
        started = time.perf_counter()
        assert entities(extractor(server.url, timeout=0.2), "for 2") == []
        assert time.perf_counter() - started < 0.9  # gave up at the timeout
    finally:
        server.close()


def test_without_a_url_it_warns_once_and_extracts_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = extractor(None)
    caplog.set_level(logging.WARNING, logger="stratus.nlu.duckling")
    assert entities(component, "for 2") == [] and entities(component, "for 3") == []
    assert caplog.text.count("no Duckling entities will be extracted") == 1


def test_the_environment_names_the_server_as_in_rasa(duckling: FakePlatform) -> None:
    assert duckling_url_from({"RASA_DUCKLING_HTTP_URL": f" {duckling.url} "}) == duckling.url
    assert duckling_url_from({"RASA_DUCKLING_HTTP_URL": ""}) is None
    settings = ServiceSettings.from_environ(
        {"STRATUS_MODEL_DIR": "/m", "RASA_DUCKLING_HTTP_URL": duckling.url}
    )
    assert settings.duckling_url == duckling.url
    component = extractor("http://nowhere.invalid:1", environment_url=duckling.url)
    assert [e["value"] for e in entities(component, "for 7")] == [7]


def test_synonyms_map_duckling_values_that_are_not_strings(duckling: FakePlatform) -> None:
    message = Message("for two")
    extractor(duckling.url).process([message])
    EntitySynonymMapper({}, {"2": "a couple"}).process([message])
    assert message.entities is not None
    assert message.entities[0]["value"] == "a couple"
    assert message.entities[0]["processors"] == ["EntitySynonymMapper"]


@pytest.mark.slow
def test_rasas_formbot_trains_and_parses_with_duckling_numbers(
    duckling: FakePlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tensorflow")
    from stratus.cli.main import main as cli_main
    from stratus.nlu.interpreter import Interpreter
    from stratus_train.train import train

    project = tmp_path / "formbot"
    shutil.copytree(FORMBOT, project)  # config.yml verbatim: Duckling at localhost:8000
    result = train(project, out=project / "models", progress=lambda _: None, nlu_only=True)
    parsed = Interpreter.load(result.model_dir, duckling_url=duckling.url).parse(
        "a table for 4 people please"
    )
    duckling_entities = [
        e for e in parsed["entities"] if e["extractor"] == "DucklingEntityExtractor"
    ]
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in duckling_entities] == [
        ("number", 4, 12, 13)
    ]
    assert parsed["intent"]["name"]  # DIET ran after it
    # `stratus parse` reads Rasa's variable at its door.
    monkeypatch.setenv("RASA_DUCKLING_HTTP_URL", duckling.url)
    assert cli_main(["parse", "--model", str(result.model_dir), "for three"]) == 0
    assert form(duckling.posted()[-1])["text"] == "for three"
