"""Pairing gold examples with parse results, as Rasa's `get_eval_data` does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.training_data.message import NluExample

# Names Rasa's parse results use.
FALLBACK_INTENT = "nlu_fallback"
RESPONSE_SELECTOR = "response_selector"
RETRIEVAL_INTENTS = "all_retrieval_intents"
DEFAULT_SELECTOR = "default"
# Entities from pre-trained extractors are dropped before scoring: nobody trained them.
PRETRAINED_EXTRACTORS = frozenset({"DucklingEntityExtractor", "SpacyEntityExtractor"})
# A parse result may carry its tokens under this key, as `[start, end]` pairs like
# Rasa's /model/parse, or as {text, start, end} mappings.
TOKENS_KEY = "text_tokens"


@dataclass(frozen=True)
class Token:
    """A token of the evaluated text: `text[start:end]`."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class IntentResult:
    target: str
    prediction: str
    text: str
    confidence: float | None


@dataclass(frozen=True)
class ResponseResult:
    """A retrieval-intent example: targets and predictions are `faq/ask_name` keys."""

    target: str
    prediction: str
    text: str
    confidence: float | None


@dataclass(frozen=True)
class EntityResult:
    targets: tuple[Mapping[str, Any], ...]
    predictions: tuple[Mapping[str, Any], ...]
    tokens: tuple[Token, ...]
    text: str


@dataclass(frozen=True)
class EvaluationData:
    """Everything the evaluators need; empty lists mean "not evaluated" (as in Rasa)."""

    intents: list[IntentResult] = field(default_factory=list)
    responses: list[ResponseResult] = field(default_factory=list)
    entities: list[EntityResult] = field(default_factory=list)

    def __add__(self, other: EvaluationData) -> EvaluationData:
        return EvaluationData(
            self.intents + other.intents,
            self.responses + other.responses,
            self.entities + other.entities,
        )


Tokenizer = Callable[[str], Sequence[Token]]

# Rasa's WhitespaceTokenizer cleaning pattern (rasa/nlu/tokenizers/whitespace_tokenizer.py),
# used only when neither the parse result nor the caller supplies tokens.
_NON_WORD = re.compile(
    r"[^\w#@&]+(?=\s|$)|"
    r"(\s|^)[^\w#@&]+(?=[^0-9\s])|"
    r"(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)


def whitespace_tokens(text: str) -> list[Token]:
    """Tokens as Rasa's WhitespaceTokenizer finds them (without its emoji removal)."""
    words = _NON_WORD.sub(" ", text).split() or ([text] if text else [])
    tokens: list[Token] = []
    offset = 0
    for word in words:
        start = text.find(word, offset)
        if start < 0:  # cleaning changed the word; fall back to where we are
            start = offset
        offset = start + len(word)
        tokens.append(Token(word, start, offset))
    return tokens


def undo_fallback(parse: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parse as if no FallbackClassifier had run: its intent would hide the real miss."""
    intent = parse.get("intent") or {}
    ranking = parse.get("intent_ranking") or []
    if intent.get("name") != FALLBACK_INTENT or len(ranking) < 2:
        return parse
    return {**parse, "intent": ranking[1], "intent_ranking": list(ranking[1:])}


def _tokens_of(parse: Mapping[str, Any], text: str, tokenize: Tokenizer) -> tuple[Token, ...]:
    raw = parse.get(TOKENS_KEY)
    if raw:
        out = []
        for t in raw:
            if isinstance(t, Token):
                out.append(t)
            elif isinstance(t, Mapping):
                out.append(Token(str(t["text"]), int(t["start"]), int(t["end"])))
            elif isinstance(t, Sequence) and len(t) == 2:  # /model/parse: [start, end]
                start, end = int(t[0]), int(t[1])
                out.append(Token(text[start:end], start, end))
            else:  # Rasa-like token objects
                out.append(Token(str(t.text), int(t.start), int(t.end)))
        return tuple(out)
    return tuple(tokenize(text))


def _response_prediction(intent: str, parse: Mapping[str, Any]) -> tuple[str | None, Any]:
    selector = parse.get(RESPONSE_SELECTOR) or {}
    retrieval_intents = selector.get(RETRIEVAL_INTENTS) or ()
    key = intent if intent in retrieval_intents and intent in selector else DEFAULT_SELECTOR
    response = (selector.get(key) or {}).get("response") or {}
    return response.get("intent_response_key"), response.get("confidence")


def collect_results(
    examples: Sequence[NluExample],
    parses: Sequence[Mapping[str, Any]],
    tokenize: Tokenizer = whitespace_tokens,
) -> EvaluationData:
    """Turn gold examples and their parse results into intent/response/entity results.

    As Rasa: intents are scored only when the gold data has at least two intents,
    response selection only with at least two retrieval responses, entities only when
    some gold example has an entity.
    """
    if len(examples) != len(parses):
        raise ValueError(f"{len(examples)} examples but {len(parses)} parse results")
    intent_labels = {e.intent for e in examples if e.intent}
    response_labels = {e.full_intent for e in examples if e.response_key}
    eval_intents = len(intent_labels) >= 2
    eval_responses = len(response_labels) >= 2
    eval_entities = any(e.entities for e in examples)

    data = EvaluationData()
    for example, raw_parse in zip(examples, parses):
        predicted_entities = tuple(
            e
            for e in raw_parse.get("entities") or ()
            if e.get("extractor") not in PRETRAINED_EXTRACTORS
        )
        if eval_intents:
            parse = undo_fallback(raw_parse)
            intent = parse.get("intent") or {}
            data.intents.append(
                IntentResult(
                    target=example.intent or "",
                    prediction=intent.get("name") or "",
                    text=example.text,
                    confidence=intent.get("confidence"),
                )
            )
        if eval_responses:
            key, confidence = _response_prediction(example.intent or "", raw_parse)
            data.responses.append(
                ResponseResult(
                    target=(example.full_intent or "") if example.response_key else "",
                    prediction=key or "",
                    text=example.text,
                    confidence=confidence,
                )
            )
        if eval_entities:
            data.entities.append(
                EntityResult(
                    targets=tuple(a.as_dict() for a in example.entities),
                    predictions=predicted_entities,
                    tokens=_tokens_of(raw_parse, example.text, tokenize),
                    text=example.text,
                )
            )
    return data
