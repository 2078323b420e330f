"""Entity tags: from annotations to token tags (training) and from tags to entities (serving).

Decoding follows Rasa 3.6 (`convert_predictions_into_entities`, BILOU repair); the CRF is
decoded here in numpy from the transition matrix the trainer exported.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from stratus.nlu.message import Token
from stratus.shared.training_data.message import EntityAnnotation, NluExample

logger = logging.getLogger(__name__)

NO_ENTITY = "O"
BEGIN, INSIDE, LAST, UNIT = "B-", "I-", "L-", "U-"
BILOU_PREFIXES = (BEGIN, INSIDE, LAST, UNIT)
# Tag kinds, in the order DIET predicts them (roles and groups condition on entities).
ENTITY, ROLE, GROUP = "entity", "role", "group"
# `Crf.marginals` keeps its unscaled float32 sums within exp(+-this), so that the product
# of a forward and a backward sum stays within float32's normal range (exp(+-87)).
RESCALED_RANGE = 40.0
# Characters allowed between two tokens of one entity when they are not merged by comma.
_INTERLEAVING = {".", ",", " ", ";"}


def prefix_of(tag: str) -> str | None:
    return tag[:2] if tag[:2] in BILOU_PREFIXES else None


def strip_prefix(tag: str) -> str:
    return tag[2:] if tag[:2] in BILOU_PREFIXES else tag


def tag_names(values: Sequence[str], bilou: bool) -> list[str]:
    """All tags of one kind: "O" first, then each value (with B/I/L/U under BILOU)."""
    tags = [NO_ENTITY]
    for value in sorted(set(values)):
        tags.extend([p + value for p in BILOU_PREFIXES] if bilou else [value])
    return tags


def token_span(tokens: list[Token], start: int, end: int) -> tuple[int, int] | None:
    """First and last token an annotation covers; None when it covers no token."""
    covered = [i for i, t in enumerate(tokens) if t.start < end and t.end > start]
    return (covered[0], covered[-1]) if covered else None


def is_aligned(tokens: list[Token], a: EntityAnnotation) -> bool:
    return any(t.start == a.start for t in tokens) and any(t.end == a.end for t in tokens)


def annotation_tags(tokens: list[Token], example: NluExample, kind: str, bilou: bool) -> list[str]:
    """Gold tags of one kind for each token. Misaligned annotations snap to the tokens
    they overlap (Rasa drops them); the trainer warns about them beforehand."""
    tags = [NO_ENTITY] * len(tokens)
    for a in example.entities:
        value = {ENTITY: a.entity, ROLE: a.role, GROUP: a.group}[kind]
        span = token_span(tokens, a.start, a.end)
        if value is None or span is None:
            continue
        first, last = span
        for i in range(first, last + 1):
            tags[i] = value
        if bilou:
            if first == last:
                tags[first] = UNIT + value
            else:
                tags[first], tags[last] = BEGIN + value, LAST + value
                for i in range(first + 1, last):
                    tags[i] = INSIDE + value
    return tags


# -- CRF decoding --------------------------------------------------------------------------


class Crf:
    """A linear-chain CRF's transitions, with what decoding reads prepared once per model.

    `best_path` is run for every message of a model with entities, so the transposed and
    exponentiated transition matrices are built here rather than per call: at SNIPS' 157
    tags they are 25k-cell arrays.
    """

    def __init__(self, transitions: np.ndarray) -> None:
        trans = np.asarray(transitions, dtype=np.float64)
        self.transitions = trans
        # [to, from]: a step's candidates are rows, so the best predecessor of each tag is
        # an argmax over contiguous memory.
        self._incoming = np.ascontiguousarray(trans.T, dtype=np.float32)
        # [from, to]: when one tag is the only possible predecessor, its row (contiguous
        # here, a strided column of `_incoming`) is what every tag receives.
        self._outgoing = np.ascontiguousarray(trans, dtype=np.float32)
        self._tags = np.arange(trans.shape[0])
        spread = float(trans.max() - trans.min())
        # `best_path`'s tests compare float64 bounds with float32 scores: this margin
        # covers their rounding.
        margin = 1e-3 * (1.0 + np.abs(trans).max())
        # for the predecessor pruning in `best_path`
        self._reach = trans.max(axis=1) + margin
        self._lowest = trans.min(axis=1).tolist()  # read one value per step
        # what a token's best tag must lead by to be pinned (`best_path`)
        self._pin_gap = 2.0 * spread + margin
        self._moves = np.exp(trans - trans.max()).astype(np.float32)
        # `marginals` leaves its forward and backward sums unscaled for this many steps:
        # with each step's emissions scaled to a maximum of 1, a step changes a sum by a
        # factor between exp(min - max of the transitions) / tags and tags, so they stay
        # within exp(+-RESCALED_RANGE).
        growth = spread + math.log(max(2, trans.shape[0]))
        self._rescale_every = max(1, int(RESCALED_RANGE / growth))

    def best_path(self, logits: np.ndarray) -> list[int]:
        """The highest-scoring tag of each token (Viterbi).

        A token whose best tag leads its runner-up by more than twice the transitions'
        spread is pinned to it: on any path, putting that tag there gains more than the
        two transitions it touches can lose. Trained models pin most tokens, so only the
        stretches between pinned tokens are decoded step by step.
        """
        n_steps = logits.shape[0]
        if n_steps == 0:
            return []
        # float32, as the network computed the scores (and as Rasa's CRF decodes them).
        scores = np.asarray(logits, dtype=np.float32)
        path: list[int] = scores.argmax(axis=1).tolist()
        if scores.shape[1] > 1:
            # Each token's runner-up and best score, read into Python at once: a parse runs
            # on the cache the network left behind, where each numpy call costs ~3x.
            top_two = np.partition(scores, -2, axis=1)[:, -2:].tolist()
            gap = self._pin_gap
            pinned = [top - second > gap + 1e-5 * abs(top) for second, top in top_two]
        else:
            pinned = [True] * n_steps
        t = 0
        while t < n_steps:
            if pinned[t]:
                t += 1
                continue
            end = t
            while end + 1 < n_steps and not pinned[end + 1]:
                end += 1
            before = path[t - 1] if t > 0 else None
            after = path[end + 1] if end + 1 < n_steps else None
            path[t : end + 1] = self._decode(scores[t : end + 1], before, after)
            t = end + 1
        return path

    def _decode(self, scores: np.ndarray, before: int | None, after: int | None) -> list[int]:
        """Viterbi over a stretch of tokens, between the tags `before` and `after` that
        the tokens around it are pinned to (None at the message's ends)."""
        n_steps = scores.shape[0]
        score = scores[0] if before is None else self._outgoing[before] + scores[0]
        # each step's best predecessor of every tag: one tag for all of them, or an array
        back: list[int | np.ndarray] = [0] * n_steps
        reach, lowest = self._reach, self._lowest
        for t in range(1, n_steps):
            # Only a tag within reach of the best one can be any tag's best predecessor:
            # tag i beats the best tag b into j only if score[i] + trans[i, j] >= score[b]
            # + trans[b, j], so never when score[i] + max(trans[i]) < score[b] +
            # min(trans[b]). Trained models are confident, so usually one tag is left.
            best = int(score.argmax())
            top = float(score[best])
            floor = top + lowest[best] - 1e-6 * abs(top)
            within = score + reach  # in float64
            within[best] = -np.inf
            if within.max() < floor:
                back[t] = best
                score = (self._outgoing[best] + top) + scores[t]
                continue
            within[best] = np.inf
            kept = np.flatnonzero(within >= floor)
            if len(kept) * 4 < len(score):
                few = self._incoming[:, kept] + score[kept]
                back[t] = kept[few.argmax(axis=1)]
                score = few.max(axis=1) + scores[t]
                continue
            candidates = self._incoming + score
            pointers = candidates.argmax(axis=1)
            back[t] = pointers
            score = candidates[self._tags, pointers] + scores[t]
        if after is not None:
            score = score + self._incoming[after]
        path = [int(score.argmax())]
        for t in range(n_steps - 1, 0, -1):
            pointer = back[t]
            path.append(pointer if isinstance(pointer, int) else int(pointer[path[-1]]))
        path.reverse()
        return path

    def confidences(self, logits: np.ndarray, path: list[int]) -> list[float]:
        """Each chosen tag's marginal probability.

        Rasa reports a softmax over Viterbi scores as confidence; the marginal
        (forward-backward) is the probability that this token really has this tag, which
        is what a threshold on `confidence_entity` wants. Only the tokens from the first
        to the last tagged one (tag index 0 is "O") are computed, as no entity reads the
        confidence of an "O" outside them; those are NaN (all are computed when no token
        is tagged).
        """
        tagged = [t for t, tag in enumerate(path) if tag]
        first, last = (tagged[0], tagged[-1]) if tagged else (0, len(path) - 1)
        if last < first:
            return []
        marginals = self.marginals(logits, first, last)
        confidences = [math.nan] * len(path)
        for t in range(first, last + 1):
            confidences[t] = float(marginals[t - first, path[t]])
        return confidences

    def marginals(self, logits: np.ndarray, first: int = 0, last: int | None = None) -> np.ndarray:
        """[steps, tags]: each token's tag probabilities under the CRF (forward-backward);
        with `first`/`last`, only the rows of those tokens (inclusive), which need the
        forward sums up to `last` and the backward sums down to `first`.

        Computed in probability space (a matrix-vector product per step instead of a
        log-sum-exp over all tag pairs: SNIPS' 157 tags cost ~1.6 ms per message that
        way) and in float32 (the network's precision; float64 products take 1.7x as
        long), rescaled only every `_rescale_every` steps (about 6 at SNIPS' 157 tags); the
        scale factors cancel when each step is normalised. Scores so far apart that a step
        underflows fall back to float64 in log space.
        """
        logits = np.asarray(logits, dtype=np.float32)
        n_steps = logits.shape[0]
        last = n_steps - 1 if last is None else last
        emissions = np.exp(logits - logits.max(axis=1, keepdims=True))
        alpha = np.empty_like(emissions)
        beta = np.empty_like(emissions)
        alpha[0] = emissions[0]
        beta[-1] = 1.0
        moves, every = self._moves, self._rescale_every
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            for t in range(1, last + 1):
                np.multiply(alpha[t - 1] @ moves, emissions[t], out=alpha[t])
                if t % every == 0:
                    alpha[t] /= alpha[t].sum()
            for t in range(n_steps - 2, first - 1, -1):
                np.dot(moves, emissions[t + 1] * beta[t + 1], out=beta[t])
                if (n_steps - 1 - t) % every == 0:
                    beta[t] /= beta[t].sum()
            joint = alpha[first : last + 1] * beta[first : last + 1]
            marginals = joint / joint.sum(axis=1, keepdims=True)
        if not np.isfinite(marginals).all():
            log_space = _crf_marginals_in_log_space(logits.astype(np.float64), self.transitions)
            return log_space[first : last + 1]
        return marginals


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.exp(x - m).sum(axis=axis))


