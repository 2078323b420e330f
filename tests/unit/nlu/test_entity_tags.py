"""Entity tags: BILOU training tags, CRF decoding and Rasa's merging of tags into entities."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from stratus.nlu import entity_tags
from stratus.nlu.entity_tags import (
    ENTITY,
    ROLE,
    Crf,
    annotation_tags,
    ensure_consistent_bilou,
    entities_from_tags,
)
from stratus.nlu.tokenizers import WhitespaceTokenizer
from stratus.shared.training_data.message import EntityAnnotation, NluExample

TOKENIZER = WhitespaceTokenizer(dict(WhitespaceTokenizer.defaults))


def test_bilou_tags_from_annotations() -> None:
    text = "fly from New York City to Rome"
    example = NluExample(
        text,
        "book",
        (
            EntityAnnotation(9, 22, "city", "New York City", role="from"),
            EntityAnnotation(26, 30, "city", "Rome"),
        ),
    )
    tokens = TOKENIZER.tokenize(text)
    assert annotation_tags(tokens, example, ENTITY, bilou=True) == [
        "O",
        "O",
        "B-city",
        "I-city",
        "L-city",
        "O",
        "U-city",
    ]
    assert annotation_tags(tokens, example, ROLE, bilou=False) == [
        "O",
        "O",
        "from",
        "from",
        "from",
        "O",
        "O",
    ]


def test_viterbi_finds_the_best_path_and_marginals_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    logits, trans = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))

    def score(path: tuple[int, ...]) -> float:
        return sum(logits[t, p] for t, p in enumerate(path)) + sum(
            trans[a, b] for a, b in itertools.pairwise(path)
        )

    best = max(itertools.product(range(3), repeat=4), key=score)
    crf = Crf(trans)
    path = crf.best_path(logits)
    confidences = crf.confidences(logits, path)
    assert tuple(path) == best
    assert np.allclose(crf.marginals(logits).sum(axis=1), 1.0)
    assert all(0.0 < c <= 1.0 for c in confidences)


def _reference_viterbi(logits: np.ndarray, trans: np.ndarray) -> list[int]:
    score, back = logits[0].astype(np.float64), []
    for step in logits[1:]:
        candidates = score[:, None] + trans
        back.append(candidates.argmax(axis=0))
        score = candidates.max(axis=0) + step
    path = [int(score.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1]


@pytest.mark.parametrize("peak", [0.0, 4.0, 30.0, "mixed"])
def test_pruned_viterbi_finds_the_same_path_as_the_full_one(peak: float | str) -> None:
    # Confident tokens (a tag far ahead) let decode skip hopeless predecessors and pin
    # tokens whose lead no transition can undo; the path must not change, including when
    # two tags are level at the top. "mixed": pinned and unpinned tokens side by side,
    # some leads just around the pinning threshold.
    rng = np.random.default_rng(2)
    for _ in range(50):
        tags, steps = int(rng.integers(8, 120)), int(rng.integers(2, 15))
        trans = rng.normal(size=(tags, tags)).astype(np.float32)
        logits = rng.normal(size=(steps, tags)).astype(np.float32)
        if peak == "mixed":
            spread = float(trans.max() - trans.min())
            lead = rng.choice([0.0, 2.0 * spread - 0.5, 2.0 * spread + 0.5, 30.0], size=steps)
        else:
            lead = np.full(steps, peak)
        logits[np.arange(steps), rng.integers(0, tags, size=steps)] += lead
        logits[0, 1] = logits[0, 0] = logits[0].max()
        path = Crf(trans).best_path(logits)
        assert path == _reference_viterbi(logits, trans.astype(np.float64))


@pytest.mark.parametrize("lead", [-0.1, 0.1])
def test_a_token_is_pinned_only_when_no_transitions_can_outweigh_its_lead(lead: float) -> None:
    # Staying on tag 0 earns trans[0, 0] twice (spread 1), so tag 1 in the middle wins
    # only with a lead over 2.
    trans = np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    logits = np.array([[9.0, 0.0], [0.0, 2.0 + lead], [9.0, 0.0]], dtype=np.float32)
    expected = [0, 1, 0] if lead > 0 else [0, 0, 0]
    assert Crf(trans).best_path(logits) == expected == _reference_viterbi(logits, trans)


@pytest.mark.parametrize("scale", [1.0, 40.0, 2000.0])
def test_crf_marginals_are_the_sums_over_all_paths(scale: float) -> None:
    # brute force: every path's probability is softmax(path score); a token's marginal for
    # a tag sums the paths through it. At scale 2000 a scaled step underflows to zero and
    # the log-space fallback answers.
    rng = np.random.default_rng(1)
    steps, tags = 4, 3
    logits, trans = scale * rng.normal(size=(steps, tags)), scale * rng.normal(size=(tags, tags))
    logits = logits.astype(np.float32).astype(np.float64)  # the network's precision
    paths = list(itertools.product(range(tags), repeat=steps))
    scores = np.array(
        [
            sum(logits[t, p] for t, p in enumerate(path))
            + sum(trans[a, b] for a, b in itertools.pairwise(path))
            for path in paths
        ]
    )
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    expected = np.zeros((steps, tags))
    for path, weight in zip(paths, weights):
        for t, tag in enumerate(path):
            expected[t, tag] += weight
    crf = Crf(trans)
    assert np.allclose(crf.marginals(logits), expected, atol=1e-6)  # float32 sums
    first = np.exp(logits[0] - logits[0].max())
    assert np.allclose(crf.marginals(logits[:1]), first / first.sum())


@pytest.mark.parametrize("steps", [3, 40, 300])
def test_crf_marginals_stay_exact_over_rescaled_stretches(
    steps: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sums go unscaled for `_rescale_every` steps (2 with these transitions): long
    # messages cross many rescaled stretches without under- or overflowing float32 (the
    # log-space fallback must not be needed) and agree with the float64 log-space
    # forward-backward.
    rng = np.random.default_rng(3)
    tags = 40
    trans = 1.5 * rng.normal(size=(tags, tags))
    logits = (6.0 * rng.normal(size=(steps, tags))).astype(np.float32).astype(np.float64)
    expected = entity_tags._crf_marginals_in_log_space(logits, trans)
    crf = Crf(trans)
    assert 1 < crf._rescale_every < 10
    monkeypatch.setattr(entity_tags, "_crf_marginals_in_log_space", None)
    assert np.allclose(crf.marginals(logits), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [1.0, 2000.0])
def test_marginals_of_a_span_are_those_rows_of_the_full_marginals(scale: float) -> None:
    # At scale 2000 the probability-space sums underflow and the log-space fallback,
    # sliced to the span, answers.
    rng = np.random.default_rng(4)
    logits, trans = scale * rng.normal(size=(9, 12)), scale * rng.normal(size=(12, 12))
    crf = Crf(trans)
    full = crf.marginals(logits)
    for first, last in [(0, 8), (0, 0), (8, 8), (2, 5), (3, 3)]:
        assert np.allclose(crf.marginals(logits, first, last), full[first : last + 1], atol=1e-6)


def test_confidences_cover_the_tokens_from_the_first_to_the_last_tagged_one() -> None:
    rng = np.random.default_rng(5)
    logits, trans = rng.normal(size=(7, 5)), rng.normal(size=(5, 5))
    crf = Crf(trans)
    full = crf.marginals(logits)
    path = [0, 0, 3, 0, 2, 0, 0]
    confidences = crf.confidences(logits, path)
    assert len(confidences) == len(path)
    assert [math.isnan(c) for c in confidences] == [True, True, False, False, False, True, True]
    assert confidences[2:5] == pytest.approx([full[2, 3], full[3, 0], full[4, 2]], abs=1e-6)
    untagged = crf.confidences(logits, [0] * 7)
    assert untagged == pytest.approx(full[:, 0].tolist(), abs=1e-6)
    assert crf.confidences(logits[:0], []) == []


def test_inconsistent_bilou_is_repaired_as_rasa_does() -> None:
    tags, conf = ensure_consistent_bilou(["B-a", "I-b", "L-a", "O"], [0.9, 0.4, 0.9, 1.0])
    assert tags == ["B-a", "I-a", "L-a", "O"]
    assert conf[1] != 0.4
    tags, _ = ensure_consistent_bilou(["B-a", "I-a", "O"], [1.0, 1.0, 1.0])
    assert tags == ["B-a", "L-a", "O"]


def test_entities_from_tags_merges_tokens_and_splits_on_commas() -> None:
    text = "apples, pears and New York"
    tokens = TOKENIZER.tokenize(text)
    tags = {ENTITY: ["fruit", "fruit", "O", "city", "city"]}
    conf = {ENTITY: [0.9, 0.8, 1.0, 0.7, 0.6]}
    entities = entities_from_tags(text, tokens, tags, conf, {"split_entities_by_comma": True})
    assert [(e["value"], e["confidence_entity"]) for e in entities] == [
        ("apples", 0.9),
        ("pears", 0.8),
        ("New York", 0.6),
    ]
    merged = entities_from_tags(text, tokens, tags, conf, {"split_entities_by_comma": False})
    assert merged[0]["value"] == "apples, pears"


@pytest.mark.parametrize("bilou", [True, False])
def test_roles_are_reported_with_their_confidence(bilou: bool) -> None:
    text = "from Berlin"
    tokens = TOKENIZER.tokenize(text)
    entity = ["O", "U-city" if bilou else "city"]
    role = ["O", "U-departure" if bilou else "departure"]
    entities = entities_from_tags(
        text,
        tokens,
        {ENTITY: entity, ROLE: role},
        {ENTITY: [1.0, 0.9], ROLE: [1.0, 0.8]},
        {"split_entities_by_comma": True},
    )
    assert entities == [
        {
            "entity": "city",
            "start": 5,
            "end": 11,
            "confidence_entity": 0.9,
            "role": "departure",
            "confidence_role": 0.8,
            "value": "Berlin",
        }
    ]
