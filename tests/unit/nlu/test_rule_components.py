"""Rule-based components and `/intent{...}` messages behave as in Rasa 3.6."""

from __future__ import annotations

from pathlib import Path

from stratus.nlu.classifiers import FallbackClassifier, KeywordIntentClassifier
from stratus.nlu.extractors import EntitySynonymMapper, RegexEntityExtractor
from stratus.nlu.message import Message
from stratus.nlu.regex_message import parse_intent_message
from stratus.shared.training_data.message import (
    EntityAnnotation,
    LookupTable,
    NluData,
    NluExample,
)


def test_intent_message_with_confidence_and_entities() -> None:
    result = parse_intent_message('/inform@0.5{"city": ["Rome", "Oslo"]}', {"inform"}, {"city"})
    assert result is not None
    assert result["intent"] == {"name": "inform", "confidence": 0.5}
    assert result["intent_ranking"] == [{"name": "inform", "confidence": 0.5}]
    assert [e["value"] for e in result["entities"]] == ["Rome", "Oslo"]
    assert result["entities"][0]["extractor"] == "RegexMessageHandler"


def test_intent_message_edge_cases() -> None:
    assert parse_intent_message("hello") is None
    assert parse_intent_message("/unknown", {"greet"}) is None  # goes to the model
    broken = parse_intent_message("/greet{not json}", {"greet"})
    assert broken is not None and broken["entities"] == []
    assert parse_intent_message("/greet@7", None)["intent"]["confidence"] == 1.0  # type: ignore[index]


def test_keyword_classifier(tmp_path: Path) -> None:
    data = NluData(
        examples=(
            NluExample("hello", "greet"),
            NluExample("bye", "goodbye"),
            NluExample("hello", "other"),
        )
    )
    classifier = KeywordIntentClassifier(dict(KeywordIntentClassifier.defaults))
    classifier.fit([], data)
    assert classifier.keywords == {"bye": "goodbye"}  # ambiguous "hello" removed
    classifier.persist(tmp_path)
    loaded = KeywordIntentClassifier.load(classifier.config, tmp_path)
    messages = [Message("ok bye now"), Message("nothing")]
    loaded.process(messages)
    assert messages[0].intent == {"name": "goodbye", "confidence": 1.0}
    assert messages[1].intent == {"name": None, "confidence": 0.0}


def test_keywords_are_regexes_as_in_rasa_and_invalid_ones_literal() -> None:
    data = NluData(
        examples=(
            NluExample("What is your name?", "chitchat"),
            NluExample("c++", "coding"),
        )
    )
    classifier = KeywordIntentClassifier(dict(KeywordIntentClassifier.defaults))
    classifier.fit([], data)
    messages = [Message("What is your name?"), Message("I write c++ daily"), Message("cpp")]
    classifier.process(messages)
    assert [m.intent["name"] for m in messages] == ["chitchat", "coding", None]


def test_fallback_classifier_threshold_and_ambiguity() -> None:
    fallback = FallbackClassifier({"threshold": 0.3, "ambiguity_threshold": 0.1})
    unsure = Message(
        "x",
        intent={"name": "a", "confidence": 0.2},
        intent_ranking=[{"name": "a", "confidence": 0.2}],
    )
    close = Message(
        "y",
        intent={"name": "a", "confidence": 0.5},
        intent_ranking=[{"name": "a", "confidence": 0.5}, {"name": "b", "confidence": 0.45}],
    )
    sure = Message(
        "z",
        intent={"name": "a", "confidence": 0.9},
        intent_ranking=[{"name": "a", "confidence": 0.9}, {"name": "b", "confidence": 0.1}],
    )
    fallback.process([unsure, close, sure])
    assert unsure.intent == {"name": "nlu_fallback", "confidence": 0.3}
    assert unsure.intent_ranking is not None and unsure.intent_ranking[0]["name"] == "nlu_fallback"
    assert close.intent == {"name": "nlu_fallback", "confidence": 0.3}
    assert sure.intent == {"name": "a", "confidence": 0.9}


def test_regex_extractor_and_synonyms() -> None:
    data = NluData(
        examples=(
            NluExample("I live in NYC", "inform", (EntityAnnotation(10, 13, "city", "New York"),)),
        ),
        lookup_tables=(LookupTable("city", ("nyc", "berlin")),),
    )
    extractor = RegexEntityExtractor(dict(RegexEntityExtractor.defaults))
    extractor.fit([], data)
    mapper = EntitySynonymMapper({})
    mapper.fit([], data)
    message = Message("moving from Berlin to nyc")
    extractor.process([message])
    mapper.process([message])
    assert message.entities == [
        {
            "entity": "city",
            "start": 12,
            "end": 18,
            "value": "Berlin",
            "extractor": "RegexEntityExtractor",
        },
        {
            "entity": "city",
            "start": 22,
            "end": 25,
            "value": "New York",
            "extractor": "RegexEntityExtractor",
            "processors": ["EntitySynonymMapper"],
        },
    ]