def _crf_marginals_in_log_space(logits: np.ndarray, trans: np.ndarray) -> np.ndarray:
    n_steps, _ = logits.shape
    alpha = np.zeros_like(logits)
    beta = np.zeros_like(logits)
    alpha[0] = logits[0]
    for t in range(1, n_steps):
        alpha[t] = logits[t] + _logsumexp(alpha[t - 1][:, None] + trans, axis=0)
    for t in range(n_steps - 2, -1, -1):
        beta[t] = _logsumexp(trans + (logits[t + 1] + beta[t + 1])[None, :], axis=1)
    log_z = _logsumexp(alpha[-1], axis=0)
    return np.exp(alpha + beta - log_z)


# -- from tags to entities (Rasa 3.6 semantics) --------------------------------------------


def _find_bilou_end(start: int, tags: list[str]) -> int:
    i = start + 1
    while i < len(tags):
        p = prefix_of(tags[i])
        if p == LAST:
            return i
        if p != INSIDE:
            return i - 1
        i += 1
    return i - 1


def _tag_to_use(tags: list[str], confidences: list[float]) -> tuple[str, float]:
    by_tag: dict[str, list[float]] = defaultdict(list)
    for tag, c in zip(tags, confidences):
        by_tag[tag].append(c)
    counts = Counter(tags)
    scores = {}
    for tag, count in counts.items():
        avg = round(sum(by_tag[tag]) / len(by_tag[tag]), 2)
        share = round(count / len(tags), 2)
        scores[tag] = 2 * avg * share / (avg + share) if avg + share else 0.0
    return max(scores.items(), key=lambda kv: kv[1])


