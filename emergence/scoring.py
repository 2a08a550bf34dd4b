"""SQuAD v1.1 scoring, span decoding from start/end logits, and no-learning baselines.

The scorer reproduces the official SQuAD v1.1 evaluation script so numbers are
comparable with the literature. The baselines are floors: a learned QA head
that cannot beat them has learned nothing about the predicate's arguments. The
question-type floor reads the question (by rule), the others do not.
The question-blind ceiling is the other side: the best score of one span per context,
whatever the question.
``question_bootstrap`` gives an interval for a mean F1 that resamples contexts, not
questions, since questions about one sentence are not independent.
"""

from __future__ import annotations

import re
import string
import zlib
from collections import Counter
from typing import Sequence

import numpy as np

from emergence.data.qa import TWO_WORD_QUESTION_WORDS, QAExample

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
    sums, counts = _sums_by_group(per_question_f1, words, "question word")
    return {w: {"f1": 100.0 * sums[w] / counts[w], "count": counts[w]} for w in sorted(counts)}


def _sums_by_group(values: dict[str, float], groups: dict[str, str], what: str) -> tuple[dict, dict]:
    """Per group: the sum of the values and their count. Raises ValueError on an id without a group."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for qid, value in values.items():
        if qid not in groups:
            raise ValueError(f"question {qid!r} has no {what}")
        g = groups[qid]
        sums[g] = sums.get(g, 0.0) + value
        counts[g] = counts.get(g, 0) + 1
    return sums, counts


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


# --------------------------------------------------------------------------- question-type floor
#
# A floor that reads the question but learns nothing. It parses the QA-SRL question's slots to
# decide which argument the wh-word stands for (subject, object, the object of a named
# preposition, or an adjunct: where/when/how/why/how much), then finds that argument in the
# sentence with surface cues alone: closed-class words (determiners, prepositions,
# auxiliaries, conjunctions, relative words), capitalisation, digits, the -ly/-ed/-ing
# suffixes and a list of time nouns (months, weekdays, parts of the day). Nothing here knows
# the embedded world's vocabulary, so the same rule runs on real QA-SRL sentences.

_DETERMINERS = frozenset(
    "the a an this these those his her their its my your our some every each any no another all both".split()
)
_CONJUNCTIONS = frozenset("and or but nor yet then".split())
# words that open a clause; after/before/until/since open a clause or a prepositional phrase
_SUBORDINATORS = frozenset("while when whenever because although though if unless whereas once".split())
_TEMPORAL_PREPOSITIONS = frozenset("after before until till since during throughout".split())
_RELATIVES = frozenset("who whom whose which that where when".split())
_BE = frozenset("is are was were be been being am".split())
_AUXILIARIES = _BE | frozenset(
    "has have had having do does did will would shall should can could may might must not n't never".split()
)
_PREPOSITIONS = frozenset(
    """
    about above across after against along among around as at before behind below beneath beside
    between beyond by despite down during except for from in inside into like near of off on onto
    out outside over past since than through throughout till to toward towards under until up upon
    via with within without
    """.split()
)
_LOCATIVE_PREPOSITIONS = frozenset(
    """
    in at on under near by beside behind into onto to from inside outside across through over above
    below along around toward towards between within beneath upon past among
    """.split()
)
_TIME_WORDS = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    morning afternoon evening night midnight noon dawn dusk sunrise sunset daybreak nightfall
    day days week weeks weekend month months year years hour hours minute minutes moment
    decade decades century centuries season spring summer autumn winter
    today tomorrow yesterday tonight time
    """.split()
)
_NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions dozen dozens half
    """.split()
)
# words that modify a time noun ("the next day", "the early morning")
_TIME_MODIFIERS = frozenset("last next this that every same following previous early late".split())
# words ending in -ly that are not manner adverbs
_NOT_ADVERBS = frozenset(
    "family only early july italy supply reply apply rely assembly holy ugly belly jelly lily ally rally".split()
)
# words ending in -ing that are nouns more often than verbs
_ING_NOUNS = frozenset(
    """
    morning evening spring something nothing anything everything king ring thing wing string
    building wedding ceiling meeting painting feeling beginning ending clothing
    """.split()
)
# the placeholders QA-SRL questions use in their subject, object and second-object slots
_Q_ARGUMENTS = frozenset("someone something somewhere it".split())
_Q_VERB_PREFIX = frozenset("be been being have has had having not".split())
_Q_AUXILIARIES = _AUXILIARIES | frozenset(
    "isn't aren't wasn't weren't doesn't don't didn't hasn't haven't hadn't won't wouldn't "
    "can't cannot couldn't shouldn't mightn't mustn't".split()
)
_Q_BE = _BE | frozenset("isn't aren't wasn't weren't".split())
_ADJUNCT_WH = frozenset({"where", "when", "why", "how", "how much", "how many", "how long", "how often"})


def _parse_qasrl_question(question: str) -> dict | None:
    """A QA-SRL question's slots from its text, or None if it is not one.

    The text is the non-empty slots of wh aux subj verb obj prep obj2 joined by spaces
    (``question_text``), and the argument slots hold only placeholders (someone, something,
    somewhere, it), so the slots can be read back: the wh-word (one or two words), an optional
    auxiliary, an optional subject placeholder, the verb (optionally after be/been/being/have),
    an optional object placeholder, then an optional preposition and an optional second object.
    Returns ``{"wh", "aux", "subj", "verb", "obj", "prep", "obj2", "passive"}`` with "" for empty
    slots; ``verb`` is the main verb word and ``passive`` says whether the question is passive
    (a form of be before a main verb that does not end in -ing).
    """
    words = question.lower().replace("?", " ").split()
    if not words:
        return None
    if len(words) >= 2 and f"{words[0]} {words[1]}" in TWO_WORD_QUESTION_WORDS:
        wh, rest = f"{words[0]} {words[1]}", words[2:]
    elif words[0] in {"who", "whom", "what", "which", "when", "where", "why", "how"}:
        wh, rest = words[0], words[1:]
    else:
        return None
    slots = {"wh": wh, "aux": "", "subj": "", "verb": "", "obj": "", "prep": "", "obj2": ""}
    i = 0
    aux = []
    if i < len(rest) and rest[i] in _Q_AUXILIARIES:  # one auxiliary, perhaps negated
        aux.append(rest[i])
        i += 1
        while i < len(rest) and rest[i] in ("not", "n't"):
            aux.append(rest[i])
            i += 1
    slots["aux"] = " ".join(aux)
    if i < len(rest) and rest[i] in _Q_ARGUMENTS:
        slots["subj"] = rest[i]
        i += 1
    prefix = []
    while i < len(rest) - 1 and rest[i] in _Q_VERB_PREFIX:
        prefix.append(rest[i])
        i += 1
    if i >= len(rest) or rest[i] in _Q_ARGUMENTS or rest[i] in _DETERMINERS:
        return None
    slots["verb"] = rest[i]
    i += 1
    if i < len(rest) and rest[i] in _Q_ARGUMENTS and rest[i] != "somewhere":
        slots["obj"] = rest[i]
        i += 1
    prep = []
    while i < len(rest) and rest[i] not in _Q_ARGUMENTS and rest[i] not in {"do", "doing"}:
        prep.append(rest[i])
        i += 1
    obj2 = rest[i:]
    if not all(w in _PREPOSITIONS or w in ("to", "do", "doing") for w in prep) or len(obj2) > 2 \
            or not all(w in _Q_ARGUMENTS or w in ("do", "doing") for w in obj2):
        return None  # free text, not QA-SRL slots
    slots["prep"] = " ".join(prep)
    slots["obj2"] = " ".join(obj2)
    be = any(w in _Q_BE for w in aux) or any(w in _BE for w in prefix)
    slots["passive"] = be and not slots["verb"].endswith("ing")
    return slots


class _Sentence:
    """A space-tokenized sentence with a class per token and candidate phrases.

    Token classes: "pred" (the predicate), "punct", "det", "fn" (other closed-class words:
    prepositions, conjunctions, auxiliaries, relative and wh-words), "adv" (an -ly adverb),
    "verb" (a word that looks like a verb from its suffix or its neighbours) and "word".
    A phrase is a maximal run of det/word tokens, split before a determiner, a capitalised
    word or a time expression that follows a word ("gave Alma | the chicken", "the duck |
    last year"), and joined across "of" ("the bowl of porridge").
    """

    def __init__(self, tokens: list[str], predicate_idx: int):
        self.tokens = tokens
        self.low = [t.lower() for t in tokens]
        self.p = predicate_idx
        self.n = len(tokens)
        self.kind: list[str] = []
        for i in range(self.n):
            self.kind.append(self._classify(i))
        self.phrases = self._phrases()
        self.phrase_at = {ph[0]: ph for ph in self.phrases}
        self.phrase_ending = {ph[1]: ph for ph in self.phrases}

    def _is_lower_word(self, i: int) -> bool:
        """A lowercase open-class word (not a closed-class word, adverb or punctuation)."""
        if not 0 <= i < self.n or i == self.p:
            return False
        t, low = self.tokens[i], self.low[i]
        return (t[:1].islower() and not _is_punct(t) and low not in _DETERMINERS
                and low not in _BOUNDARY_WORDS and low not in _CONJUNCTIONS
                and not (low.endswith("ly") and len(low) >= 5 and low not in _NOT_ADVERBS))

    def _classify(self, i: int) -> str:
        t, low = self.tokens[i], self.low[i]
        prev = self.kind[i - 1] if i > 0 else None
        if i == self.p:
            return "pred"
        if _is_punct(t):
            return "punct"
        if low in _DETERMINERS:
            return "det"
        if low in _BOUNDARY_WORDS or low in _CONJUNCTIONS or low in _AUXILIARIES:
            return "fn"
        if low.endswith("ly") and len(low) >= 5 and low not in _NOT_ADVERBS and prev != "det" \
                and (t[:1].islower() or (i == 0 and self.low[1:2] == [","])):  # "Proudly ,", not "Molly"
            return "adv"
        if t[:1].islower() and prev != "det" and low not in _TIME_WORDS and low not in _NUMBER_WORDS \
                and not any(ch.isdigit() for ch in t):
            before = self.low[i - 1] if i > 0 else ""
            after_lower_word = prev == "word" and self.tokens[i - 1][:1].islower()
            nxt = self.tokens[i + 1] if i + 1 < self.n else ""
            verb_like = (
                (low.endswith("ed") and len(low) >= 5)
                or (low.endswith("ing") and len(low) >= 6 and low not in _ING_NOUNS and not after_lower_word)
                or before in _RELATIVES or before in _AUXILIARIES
                # a name, then this word, then no further lowercase word: "Cora met Neil", "Tom sat near"
                or (prev == "word" and self.tokens[i - 1][:1].isupper() and not self._is_lower_word(i + 1))
                # "to help the family", "to thank Mary"
                or (before == "to" and (nxt.lower() in _DETERMINERS or nxt[:1].isupper()))
            )
            if verb_like:
                return "verb"
        return "word"

    def _phrases(self) -> list[tuple[int, int]]:
        runs: list[list[int]] = []
        for i, k in enumerate(self.kind):
            if k not in ("det", "word"):
                continue
            if runs and runs[-1][1] == i - 1:
                prev_word = self.kind[i - 1] == "word" and self.low[i - 1] not in ("'s", "'")
                new = prev_word and (k == "det" or (self.tokens[i][:1].isupper() and self.tokens[i - 1][:1].islower())
                                     or self._starts_time(i))
                if not new:
                    runs[-1][1] = i
                    continue
            runs.append([i, i])
        merged: list[list[int]] = []
        for run in runs:  # "the bowl" + of + "porridge"
            if merged and run[0] == merged[-1][1] + 2 and self.low[run[0] - 1] == "of":
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        return [(a, b) for a, b in merged]

    def _starts_time(self, i: int) -> bool:
        """Whether a time expression starts at ``i`` right after a noun: "the duck | last
        year", "the well | later", "the fisherman | early in the morning"."""
        low, before = self.low[i], self.low[i - 1]
        if before in _TIME_WORDS or before in _NUMBER_WORDS or before in _TIME_MODIFIERS:
            return False
        nxt = self.low[i + 1] if i + 1 < self.n else ""
        return (low in _TIME_WORDS or low in ("last", "next", "later", "earlier")
                or (low in ("early", "late") and nxt in _PREPOSITIONS))

    # ---- helpers over token positions

    def distance(self, first: int, last: int) -> int:
        if last < self.p:
            return self.p - last
        if first > self.p:
            return first - self.p
        return 0

    def is_barrier(self, i: int) -> bool:
        """A token that ends one clause and starts another (so an argument across it is less
        likely to belong to the predicate)."""
        low = self.low[i]
        if low in _CONJUNCTIONS:
            both_names = (0 < i < self.n - 1 and self.tokens[i - 1][:1].isupper()
                          and self.tokens[i + 1][:1].isupper())
            return not both_names
        if low in _SUBORDINATORS or low == ";" or low in _SENTENCE_END:
            return True
        if low in _TEMPORAL_PREPOSITIONS and i + 1 < self.n:
            return self.kind[i + 1] not in ("det",) and self.low[i + 1] not in _TIME_WORDS
        return False

    def barriers(self, first: int, last: int) -> int:
        between = range(last + 1, self.p) if last < self.p else range(self.p + 1, first)
        return sum(self.is_barrier(i) for i in between)

    def in_relative_clause(self, first: int, last: int) -> bool:
        """Whether a phrase likely sits inside a relative clause rather than the predicate's
        own: right of the predicate, it is the first prepositional phrase after a relative
        word; left of it, a relative word comes before it in the same comma-delimited stretch."""
        if first > self.p:
            for r in range(first - 1, self.p, -1):
                if self.low[r] in _RELATIVES and self.kind[r] == "fn":
                    return not any(self.low[j] in _PREPOSITIONS for j in range(r + 1, first - 1))
            return False
        if last < self.p:
            for r in range(first - 1, -1, -1):
                if self.kind[r] == "punct" or self.is_barrier(r):
                    return False
                if self.low[r] in _RELATIVES and r > 0:
                    return True
        return False

    def has_time_word(self, first: int, last: int) -> bool:
        return any(self.low[i] in _TIME_WORDS or _is_year(self.tokens[i]) for i in range(first, last + 1))

    def has_number(self, first: int, last: int) -> bool:
        return any(self.low[i] in _NUMBER_WORDS or any(ch.isdigit() for ch in self.tokens[i])
                   for i in range(first, last + 1))

    def pps(self, preps) -> list[tuple[int, int, int]]:
        """(preposition index, phrase first, phrase last) for each preposition in ``preps``
        followed directly by a phrase."""
        out = []
        for i, low in enumerate(self.low):
            if low in preps and self.kind[i] == "fn" and i + 1 in self.phrase_at:
                out.append((i, *self.phrase_at[i + 1]))
        return out


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and token[0] in "12"


Span = tuple[int, int]  # (first, last) token indices, inclusive


def _best(s: _Sentence, candidates: list[tuple[int, int, int]]) -> Span | None:
    """The candidate (penalty, first, last) that is in the predicate's clause (fewest clause
    boundaries in between), then has the lowest penalty, then is not inside a relative clause,
    then is nearest the predicate; ties go to the right side (arguments follow the verb), then
    to the left-most."""
    if not candidates:
        return None
    def key(c):
        penalty, first, last = c
        return (s.barriers(first, last), penalty, s.in_relative_clause(first, last),
                s.distance(first, last), first < s.p, first)
    _, first, last = min(candidates, key=key)
    return first, last


def _sentence_is_passive(s: _Sentence) -> bool:
    """A form of be before the predicate (adverbs and "not" may intervene) and a predicate
    that does not end in -ing: "was thrown", "had been quietly given"."""
    if s.low[s.p].endswith("ing"):
        return False
    j = s.p - 1
    while j >= 0 and (s.kind[j] == "adv" or s.low[j] in ("not", "n't", "never")):
        j -= 1
    return j >= 0 and s.low[j] in _BE


def _subject(s: _Sentence) -> Span | None:
    """The predicate's surface subject: the phrase just left of it (past auxiliaries and
    adverbs) unless that phrase sits after a preposition or a verb; otherwise the nearest
    phrase to the left that opens a clause (at the start, or after punctuation, a
    conjunction or a subordinator), skipping phrases inside prepositional phrases and
    relative clauses ("The watchmaker who sold a stew at the bakery returned")."""
    j = s.p - 1
    while j >= 0 and (s.kind[j] == "adv" or s.low[j] in _AUXILIARIES):
        j -= 1
    opens = lambda k: k < 0 or s.kind[k] == "punct" or s.low[k] in _CONJUNCTIONS or s.low[k] in _SUBORDINATORS
    if j in s.phrase_ending:
        first, last = s.phrase_ending[j]
        before = first - 1
        if opens(before) or s.low[before] in _RELATIVES or s.low[before] in _TEMPORAL_PREPOSITIONS \
                or s.kind[before] == "adv":
            return first, last
    left = [ph for ph in s.phrases if ph[1] < s.p]
    for first, last in reversed(left):
        if opens(first - 1) and not s.has_time_word(first, last):
            return first, last
    return left[-1] if left else None


def _objects(s: _Sentence) -> tuple[Span | None, Span | None]:
    """The phrase right after the predicate (past adverbs) and, for a double object ("gave
    Alma the chicken"), the phrase right after that one. A time phrase is not an object."""
    j = s.p + 1
    while j < s.n and s.kind[j] == "adv":
        j += 1
    first = s.phrase_at.get(j)
    if first is None or s.has_time_word(*first):
        return None, None
    second = s.phrase_at.get(first[1] + 1)
    if second is not None and s.has_time_word(*second):
        second = None
    return first, second


def _object_of(s: _Sentence, prep: str, dative: Span | None = None) -> Span | None:
    """The phrase after the preposition ``prep`` (one or more words) nearest the predicate,
    preferring the right side; ``dative`` is the first of two objects ("gave Alma the
    chicken"), an alternative to a to/for phrase."""
    words = prep.split()
    cands = []
    for i, first, last in s.pps({words[-1]}):
        if s.low[i - len(words) + 1 : i + 1] == words:
            cands.append((0 if first > s.p else 1, first, last))
    if dative is not None and prep in ("to", "for"):
        cands.append((0, *dative))
    return _best(s, cands)


def _temporal_candidates(s: _Sentence) -> list[tuple[int, int, int]]:
    """Time expressions: a clause opened by a temporal subordinator ("after Cora greeted
    George"), a prepositional phrase with a temporal preposition or a time noun ("during the
    storm", "on Monday", "in 1990"), a bare phrase with a time noun ("last week", "that
    night", "a week later"); "early"/"late"/"later" before one joins it."""
    out = []
    for i, low in enumerate(s.low):
        if s.kind[i] != "fn":
            continue
        nxt = s.phrase_at.get(i + 1)
        # "after the baker fed a chicken": a verb, or a second phrase, right after the first one
        clause_follows = nxt is not None and nxt[1] + 1 < s.n and (
            s.kind[nxt[1] + 1] in ("verb", "pred", "adv", "det") or s.low[nxt[1] + 1] in _AUXILIARIES
            or nxt[1] + 1 in s.phrase_at)
        if low in _TEMPORAL_PREPOSITIONS and nxt is not None and not clause_follows:
            out.append((0, i, nxt[1]))
        elif low in ("when", "while", "whenever", "once") or (low in _TEMPORAL_PREPOSITIONS and i + 1 < s.n):
            if low in ("when", "once") and i > 0 and s.low[i - 1] in _TIME_WORDS:
                continue  # "the day when ...": a relative clause
            end = i + 1
            while end < s.n and s.kind[end] != "punct":
                end += 1
            if i < s.p < end:  # the predicate's own clause
                continue
            if end - 1 > i:
                out.append((0, i, end - 1))
        elif low in ("in", "on", "at", "by") and nxt is not None and s.has_time_word(*nxt):
            out.append((0, i, nxt[1]))
    for first, last in s.phrases:
        if s.has_time_word(first, last) and (first == 0 or s.low[first - 1] not in _PREPOSITIONS):
            if first > 0 and s.low[first - 1] in ("that", "this"):
                first -= 1
            out.append((0, first, last))
    extended = []
    for pen, first, last in out:
        if first > 0 and s.low[first - 1] in ("early", "late", "later", "earlier", "just"):
            first -= 1
        extended.append((pen, first, last))
    return [c for c in extended if not (c[1] <= s.p <= c[2])]


def _locative_candidates(s: _Sentence, passive: bool) -> list[tuple[int, int, int]]:
    """Prepositional phrases with a locative preposition and no time noun. Penalised: a source
    ("from"), a bare name after to/from/by/with/for (more often a person), a phrase with no
    determiner and no capital ("in secret": a manner), and "by" + phrase in a passive (the agent)."""
    out = []
    for i, first, last in s.pps(_LOCATIVE_PREPOSITIONS):
        if s.has_time_word(first, last):
            continue
        low = s.low[i]
        name = s.tokens[first][:1].isupper() and s.kind[first] == "word"
        penalty = (low == "from") + (name and low in ("to", "from", "by", "with", "for")) \
            + 2 * (s.kind[first] != "det" and not s.tokens[first][:1].isupper()) \
            + 2 * (low == "by" and passive and i > s.p)
        out.append((penalty, i, last))
    return out


def _manner_candidates(s: _Sentence) -> list[tuple[int, int, int]]:
    """-ly adverbs, with/without + phrase, "in" + a phrase with no determiner ("in silence")
    or with a/an ("in a hurry"), "by" + an -ing clause."""
    out = [(0, i, i) for i, k in enumerate(s.kind) if k == "adv"]
    for i, first, last in s.pps({"with", "without", "in"}):
        if s.has_time_word(first, last):
            continue
        if s.low[i] == "in":
            if s.tokens[first][:1].isupper():
                continue
            if s.kind[first] == "det" and s.low[first] not in ("a", "an"):
                continue
            out.append((1 if s.kind[first] == "det" else 0, i, last))
        else:
            out.append((0, i, last))
    return out


def _clause_end(s: _Sentence, i: int) -> int:
    """Last token of the stretch starting at ``i`` before punctuation or a conjunction."""
    end = i
    while end + 1 < s.n and s.kind[end + 1] != "punct" and s.low[end + 1] not in _CONJUNCTIONS:
        end += 1
    return end


def _purpose_candidates(s: _Sentence) -> list[tuple[int, int, int]]:
    """"to" + a verb ("to pay the rent"), "in order to", "so that", "because" + clause, "as" +
    a/an phrase ("as a gift"); "for" + phrase as a weaker guess."""
    out = []
    for i, low in enumerate(s.low):
        if s.kind[i] != "fn" or i + 1 >= s.n:
            continue
        nxt = s.tokens[i + 1]
        if low == "to" and nxt[:1].islower() and s.kind[i + 1] not in ("det", "punct") \
                and s.low[i + 1] not in _PREPOSITIONS:
            start = i - 2 if i >= 2 and s.low[i - 2 : i] == ["in", "order"] else i
            out.append((0, start, _clause_end(s, i + 1)))
        elif low in ("because", "so") and s.kind[i + 1] != "punct":
            out.append((0, i, _clause_end(s, i + 1)))
        elif low == "as" and s.low[i + 1] in ("a", "an") and i + 1 in s.phrase_at:
            out.append((0, i, s.phrase_at[i + 1][1]))
        elif low == "for" and i + 1 in s.phrase_at:
            out.append((1, i, s.phrase_at[i + 1][1]))
    return [c for c in out if not (c[1] <= s.p <= c[2])]


def _quantity_candidates(s: _Sentence) -> list[tuple[int, int, int]]:
    """Phrases with a digit or a number word."""
    return [(0, first, last) for first, last in s.phrases if s.has_number(first, last)]


def _argument_span(s: _Sentence, q: dict) -> Span | None:
    """The span the question's wh-word stands for (see ``question_type_baseline``)."""
    wh = q["wh"]
    s_passive = _sentence_is_passive(s)
    subject = _subject(s)
    first_obj, second_obj = _objects(s)
    dative = first_obj if second_obj is not None and not s_passive else None
    if q["prep"] and not q["obj2"]:            # the wh-word is the object of the question's preposition
        if q["prep"] == "by" and q["passive"] and not s_passive:
            return subject                       # the agent of an active sentence
        span = _object_of(s, q["prep"], dative)
        if span is not None or wh in _ADJUNCT_WH:
            return span
        return first_obj or subject
    if wh == "where":
        return _best(s, _locative_candidates(s, s_passive))
    if wh in ("when", "how long", "how often"):
        return _best(s, _temporal_candidates(s))
    if wh in ("how much", "how many"):
        return _best(s, _quantity_candidates(s))
    if wh == "how":
        return _best(s, _manner_candidates(s))
    if wh == "why":
        return _best(s, _purpose_candidates(s))
    # who / what / which / whom: a core argument. The logical subject (agent) is the surface
    # subject of an active sentence, the by-phrase of a passive one; the logical object
    # (theme) is the object of an active sentence (the second of two), the surface subject
    # of a passive one, or its remaining object ("Harriet was sent a tea set").
    agent = (_object_of(s, "by") or subject) if s_passive else subject
    theme = (first_obj or subject) if s_passive else (second_obj or first_obj)
    if not q["subj"]:                            # subject gap: "who _ _ gave something", "what was _ given"
        if not q["passive"]:
            return agent
        if q["obj"]:                             # "who was _ sent something": the recipient
            return subject if s_passive else _object_of(s, "to", dative)
        return subject if s_passive else theme
    if not q["obj"]:                             # object gap: "what did someone give _ to someone"
        return theme
    return second_obj or first_obj if not s_passive else first_obj or subject  # "give someone _"


def question_type_baseline(examples: Sequence[QAExample]) -> dict[str, str]:
    """Predict the phrase the question asks for, by a hand-written rule (no learning).

    QA-SRL (``predicate_idx`` >= 0): the question's slots are read back from its text
    (``_parse_qasrl_question``) to decide what the wh-word stands for, and the sentence's
    phrases are found from surface cues alone (``_Sentence``):

    * a preposition slot with an empty second object ("who did someone give something to _",
      "where did someone walk _ from _"): the phrase after that preposition nearest the
      predicate (for to/for, also the first of two objects: "gave Alma the chicken");
    * who/what with an empty subject slot: the agent (the subject left of the predicate; the
      by-phrase if the sentence is passive), or for a passive question the theme (the
      object right of the predicate; the subject if the sentence is passive);
    * who/what with an empty object slot: the theme; with both filled, the second object;
    * where: a prepositional phrase with a locative preposition; when: a temporal clause or
      phrase (after/before/while + clause, "on Monday", "last week", time nouns and years);
      how: an -ly adverb or with/without/in + phrase; why: to + verb, as a/an, because,
      for; how much/many: a phrase with a number.

    Among candidates the rule prefers, in order: no clause boundary (a conjunction or a
    subordinator) between candidate and predicate, the lower type penalty, not inside a
    relative clause, the nearer to the predicate, the right side. When the question is not
    a QA-SRL question or no candidate fits, it falls back to ``nearest_phrase_baseline``.

    SQuAD (``predicate_idx`` -1): see ``_paragraph_span`` -- a QA-SRL-shaped question finds
    its predicate by matching its verb in the paragraph and then runs the rule above on that
    sentence; a free-form question takes candidates of its answer type (names for who, time
    expressions for when, numbers for how many, ...) nearest the stretch of context that
    shares most words with the question. The fallback is ``nearest_phrase_baseline``, which
    for a paragraph with no predicate is its first phrase.
    """
    preds: dict[str, str] = {}
    fallback = nearest_phrase_baseline(examples)
    for ex in examples:
        if ex.predicate_idx < 0:
            preds[ex.id] = _paragraph_span(ex.context, ex.question) or fallback[ex.id]
            continue
        tokens = ex.context.split(" ")
        q = _parse_qasrl_question(ex.question)
        span = None
        if q is not None and ex.predicate_idx < len(tokens):
            span = _argument_span(_Sentence(tokens, ex.predicate_idx), q)
        preds[ex.id] = _span_text(tokens, *span) if span else fallback[ex.id]
    return preds


# ---- paragraphs with no predicate (SQuAD)

_EDGE_PUNCT = re.compile(r"^([\"'(\[]*)(.*?)([\"')\].,;:!?]*)$")
_SENTENCE_END = frozenset({".", "!", "?"})
_QUESTION_STOPWORDS = (_BOUNDARY_WORDS | _DETERMINERS | _AUXILIARIES | _Q_ARGUMENTS
                       | frozenset("do doing did does done name kind type".split()))


def _split_edge_punct(text: str) -> list[str]:
    """Whitespace tokens with leading/trailing punctuation split off ("Broncos," -> "Broncos",
    ","); inner punctuation stays ("U.S" keeps its first dot). Already spaced text is unchanged."""
    out = []
    for tok in text.split():
        m = _EDGE_PUNCT.match(tok)
        lead, core, trail = m.groups()
        if not core:
            out.append(tok)
            continue
        out += list(lead) + [core] + list(trail)
    return out


def _same_verb(word: str, verb: str) -> int:
    """How well a context word matches the question's verb: 2 for a shared stem (common
    prefix of at least 3 letters, at most 2 letters short of the shorter word: return /
    returned, hide / hid), 1 for an irregular form one or two edits away with the same
    first letter (give / gave, tell / told), else 0."""
    if word in _QUESTION_STOPWORDS or not word.isalpha():
        return 0
    k = 0
    while k < min(len(word), len(verb)) and word[k] == verb[k]:
        k += 1
    if k >= 3 and k >= min(len(word), len(verb)) - 2:
        return 2
    if word[0] == verb[0] and _edit_distance(word, verb) <= 2 and min(len(word), len(verb)) >= 3:
        return 1
    return 0


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _sentence_bounds(tokens: list[str], i: int) -> tuple[int, int]:
    """[start, end) of the sentence holding token ``i`` (sentences end at . ! ?)."""
    start = i
    while start > 0 and tokens[start - 1] not in _SENTENCE_END:
        start -= 1
    end = i
    while end < len(tokens) and tokens[end] not in _SENTENCE_END:
        end += 1
    return start, min(end + 1, len(tokens))


def _answer_type(question: str) -> str:
    """The kind of answer a free-form question asks for: person, time, quantity, place,
    reason, manner, or thing. The wh-word need not come first ("In what year did ...")."""
    words = [w.strip("?,.'\"").lower() for w in question.split()]
    for k, w in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if w in ("who", "whom", "whose"):
            return "person"
        if w == "when" or (w in ("what", "which") and nxt in _TIME_WORDS | {"date", "period", "era"}):
            return "time"
        if w == "how" and nxt in ("many", "much"):
            return "quantity"
        if w == "how" and nxt in ("long", "often"):
            return "time"
        if w == "where":
            return "place"
        if w == "why":
            return "reason"
        if w == "how":
            return "manner"
        if w in ("what", "which"):
            return "thing"
    return "thing"


def _paragraph_span(context: str, question: str) -> str | None:
    """The question-type floor for a context with no marked predicate.

    A QA-SRL-style question ("who gave something to someone?") names its verb: the context
    word that best matches it (``_same_verb``; the first on a tie) is taken as the predicate
    and the QA-SRL rule runs on its sentence. Any other question: the anchor is the token
    around which the question's content words are densest (each within 10 tokens counts
    1 / (1 + distance)); candidates of
    the question's answer type (``_answer_type``: capitalised names for a person, time
    expressions, numbers, locative or purpose phrases, manner adverbs, else any phrase), with
    question words trimmed off their edges and none left inside, are ranked as in the QA-SRL
    rule with the anchor as the predicate, sentence ends counting as clause boundaries. None
    when nothing fits.
    """
    tokens = _split_edge_punct(context)
    if not tokens:
        return None
    low = [t.lower() for t in tokens]
    q = _parse_qasrl_question(question)
    if q is not None:
        scores = [_same_verb(w, q["verb"]) for w in low]
        best = max(scores)
        if best > 0:
            p = scores.index(best)
            a, b = _sentence_bounds(tokens, p)
            span = _argument_span(_Sentence(tokens[a:b], p - a), q)
            if span is not None:
                return _span_text(tokens, span[0] + a, span[1] + a)
    content = {w for w in (t.strip("?,.'\"").lower() for t in question.split())
               if w and w not in _QUESTION_STOPWORDS and w not in {"what", "which", "how", "many", "much"}}
    hits = [j for j, w in enumerate(low) if w in content]
    density = [sum(1 / (1 + abs(i - j)) for j in hits if abs(i - j) <= 10) for i in range(len(tokens))]
    anchor = density.index(max(density))
    s = _Sentence(tokens, anchor)
    kind = _answer_type(question)
    if kind == "person":
        cands = _name_candidates(s)
    elif kind == "time":
        cands = _temporal_candidates(s)
    elif kind == "quantity":
        cands = _quantity_candidates(s)
    elif kind == "place":
        cands = _locative_candidates(s, passive=False) or _name_candidates(s)
    elif kind == "reason":
        cands = _purpose_candidates(s)
    elif kind == "manner":
        cands = _manner_candidates(s)
    else:
        cands = [(0, first, last) for first, last in s.phrases]
    trimmed = []  # an answer rarely repeats the question: trim question words off each edge
    for pen, first, last in cands:
        while first <= last and low[first] in content:
            first += 1
        while last >= first and low[last] in content:
            last -= 1
        if first <= last and not any(low[i] in content for i in range(first, last + 1)) \
                and normalize_answer(_span_text(tokens, first, last)):
            trimmed.append((pen, first, last))
    span = _best(s, trimmed)
    return _span_text(tokens, *span) if span else None


def _name_candidates(s: _Sentence) -> list[tuple[int, int, int]]:
    """Runs of capitalised words, not counting a capitalised closed-class word ("The")."""
    out, start = [], None
    for i, t in enumerate(s.tokens + [""]):
        name = t[:1].isupper() and s.kind[i] in ("word", "verb") if i < s.n else False
        if name and start is None:
            start = i
        elif not name and start is not None:
            out.append((0, start, i - 1))
            start = None
    return out


# --------------------------------------------------------------------------- question-blind ceiling


def question_blind_ceiling(examples: Sequence[QAExample], max_span_tokens: int | None = 30) -> dict[str, str]:
    """The best any question-blind span picker can do: per context, one span for all its questions.

    Examples are grouped by ``context`` (a QA-SRL sentence, all its predicates together; a
    SQuAD paragraph). For each context, every span of 1..``max_span_tokens`` whitespace
    tokens (all spans when None) is scored by the SQuAD F1 summed over the context's
    questions (each question's max over its golds); the best span (ties: more exact matches,
    then the earliest start, then the shorter) is predicted for every question of the
    context. The search is exhaustive, so ``score(question_blind_ceiling(ex), golds)["f1"]``
    is the exact maximum over such predictions; its EM is that span's EM.

    What it bounds: any predictor whose choice of span cannot depend on the question, e.g. a
    head scoring each context token from features computed from the context alone, up to
    tokenisation (a subword head can cut words; its own length limit is in subword tokens).
    It does *not* bound this project's frozen probe: the LM reads `question <|sep|> context`,
    so every context state has seen the question (and sits at a position that depends on its
    length). A probe above this ceiling shows that the frozen states carry the question;
    one below it shows nothing either way.

    Speed: a span is only worth its score if it starts and ends on a token whose normalised
    words occur in some gold answer of the context (dropping any other edge token keeps
    every overlap and shortens the span), so only those starts and ends are scored, and the
    overlap counts are updated as the span grows.
    """
    if max_span_tokens is not None and max_span_tokens < 1:
        raise ValueError("max_span_tokens must be >= 1 or None")
    groups: dict[str, list[QAExample]] = {}
    for ex in examples:
        groups.setdefault(ex.context, []).append(ex)
    preds: dict[str, str] = {}
    for context, group in groups.items():
        span = _best_blind_span(context, group, max_span_tokens)
        for ex in group:
            preds[ex.id] = span
    return preds


def _best_blind_span(context: str, group: list[QAExample], max_span_tokens: int | None) -> str:
    tokens = context.split()
    words = [normalize_answer(t).split() for t in tokens]  # normalising never joins tokens
    golds = [[normalize_answer(g).split() for g in ex.answers] for ex in group]
    gold_words = {w for q in golds for g in q for w in g}
    useful = [i for i, ws in enumerate(words) if any(w in gold_words for w in ws)]
    if not useful:
        return tokens[0] if tokens else ""
    flat = [(q, Counter(g), len(g), tuple(g)) for q, gs in enumerate(golds) for g in gs]
    useful_set = set(useful)
    best_key, best = None, (useful[0], useful[0])
    limit = len(tokens) if max_span_tokens is None else max_span_tokens
    for start in useful:
        pred_counts: Counter = Counter()
        n_pred = 0
        common = [0] * len(flat)
        span_words: list[str] = []
        for end in range(start, min(len(tokens), start + limit)):
            for w in words[end]:
                for k, (_, gold_counts, _, _) in enumerate(flat):
                    if pred_counts[w] < gold_counts.get(w, 0):
                        common[k] += 1
                pred_counts[w] += 1
                n_pred += 1
            span_words += words[end]
            if end not in useful_set:
                continue
            f1s = [0.0] * len(golds)
            ems = [0.0] * len(golds)
            for k, (q, _, n_gold, gold_tuple) in enumerate(flat):
                if common[k]:
                    f1s[q] = max(f1s[q], 2 * common[k] / (n_pred + n_gold))
                if n_pred == n_gold and tuple(span_words) == gold_tuple:
                    ems[q] = 1.0
            key = (sum(f1s), sum(ems))
            if best_key is None or key > best_key:
                best_key, best = key, (start, end)
    return " ".join(tokens[best[0] : best[1] + 1])


# --------------------------------------------------------------------------- intervals


def question_bootstrap(per_question_f1: dict[str, float], clusters: dict[str, str],
                       n_resamples: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean F1 (x100), resampling clusters of questions.

    Questions about the same context (a sentence, a paragraph) are not independent, so the
    resampling unit is the cluster: each resample draws as many clusters as there are, with
    replacement, and takes the mean over all the questions they hold (a mean of a ratio, so
    clusters of different sizes weigh by their size, as in the point estimate). The
    interval is the (1 - level)/2 and (1 + level)/2 percentiles of those means. The point
    estimate itself is the plain mean over questions. ``per_question_f1`` is on the 0-1
    scale; ``clusters`` maps every question id to its cluster. Seeded: the same input and
    seed give the same interval.
    """
    if not per_question_f1:
        raise ValueError("no questions to bootstrap")
    if not 0 < level < 1 or n_resamples < 1:
        raise ValueError("level must be in (0, 1) and n_resamples >= 1")
    sums, counts = _sums_by_group(per_question_f1, clusters, "cluster")
    names = sorted(sums)  # a fixed order, so the draws do not depend on dict order
    s = np.array([sums[c] for c in names])
    n = np.array([counts[c] for c in names], dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(len(names), size=(n_resamples, len(names)))
    means = 100.0 * s[draws].sum(axis=1) / n[draws].sum(axis=1)
    lo, hi = np.percentile(means, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(lo), float(hi)
