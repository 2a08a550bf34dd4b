"""SQuAD v1.1 scoring, span decoding from start/end logits, and no-learning baselines.

The scorer reproduces the official SQuAD v1.1 evaluation script so numbers are
comparable with the literature. The baselines are floors: a learned QA head
that cannot beat them has learned nothing about the predicate's arguments.
"""

from __future__ import annotations

import re
import string
import zlib
from collections import Counter
from typing import Sequence

import numpy as np

from emergence.data.qa import QAExample

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


# --------------------------------------------------------------------------- scoring


def normalize_answer(s: str) -> str:
    """SQuAD v1.1 normalisation: lower -> drop punctuation -> drop a/an/the -> squeeze spaces.

    The order matters (e.g. "the." loses its period before the article is
    removed) and follows the official script exactly.
    """
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def exact_match(pred: str, gold: str) -> float:
    """1.0 if the normalised strings are equal, else 0.0."""
    return float(normalize_answer(pred) == normalize_answer(gold))


def f1(pred: str, gold: str) -> float:
    """Token-overlap F1 in [0, 1] between normalised strings (official SQuAD v1.1).

    As in the official script, no common token gives 0 -- including when one
    or both sides normalise to nothing.
    """
    p, g = normalize_answer(pred).split(), normalize_answer(gold).split()
    common = Counter(p) & Counter(g)
    n_same = sum(common.values())
    if n_same == 0:
        return 0.0
    precision, recall = n_same / len(p), n_same / len(g)
    return 2 * precision * recall / (precision + recall)


def score(predictions: dict[str, str], golds: dict[str, list[str]]) -> dict:
    """Corpus EM and F1 (x100) over every gold question.

    Each question's EM/F1 is the max over its gold texts. A question with no
    prediction scores 0 (so dropping hard questions cannot raise the score);
    predictions for ids not in ``golds`` are ignored. Returns
    ``{"f1", "exact_match", "n_questions", "per_question"}`` where
    ``per_question[id] = (em, f1)`` on the 0-1 scale, for breakdowns.
    Raises ValueError if a question has an empty gold list (it cannot be scored).
    """
    per_question: dict[str, tuple[float, float]] = {}
    for qid, gold_texts in golds.items():
        if not gold_texts:
            raise ValueError(f"question {qid!r} has no gold answers")
        if qid not in predictions:
            per_question[qid] = (0.0, 0.0)
            continue
        pred = predictions[qid]
        per_question[qid] = (
            max(exact_match(pred, g) for g in gold_texts),
            max(f1(pred, g) for g in gold_texts),
        )
    n = len(per_question)
    em_sum = sum(em for em, _ in per_question.values())
    f1_sum = sum(f for _, f in per_question.values())
    return {
        "f1": 100.0 * f1_sum / n if n else 0.0,
        "exact_match": 100.0 * em_sum / n if n else 0.0,
        "n_questions": n,
        "per_question": per_question,
    }


def breakdown(per_question_f1: dict[str, float], words: dict[str, str]) -> dict[str, dict]:
    """Mean F1 per question class: ``{word: {"f1": mean x100, "count": n}}``, keys sorted.

    ``per_question_f1`` is on the 0-1 scale (e.g. ``{q: f for q, (_, f) in
    score(...)["per_question"].items()}``); ``words`` maps every id to its
    class (``QAExample.question_word``). Raises ValueError on an id without a class.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for qid, value in per_question_f1.items():
        if qid not in words:
            raise ValueError(f"question {qid!r} has no question word")
        w = words[qid]
        sums[w] = sums.get(w, 0.0) + value
        counts[w] = counts.get(w, 0) + 1
    return {w: {"f1": 100.0 * sums[w] / counts[w], "count": counts[w]} for w in sorted(counts)}


# --------------------------------------------------------------------------- span decoding


def _top_k(logits: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest logits, best first; ties keep the lower index."""
    return np.argsort(-logits, kind="stable")[:k]


def best_span(
    windows: Sequence[tuple[np.ndarray, np.ndarray, Sequence[tuple[int, int] | None]]],
    top_k: int = 20,
    max_answer_length: int = 30,
) -> tuple[int, int, float] | None:
    """Best answer span over all windows as (char_start, char_end_exclusive, score).

    Each window is ``(start_logits [T], end_logits [T], offsets)``, with
    ``offsets[t] = (char_start, char_end)`` (end exclusive) for context tokens
    and None for question/separator/padding tokens. As in the usual SQuAD
    post-processing, only the ``top_k`` start and ``top_k`` end positions of a
    window are paired (top-k is taken over all tokens, so non-context tokens
    use up slots); a pair is valid when both are context tokens, end >= start
    and end - start + 1 <= ``max_answer_length``. Score is start + end logit.
    Ties keep the earlier window, then the better-ranked start, then end.
    Returns None when no window has a valid pair.
    """
    if top_k < 1 or max_answer_length < 1:
        raise ValueError("top_k and max_answer_length must be >= 1")
    best: tuple[int, int, float] | None = None
    for w, (start_logits, end_logits, offsets) in enumerate(windows):
        start_logits = np.asarray(start_logits, dtype=np.float64)
        end_logits = np.asarray(end_logits, dtype=np.float64)
        if not (start_logits.shape == end_logits.shape == (len(offsets),)):
            raise ValueError(
                f"window {w}: start {start_logits.shape}, end {end_logits.shape} "
                f"and {len(offsets)} offsets disagree"
            )
        starts = _top_k(start_logits, top_k)
        ends = _top_k(end_logits, top_k)
        start_ok = np.array([offsets[i] is not None for i in starts], dtype=bool)
        end_ok = np.array([offsets[i] is not None for i in ends], dtype=bool)

        length = ends[None, :] - starts[:, None] + 1
        valid = start_ok[:, None] & end_ok[None, :] & (length >= 1) & (length <= max_answer_length)
        if not valid.any():
            continue
        scores = start_logits[starts][:, None] + end_logits[ends][None, :]
        candidates = np.flatnonzero(valid)
        flat = candidates[np.argmax(scores.ravel()[candidates])]
        i, j = np.unravel_index(flat, scores.shape)
        s = float(scores[i, j])
        if best is None or s > best[2]:
            best = (offsets[starts[i]][0], offsets[ends[j]][1], s)
    return best