def ensure_consistent_bilou(
    tags: list[str], confidences: list[float]
) -> tuple[list[str], list[float]]:
    """Repair B-a I-b L-a into B-a I-a L-a and B-a I-a O into B-a L-a (as Rasa)."""
    tags, confidences = list(tags), list(confidences)
    for idx, tag in enumerate(tags):
        if prefix_of(tag) != BEGIN:
            continue
        last = _find_bilou_end(idx, tags)
        value = strip_prefix(tag)
        relevant = [strip_prefix(t) for t in tags[idx : last + 1]]
        if any(r != relevant[0] for r in relevant):
            value, score = _tag_to_use(relevant, confidences[idx : last + 1])
            for i in range(idx, last + 1):
                if strip_prefix(tags[i]) != value:
                    confidences[i] = round(score, 2)
        if last == idx:
            tags[idx] = UNIT + value
        else:
            tags[idx], tags[last] = BEGIN + value, LAST + value
            for i in range(idx + 1, last):
                tags[i] = INSIDE + value
    return tags, confidences


def _new_entity(
    kinds: Sequence[str],
    entity: str,
    group: str,
    role: str,
    token: Token,
    idx: int,
    confidences: dict[str, list[float]],
) -> dict[str, object]:
    result: dict[str, object] = {"entity": entity, "start": token.start, "end": token.end}
    result["confidence_entity"] = confidences[ENTITY][idx]
    if ROLE in kinds and role != NO_ENTITY:
        result["role"] = role
        result["confidence_role"] = confidences[ROLE][idx]
    if GROUP in kinds and group != NO_ENTITY:
        result["group"] = group
        result["confidence_group"] = confidences[GROUP][idx]
    return result


