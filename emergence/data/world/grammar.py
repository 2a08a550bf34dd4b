"""Sentences. ``Pools`` draws who and what fills each role; a clause realises a verb frame from
the lexicon (agent, theme, recipient, source, destination, location, beneficiary, instrument,
price) plus optional adjuncts (time, manner, purpose), and is planned (which roles, who fills
them, voice), arranged (word order) and emitted (tokens, recording every role's span for the
questions).

The syntax varies - active and passive, dative shift, progressive aspect, fronted adverbials,
relative clauses on arguments, coordinated subjects, coordinated clauses and verb phrases,
subordinate time clauses - so that no rule based on token position finds the arguments; the
model has to know the roles. Entities mentioned in relative clauses or in a second clause act as
distractors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from emergence.data.world.lexicon import (
    ADJECTIVES,
    CLAUSE_JOINERS,
    CONTAINER_TOKENS,
    DETERMINERS,
    FIXED_NP_TOKENS,
    LEADING_PREPS,
    MANNER_ADVERBS,
    MANNER_PHRASE_TOKENS,
    NOUN_TOKENS,
    OCCUPATIONS,
    P_AGENT_IN_PASSIVE,
    P_DATIVE_SHIFT,
    P_FRONT,
    P_LOCATION_ADJUNCT,
    P_MANNER,
    P_PASSIVE,
    P_PROGRESSIVE,
    P_PURPOSE,
    P_RECIPIENT_PASSIVE,
    P_TIME,
    PERSON_NAMES,
    PLACE_KINDS,
    PLACE_TOKENS,
    PRICE_METALS,
    PRICE_NUMBERS,
    PURPOSE_TOKENS,
    RC_TOKENS,
    SEAT_TOKENS,
    SUBORDINATE_VERBS,
    SUBORDINATORS,
    TIME_TOKENS,
    TOWNS,
    VERBS,
    Verb,
)

# --------------------------------------------------------------------------------------
# Phrases and clauses
# --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Phrase:
    """A run of tokens filling one role, with the spans an annotator could answer with."""
    tokens: list[str]
    kind: str                    # "person", "thing", a place kind, "time", "manner", ...
    prep: int = 0                # number of leading preposition tokens
    variants: list = field(default_factory=list)   # answer spans (start, end), NP part only
    short: str = ""              # the noun phrase without relative clause, for nq facts


@dataclass(slots=True)
class Clause:
    verb: Verb
    nps: dict = field(default_factory=dict)      # role -> Phrase (or Clause for a "when" clause)
    preps: dict = field(default_factory=dict)    # role -> preposition tokens of that argument
    voice: str = "active"                        # active | passive | recpass
    progressive: bool = False
    shifted: str = ""                            # role moved before the theme by dative shift
    conj: str = ""                               # subordinating conjunction, for a time clause
    seq: list = field(default_factory=list)      # linear order: literal tokens, role names, _VERB
    fillers: dict = field(default_factory=dict)  # role -> what is emitted for it
    spans: dict = field(default_factory=dict)    # role -> (start, end, prep, variants), absolute
    verb_idx: int = -1


_VERB = ("<verb>",)          # marker in Clause.seq
_ROLE = "role"               # Clause.seq items (_ROLE, role) emit a role filler


def pick(rng: random.Random, seq):
    """rng.choice, about twice as fast (a float draw instead of rejection sampling on bits);
    the generator runs hundreds of thousands of these."""
    return seq[int(rng.random() * len(seq))]


def detok(tokens) -> str:
    """Plain prose from tokens: punctuation attaches to the word before it."""
    return " ".join(tokens).replace(" ,", ",").replace(" .", ".")


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _with_prep(prep, np: Phrase) -> Phrase:
    k = len(prep)
    if not k:
        return np
    return Phrase(list(prep) + np.tokens, np.kind, k, [(a + k, b + k) for a, b in np.variants], np.short)


class Pools:
    """Draws entities.  Documents pass a cast and a few objects and places, so that the same
    characters and things recur through a story; QA-SRL sentences draw from the whole world."""

    def __init__(self, rng: random.Random, cast=(), objects=(), places=(), p_local=0.0,
                 p_the=0.65, p_rc=0.18):
        self.rng = rng
        self.cast = tuple(cast)
        self.objects = tuple(objects)      # (adjective or None, noun tokens) for kind "object"
        self.places = tuple(places)        # (prep, np tokens)
        self.p_local = p_local
        self.p_the = p_the
        self.p_rc = p_rc

    def name(self, avoid=()) -> str:
        """A name, from the cast when there is one; tries not to reuse the names in avoid
        (so that no one gives a lantern to themselves)."""
        rng = self.rng
        for _ in range(4):
            if self.cast and rng.random() < self.p_local:
                n = pick(rng, self.cast)
            else:
                n = pick(rng, PERSON_NAMES)
            if n not in avoid:
                break
        return n

    def place(self, kinds=("place",)):
        rng = self.rng
        kind = pick(rng, kinds)
        if kind == "place":
            if self.places and rng.random() < self.p_local:
                return kind, pick(rng, self.places)
            return kind, pick(rng, PLACE_TOKENS)
        return kind, pick(rng, CONTAINER_TOKENS if kind == "container" else SEAT_TOKENS)

    def _rc(self, table: str, avoid=()) -> list[str]:
        """A relative clause with its slots filled by fresh (distractor) entities."""
        rng = self.rng
        out = []
        for tok in pick(rng, RC_TOKENS[table]):
            if tok == "{P}":
                out.append(self.name(avoid))
            elif tok == "{L}":
                out.extend(self.place()[1][1])
            elif tok == "{LP}":
                prep, np = self.place()[1]
                out.append(prep)
                out.extend(np)
            elif tok == "{CP}":
                prep, np = pick(rng, CONTAINER_TOKENS)
                out.append(prep)
                out.extend(np)
            elif tok == "{T}":
                out.append(pick(rng, TOWNS))
            elif tok == "{O}":
                out.extend(("the",) + pick(rng, NOUN_TOKENS["object"]))
            elif tok == "{F}":
                food = pick(rng, NOUN_TOKENS["food"])
                out.append(article(food[0]))
                out.extend(food)
            else:
                out.append(tok)
        return out

    def person(self, coord=False, rc=True, avoid=()) -> Phrase:
        rng = self.rng
        r = rng.random()
        if coord and r < 0.12:
            a = self.name(avoid)
            b = self.name((a,))
            while b == a:
                b = pick(rng, PERSON_NAMES)
            # Annotators answer a coordination with the whole and with each conjunct.
            return Phrase([a, "and", b], "person", 0, [(0, 3), (0, 1), (2, 3)], f"{a} and {b}")
        if r < 0.75:
            n = self.name(avoid)
            return Phrase([n], "person", 0, [(0, 1)], n)
        head = ["the", pick(rng, OCCUPATIONS)]
        if rc and rng.random() < 0.45:
            tokens = head + self._rc("person", avoid)
            return Phrase(tokens, "person", 0, [(0, len(tokens)), (0, 2)], " ".join(head))
        return Phrase(head, "person", 0, [(0, 2)], " ".join(head))

    def thing(self, kind: str, rc=True, avoid=()) -> Phrase:
        rng = self.rng
        if kind in FIXED_NP_TOKENS:
            toks = pick(rng, FIXED_NP_TOKENS[kind])
            n = len(toks)
            variants = [(0, n)]
            if n > 1 and toks[0] in DETERMINERS:
                variants.append((1, n))
            return Phrase(list(toks), "thing", 0, variants, " ".join(toks))
        if kind == "object" and self.objects and rng.random() < self.p_local:
            adj, noun = pick(rng, self.objects)
        else:
            adj = pick(rng, ADJECTIVES[kind]) if rng.random() < 0.45 else None
            noun = pick(rng, NOUN_TOKENS[kind])
        det = "the" if rng.random() < self.p_the else article(adj or noun[0])
        head = [det, adj, *noun] if adj else [det, *noun]
        n = len(head)
        variants = [(0, n), (1, n)] if adj else [(0, n)]
        if rc and rng.random() < self.p_rc:
            tokens = head + self._rc("object", avoid)
            return Phrase(tokens, "thing", 0, [(0, len(tokens))] + variants[:2], " ".join(head))
        return Phrase(head, "thing", 0, variants, " ".join(head))

    def place_np(self, np_tokens, kind: str, rc=True, avoid=()) -> Phrase:
        head = list(np_tokens)
        n = len(head)
        if rc and kind == "place" and self.rng.random() < 0.08:
            tokens = head + self._rc("place", avoid)
            return Phrase(tokens, kind, 0, [(0, len(tokens)), (0, n)], " ".join(head))
        return Phrase(head, kind, 0, [(0, n)], " ".join(head))

    def time(self) -> Phrase:
        toks = pick(self.rng, TIME_TOKENS)
        n = len(toks)
        if n > 1 and toks[0] in LEADING_PREPS:           # "at dawn" -> also "dawn"
            return Phrase(list(toks), "time", 1, [(1, n)], " ".join(toks))
        return Phrase(list(toks), "time", 0, [(0, n)], " ".join(toks))

    def manner(self) -> Phrase:
        rng = self.rng
        toks = (pick(rng, MANNER_ADVERBS),) if rng.random() < 0.65 else pick(rng, MANNER_PHRASE_TOKENS)
        return Phrase(list(toks), "manner", 0, [(0, len(toks))], " ".join(toks))

    def purpose(self) -> Phrase:
        toks = pick(self.rng, PURPOSE_TOKENS)
        return Phrase(list(toks), "purpose", 0, [(0, len(toks))], " ".join(toks))

    def price(self) -> Phrase:
        rng = self.rng
        toks = [pick(rng, PRICE_NUMBERS), pick(rng, PRICE_METALS), "coins"]
        return Phrase(toks, "price", 0, [(0, 3)], " ".join(toks))


# --------------------------------------------------------------------------------------
# Building sentences
# --------------------------------------------------------------------------------------

def _plan(pools: Pools, verb: Verb, subordinate=False) -> Clause:
    """Choose which roles a clause realises and who/what fills them (no word order yet)."""
    rng = pools.rng
    c = Clause(verb)
    nps, preps = c.nps, c.preps
    nps["agent"] = pools.person(coord=not subordinate, rc=not subordinate)
    used = nps["agent"].tokens            # names already in the clause
    if verb.themes:
        kind = pick(rng, verb.themes)
        if kind == "person":
            nps["theme"] = pools.person(rc=not subordinate, avoid=used)
            used = used + nps["theme"].tokens
        elif kind == "place":
            nps["theme"] = pools.place_np(pools.place()[1][1], "place", rc=False)
        else:
            nps["theme"] = pools.thing(kind, rc=not subordinate, avoid=used)
    for role, prep, kinds, prob in verb.args:
        if rng.random() >= prob:
            continue
        kind = pick(rng, kinds)
        if kind == "person":
            nps[role] = pools.person(rc=not subordinate, avoid=used)
            used = used + nps[role].tokens
            preps[role] = (prep,)
        elif kind == "price":
            nps[role] = pools.price()
            preps[role] = (prep,)
        elif kind in PLACE_KINDS:
            kind, (loc_prep, np) = pools.place((kind,))
            nps[role] = pools.place_np(np, kind, rc=not subordinate, avoid=used)
            preps[role] = (loc_prep if prep == "LOC" else prep,)
        else:                                   # an instrument
            nps[role] = pools.thing(kind)
            preps[role] = (prep,)
    # Adjuncts.  A verb with its own place argument gets no second "where".
    if not verb.has_place_arg and rng.random() < P_LOCATION_ADJUNCT:
        kind, (loc_prep, np) = pools.place()
        nps["location"] = pools.place_np(np, kind, rc=not subordinate, avoid=used)
        preps["location"] = (loc_prep,)
    if rng.random() < (P_TIME / 2 if subordinate else P_TIME):
        nps["time"] = pools.time()
    if rng.random() < (P_MANNER / 2 if subordinate else P_MANNER):
        nps["manner"] = pools.manner()
    if not subordinate and rng.random() < P_PURPOSE:
        nps["purpose"] = pools.purpose()
    if len(nps) < 2:                      # every target predicate gets at least two questions
        nps["time"] = pools.time()

    # Voice and aspect.
    if verb.passive and "theme" in nps and rng.random() < P_PASSIVE:
        c.voice = "passive"
        dat = verb.args[0][0] if verb.args else ""
        if verb.recpass and dat in nps and rng.random() < P_RECIPIENT_PASSIVE:
            c.voice = "recpass"
            c.shifted = dat
        if rng.random() >= P_AGENT_IN_PASSIVE:
            del nps["agent"]
            if len(nps) < 2:              # "The lantern was found at dawn."
                nps["time"] = pools.time()
    else:
        # Dative shift only for light noun phrases, as in English ("gave John the lantern",
        # hardly "gave the baker who lived near the mill the lantern").
        if verb.dative and "theme" in nps and verb.args and verb.args[0][0] in nps \
                and len(nps[verb.args[0][0]].tokens) <= 3 and rng.random() < P_DATIVE_SHIFT:
            c.shifted = verb.args[0][0]
        elif not subordinate and rng.random() < P_PROGRESSIVE:
            c.progressive = True
    return c


def _arrange(c: Clause, rng: random.Random, allow_front=True, omit_subject=False) -> None:
    """Fix the word order of a planned clause into c.seq and the emitted fillers."""
    v, nps, preps = c.verb, c.nps, c.preps
    fill = c.fillers
    for role, np in nps.items():
        if role == c.shifted:
            fill[role] = np                                    # "gave John the lantern"
        elif role == "agent" and c.voice != "active":
            fill[role] = _with_prep(("by",), np)               # "... by Mary"
        elif role in preps:
            fill[role] = _with_prep(preps[role], np)
        else:
            fill[role] = np
    core = [r for r in v.arg_roles if r in nps and r != c.shifted]
    if len(core) > 1 and rng.random() < 0.3:
        rng.shuffle(core)
    adjuncts = [r for r in ("location", "time", "manner") if r in nps and r not in core]

    seq = c.seq
    front = ""
    if allow_front and adjuncts and rng.random() < P_FRONT:
        front = pick(rng, adjuncts)
        seq += [(_ROLE, front), ","]
        adjuncts.remove(front)
    manner_first = ("manner" in adjuncts and len(nps["manner"].tokens) == 1 and rng.random() < 0.4)
    if manner_first:
        adjuncts.remove("manner")

    if c.voice == "active":
        if not omit_subject:
            seq.append((_ROLE, "agent"))
        if c.progressive:
            seq.append("were" if nps["agent"].tokens[1:2] == ["and"] else "was")
        if manner_first:
            seq.append((_ROLE, "manner"))
        seq.append(_VERB)
        if c.shifted:
            seq += [(_ROLE, c.shifted), (_ROLE, "theme")]
        elif "theme" in nps:
            seq.append((_ROLE, "theme"))
    else:
        subject = c.shifted if c.voice == "recpass" else "theme"
        seq += [(_ROLE, subject), "was"]
        if manner_first:
            seq.append((_ROLE, "manner"))
        seq.append(_VERB)
        if c.voice == "recpass":
            seq.append((_ROLE, "theme"))
        if "agent" in nps:                  # the by-phrase goes anywhere among the arguments
            core.insert(rng.randrange(len(core) + 1), "agent")
    seq += [(_ROLE, r) for r in core]
    rng.shuffle(adjuncts)
    seq += [(_ROLE, r) for r in adjuncts]
    if "purpose" in nps:
        seq.append((_ROLE, "purpose"))


def _emit(c: Clause, out: list[str]) -> None:
    """Append the clause's tokens to out, recording where every role and the verb land."""
    if c.conj:
        out.append(c.conj)
    for item in c.seq:
        if item is _VERB:
            c.verb_idx = len(out)
            if c.voice != "active":
                out.append(c.verb.participle)
            elif c.progressive:
                out.append(c.verb.ing)
            else:
                out.append(c.verb.past)
        elif type(item) is str:
            out.append(item)
        else:
            role = item[1]
            filler = c.fillers[role]
            start = len(out)
            if type(filler) is Clause:                 # "after Tom arrived at the mill"
                _emit(filler, out)
                c.spans[role] = (start, len(out), 0, [(start, len(out))])
            else:
                out.extend(filler.tokens)
                c.spans[role] = (start, len(out), filler.prep,
                                 [(start + a, start + b) for a, b in filler.variants])


