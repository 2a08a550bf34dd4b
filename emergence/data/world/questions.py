"""QA-SRL questions: the 7-slot question and answer spans for each role of a target clause,
and the QA-SRL records of one split."""

from __future__ import annotations

import random

from emergence.data.world.grammar import Clause, Pools, detok, draw_sentence, pick
from emergence.data.world.lexicon import PERSON_ARG_ROLES, ROLE_ORDER, SUBORDINATE_VERBS, VERBS, Verb


def _placeholder(np) -> str:
    return "someone" if getattr(np, "kind", "") == "person" else "something"


def _wh(c: Clause, role: str) -> tuple[str, str, str]:
    """(wh word, stranded preposition or "_", answer mode) for asking about a role."""
    np = c.nps[role]
    if role in ("agent", "theme"):
        return ("who" if np.kind == "person" else "what"), "_", "np"
    if role in PERSON_ARG_ROLES and np.kind == "person":
        return "who", c.preps[role][0], "np"
    if role == "source":
        return "where", "from", "np"
    if role in ("destination", "location"):
        return "where", "_", "pp"
    if role == "price":
        return "how much", "for", "np"
    return {"time": "when", "manner": "how", "purpose": "why"}[role], "_", "pp"


def _other_arg(c: Clause, exclude: str) -> tuple[str, str]:
    """(prep, obj2) slots describing the clause's first other argument, QA-SRL style."""
    for role in c.verb.arg_roles:
        if role == exclude or role == c.shifted or role not in c.nps:
            continue
        if role in PERSON_ARG_ROLES and c.nps[role].kind == "person":
            return c.preps[role][0], "someone"
        if role == "source":
            return "from", "somewhere"
        if role in ("destination", "location"):
            return "_", "somewhere"
    return "_", "_"


def _question(c: Clause, role: str, rng: random.Random) -> tuple[list[str], str]:
    """The 7 slots (wh aux subj verb obj prep obj2) asking for `role`, and the answer mode."""
    v, nps = c.verb, c.nps
    if role != "instrument":
        wh, prep, mode = _wh(c, role)
    elif rng.random() < 0.5:                 # "what did someone cut something with?"
        wh, prep, mode = "what", "with", "np"
    else:                                    # "how did someone cut something?"
        wh, prep, mode = "how", "_", "pp"
    theme = _placeholder(nps["theme"]) if "theme" in nps else "_"

    if c.voice == "active":
        aux, verb_form = ("was", v.ing) if c.progressive else ("did", v.base)
        if role == "agent":
            if c.shifted:
                return [wh, aux if c.progressive else "_", "_", v.ing if c.progressive else v.past,
                        "someone", "_", "something"], mode
            return [wh, aux if c.progressive else "_", "_", v.ing if c.progressive else v.past,
                    theme, *_other_arg(c, role)], mode
        if role == "theme":
            if c.shifted:
                return [wh, aux, "someone", verb_form, "someone", "_", "_"], mode
            if not c.progressive and rng.random() < 0.25:    # "what was given to someone?"
                return [wh, "was", "_", v.participle, "_", *_other_arg(c, role)], mode
            return [wh, aux, "someone", verb_form, "_", *_other_arg(c, role)], mode
        if role == c.shifted and v.recpass and not c.progressive and rng.random() < 0.3:
            return ["who", "was", "_", v.participle, "something", "_", "_"], mode
        return [wh, aux, "someone", verb_form, theme, prep, "_"], mode

    # Passive: the theme (or the recipient, for "John was given ...") is the subject.
    subj_role = c.shifted if c.voice == "recpass" else "theme"
    subj = _placeholder(nps[subj_role])
    obj = "something" if c.voice == "recpass" else "_"
    if role == subj_role:
        if c.voice == "recpass":
            return [wh, "was", "_", v.participle, "something", "_", "_"], mode
        slots = _other_arg(c, role)
        if slots == ("_", "_") and "agent" in nps and rng.random() < 0.5:
            slots = ("by", "someone")
        return [wh, "was", "_", v.participle, "_", *slots], mode
    if role == "theme":              # recpass: "what was someone given?"
        return [wh, "was", subj, v.participle, "_", "_", "_"], mode
    if role == "agent":
        return ["who", "was", subj, v.participle, obj, "by", "_"], "np"
    return [wh, "was", subj, v.participle, obj, prep, "_"], mode


def _questions(c: Clause, tokens: list[str], rng: random.Random) -> list[tuple[str, list[str], list[str]]]:
    """(role, question slots, answers) for every role of the clause that has a span."""
    out = []
    for role in ROLE_ORDER:
        if role not in c.spans:
            continue
        slots, mode = _question(c, role, rng)
        start, end, prep, variants = c.spans[role]
        spans = list(variants)
        if mode == "pp" and prep:
            spans.insert(0, (start, end))                 # "in the harbor", then "the harbor"
        answers = []
        for a, b in spans:
            text = " ".join(tokens[a:b])
            if text not in answers:
                answers.append(text)
        out.append((role, slots + ["?"], answers[:3]))
    return out


def held_out_verbs(seed: int, k: int) -> tuple[Verb, ...]:
    """The k verbs QA training never shows (a seeded choice among the verbs that head main
    clauses only, so that no subordinate "after ..." clause has to be rejected for them). The
    stories use every verb, so pretraining text holds them all."""
    candidates = [v for v in VERBS if v not in SUBORDINATE_VERBS]
    return tuple(random.Random(f"{seed}:held-out-verbs").sample(candidates, k))


def verb_forms(verbs) -> frozenset[str]:
    return frozenset(form for v in verbs for form in (v.base, v.past, v.participle, v.ing))


def draw_qasrl_split(seed: int, split: str, n: int, forbidden: set, seen: set,
                     banned_words: frozenset[str] = frozenset()) -> tuple[list[dict], list]:
    """QA-SRL records about `n` distinct sentences of one split: a target clause per sentence and a
    record per question about it (two at least). A sentence in `seen` (added to as drawn, across
    splits), whose prose is in `forbidden` or that holds a word of `banned_words` (the held-out
    verbs' forms, for QA train) is drawn again. Each record carries the generator's `role` for the
    argument asked about and the target verb's `predicate_lemma`. Returns the records and the
    sentences' tokens."""
    rng = random.Random(f"{seed}:qasrl:{split}")
    pools = Pools(rng)
    records, sentences = [], []
    tries = 0
    while len(sentences) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError(f"could not draw {n} distinct QA-SRL sentences for {split}")
        tokens, clauses = draw_sentence(pools)
        text = " ".join(tokens)
        if text in seen or detok(tokens) in forbidden or not banned_words.isdisjoint(tokens):
            continue
        target = pick(rng, clauses)
        qas = _questions(target, tokens, rng)
        if len(qas) < 2:
            continue
        seen.add(text)
        sent_id = f"{split}-{len(sentences):06d}"
        sentences.append(tokens)
        for role, question, answers in qas:
            records.append({"sentence": text, "sent_id": sent_id, "predicate_idx": target.verb_idx,
                            "predicate": tokens[target.verb_idx], "question": question,
                            "answers": answers, "role": role, "predicate_lemma": target.verb.base})
    return records, sentences