def _is_single_entity(
    text: str, token: Token, last_end: int, split: dict[str, bool], entity: str
) -> bool:
    if token.start - last_end <= 1:
        return True
    between = text[last_end : token.start]
    return (
        token.start - last_end <= 3
        and all(c in _INTERLEAVING for c in between)
        and not split.get(entity, split.get("split_entities_by_comma", True))
    )


def entities_from_tags(
    text: str,
    tokens: list[Token],
    tags: dict[str, list[str]],
    confidences: dict[str, list[float]],
    split: dict[str, bool],
) -> list[dict[str, object]]:
    """Merge consecutive tagged tokens into entities (Rasa's convert_predictions_into_entities)."""
    entities: list[dict[str, object]] = []
    kinds = list(tags)
    last_entity = last_role = last_group = NO_ENTITY
    last_end = -1

    def tag(kind: str, i: int) -> str:
        return tags[kind][i] if kind in tags else NO_ENTITY

    for idx, token in enumerate(tokens):
        current = tag(ENTITY, idx)
        if current == NO_ENTITY:
            last_entity = NO_ENTITY
            last_end = token.end
            continue
        group = strip_prefix(tag(GROUP, idx))
        role = strip_prefix(tag(ROLE, idx))
        changed = last_group != group or last_role != role
        prefix = prefix_of(current)
        if prefix:
            new_bilou = last_entity != current and prefix not in (LAST, INSIDE)
            new_unit = last_entity == NO_ENTITY or prefix == UNIT
            new_found = new_bilou or new_unit or changed
            last_entity = current
            current = strip_prefix(current)
        else:
            new_found = last_entity != current or changed
            last_entity = current
        if new_found or not _is_single_entity(text, token, last_end, split, current):
            entities.append(_new_entity(kinds, current, group, role, token, idx, confidences))
        else:
            entity = entities[-1]
            entity["end"] = token.end
            for kind, key in (
                (ENTITY, "confidence_entity"),
                (ROLE, "confidence_role"),
                (GROUP, "confidence_group"),
            ):
                if key in entity:
                    entity[key] = min(float(entity[key]), confidences[kind][idx])  # type: ignore[arg-type]
        last_group, last_role, last_end = group, role, token.end
    for entity in entities:
        entity["value"] = text[int(entity["start"]) : int(entity["end"])]  # type: ignore[call-overload]
    return entities