def draw_sentence(pools: Pools) -> tuple[list[str], list[Clause]]:
    """One sentence: tokens (first capitalised, final period) and its target-able clauses."""
    rng = pools.rng
    main = _plan(pools, pick(rng, VERBS))
    clauses = [main]
    r = rng.random()
    out: list[str] = []
    if r < 0.15:
        # Subordinate time clause, fronted or trailing; it is the main verb's "when".
        sub = _plan(pools, pick(rng, SUBORDINATE_VERBS), subordinate=True)
        sub.conj = pick(rng, SUBORDINATORS)
        _arrange(sub, rng, allow_front=False)
        main.nps["time"] = sub
        fronted = rng.random() < 0.5
        _arrange(main, rng, allow_front=False)
        if fronted:
            main.seq.remove((_ROLE, "time"))
            main.seq[:0] = [(_ROLE, "time"), ","]
        _emit(main, out)
        clauses.append(sub)
    elif r < 0.33:
        # Two coordinated clauses: each verb's arguments are distractors for the other.
        second = _plan(pools, pick(rng, VERBS))
        _arrange(main, rng)
        _arrange(second, rng, allow_front=False)
        _emit(main, out)
        out.extend(pick(rng, CLAUSE_JOINERS))
        _emit(second, out)
        clauses.append(second)
    elif r < 0.45 and main.voice == "active" and not main.progressive:
        # Coordinated verb phrases sharing one subject, far from the second verb.
        second = _plan(pools, pick(rng, VERBS))
        second.voice, second.progressive, second.nps["agent"] = "active", False, main.nps["agent"]
        _arrange(main, rng)
        _arrange(second, rng, allow_front=False, omit_subject=True)
        _emit(main, out)
        out.append("and")
        _emit(second, out)
        second.spans["agent"] = main.spans["agent"]
        clauses.append(second)
    else:
        _arrange(main, rng)
        _emit(main, out)
    out[0] = out[0][0].upper() + out[0][1:]
    out.append(".")
    return out, clauses