# --------------------------------------------------------------------------- baselines

# Closed-class words that end a phrase: prepositions, conjunctions and
# complementisers, wh-/relative words, auxiliaries and modals, negation.
# Determiners, pronouns, adjectives and possessive "'s" are *not* here, so
# "the old lantern" or "John 's boat" stays one phrase.
_BOUNDARY_WORDS = frozenset(
    """
    about above across after against along among around as at before behind below
    beneath beside between beyond by despite down during except for from in inside
    into like near of off on onto out outside over past since than through throughout
    till to toward towards under until up upon via with within without
    and or but nor so yet because although though while if unless whereas that whether
    who whom whose which what where when why how
    is are was were be been being am has have had having do does did
    will would shall should can could may might must not n't
    """.split()
)


def _is_punct(token: str) -> bool:
    return bool(token) and all(ch in _PUNCT for ch in token)


def _phrases(tokens: list[str], predicate_idx: int) -> list[tuple[int, int]]:
    """Candidate phrases as (first, last) token indices, left to right.

    A phrase is a maximal run of tokens none of which is punctuation, a
    boundary word (case-insensitive, see ``_BOUNDARY_WORDS``) or the predicate.
    This is a crude stand-in for noun-phrase chunking that needs no tagger.
    """
    phrases, start = [], None
    for i, tok in enumerate(tokens):
        breaks = i == predicate_idx or _is_punct(tok) or tok.lower() in _BOUNDARY_WORDS
        if breaks:
            if start is not None:
                phrases.append((start, i - 1))
            start = None
        elif start is None:
            start = i
    if start is not None:
        phrases.append((start, len(tokens) - 1))
    return phrases


def _span_text(tokens: list[str], first: int, last: int) -> str:
    return " ".join(tokens[first : last + 1])


def random_span_baseline(examples: Sequence[QAExample], seed: int, max_len: int = 5) -> dict[str, str]:
    """Predict a uniformly random token span of the context, 1..max_len tokens long.

    The span is drawn uniformly over all spans of 1..min(max_len, n) tokens
    (not length-then-start, which would favour short spans' positions). Each
    example gets its own generator seeded from (seed, crc32(id)), so a
    prediction depends only on the seed and the example, not on list order.
    Tokens are ``context.split(" ")``, matching ``predicate_idx``.
    """
    preds: dict[str, str] = {}
    for ex in examples:
        tokens = ex.context.split(" ")
        n = len(tokens)
        rng = np.random.default_rng([seed, zlib.crc32(ex.id.encode("utf-8"))])
        lengths = np.arange(1, min(max_len, n) + 1)
        n_spans = n - lengths + 1  # spans of each length
        r = int(rng.integers(int(n_spans.sum())))
        li = int(np.searchsorted(np.cumsum(n_spans), r, side="right"))
        start = r - int(n_spans[:li].sum())
        preds[ex.id] = _span_text(tokens, start, start + int(lengths[li]) - 1)
    return preds


def nearest_phrase_baseline(examples: Sequence[QAExample]) -> dict[str, str]:
    """Predict the phrase nearest the predicate.

    Rule: split the sentence into phrases at punctuation, boundary words
    (prepositions, conjunctions, wh-words, auxiliaries, negation) and the
    predicate itself (see ``_phrases``); pick the phrase whose nearest token
    is closest to the predicate token; on a tie pick the left one (the
    subject side -- "who" questions are the most frequent in QA-SRL). If the
    sentence has no phrase, predict the predicate token itself.
    """
    preds: dict[str, str] = {}
    for ex in examples:
        tokens = ex.context.split(" ")
        p = ex.predicate_idx
        phrases = _phrases(tokens, p)
        if not phrases:
            preds[ex.id] = tokens[p] if 0 <= p < len(tokens) else ""
            continue
        # distance to the predicate; the phrase never covers it. min() keeps the first (leftmost) on ties.
        first, last = min(phrases, key=lambda ph: p - ph[1] if ph[1] < p else ph[0] - p)
        preds[ex.id] = _span_text(tokens, first, last)
    return preds


def first_phrase_baseline(examples: Sequence[QAExample]) -> dict[str, str]:
    """Predict the sentence's first phrase (a subject-position guess).

    Rule: the leftmost phrase as defined in ``_phrases`` (a maximal run of
    tokens with no punctuation, boundary word or the predicate); if the
    sentence has no phrase, the first token.
    """
    preds: dict[str, str] = {}
    for ex in examples:
        tokens = ex.context.split(" ")
        phrases = _phrases(tokens, ex.predicate_idx)
        if phrases:
            preds[ex.id] = _span_text(tokens, *phrases[0])
        else:
            preds[ex.id] = tokens[0] if tokens else ""
    return preds
