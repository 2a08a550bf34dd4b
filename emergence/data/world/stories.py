"""Documents (the "wiki" corpus: short stories about recurring characters) and the nq_open-style
question lines about what they state."""

from __future__ import annotations

import random

from emergence.data.world.grammar import (
    Clause,
    Phrase,
    Pools,
    article,
    detok,
    draw_sentence,
    pick,
)
from emergence.data.world.lexicon import (
    ADJECTIVES,
    DETERMINERS,
    NOUN_TOKENS,
    OCCUPATIONS,
    PERSON_ARG_ROLES,
    PERSON_NAMES,
    PLACE_TOKENS,
    TOWNS,
)

# --------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------

def draw_people(seed: int) -> dict[str, tuple[str, str, tuple[str, tuple[str, ...]]]]:
    """Stable facts: every person's occupation, home town and workplace, fixed per seed."""
    rng = random.Random(f"{seed}:people")
    return {n: (pick(rng, OCCUPATIONS), pick(rng, TOWNS), pick(rng, PLACE_TOKENS)) for n in PERSON_NAMES}


def _title(words: list[str]) -> str:
    small = {"of", "the", "and", "a", "an", "in"}
    return " ".join(w if (i and w in small) else w[0].upper() + w[1:] for i, w in enumerate(words))


def draw_document(rng: random.Random, people: dict) -> tuple[dict, list[list[str]], list[Clause], list]:
    """A short story: who the characters are, then what they did.  Returns the record, its
    sentences as prose, the clauses told (for nq event facts) and the stable facts stated."""
    hero = pick(rng, PERSON_NAMES)
    n_friends = rng.randint(2, 4)
    friends = []
    while len(friends) < n_friends:
        f = pick(rng, PERSON_NAMES)
        if f != hero and f not in friends:
            friends.append(f)
    occ, town, work = people[hero]
    objects = [(pick(rng, ADJECTIVES["object"]) if rng.random() < 0.6 else None,
                pick(rng, NOUN_TOKENS["object"]))
               for _ in range(rng.randint(3, 5))]
    places = [work] + [pick(rng, PLACE_TOKENS) for _ in range(rng.randint(2, 4))]
    pools = Pools(rng, cast=[hero, hero, hero] + friends, objects=objects, places=places,
                   p_local=0.85, p_the=0.85, p_rc=0.12)

    adj, noun = objects[0]
    title = pick(rng, (
        ["the", occ, "of", town],
        [hero, "of", town],
        [hero, "and", "the", *([adj] if adj else []), *noun],
        ["a", pick(rng, ("winter", "summer", "spring")), "in", town],
        ["the", *noun, "of", *work[1]],
    ))
    stated = [(hero, "job"), (hero, "home"), (hero, "work")]
    intro = [[hero, "was", article(occ), occ, "who", "lived", "in", town, "."],
             [hero, "worked", work[0], *work[1], "."]]
    for f in friends[:rng.randint(0, 2)]:
        f_occ, f_town, _ = people[f]
        intro.append([f, "was", article(f_occ), f_occ, "from", f_town, "."])
        stated += [(f, "job"), (f, "home")]

    sentences, clauses = [], []
    for _ in range(rng.randint(7, 12)):
        tokens, cl = draw_sentence(pools)
        sentences.append(tokens)
        clauses.extend(cl)
    # Paragraphs: the introduction opens the first one; events are cut into 2-3 more.
    intro = [detok(s) for s in intro]
    sentences = [detok(s) for s in sentences]
    cuts = sorted(rng.sample(range(1, len(sentences)), rng.randint(1, 2)))
    paragraphs = [intro + sentences[:cuts[0]]]
    for a, b in zip(cuts, cuts[1:] + [len(sentences)]):
        paragraphs.append(sentences[a:b])
    text = "\n\n".join(" ".join(p) for p in paragraphs)
    return {"title": _title(title), "text": text}, intro + sentences, clauses, stated


# --------------------------------------------------------------------------------------
# nq_open-style questions
# --------------------------------------------------------------------------------------

def _strip_det(s: str) -> str:
    first, _, rest = s.partition(" ")
    return rest if first in DETERMINERS and rest else s


def event_questions(c: Clause) -> list[tuple[str, tuple[str, ...]]]:
    """Closed-book questions about one told event, phrased in the active voice."""
    v, nps, preps = c.verb, c.nps, c.preps
    agent = nps.get("agent")
    if agent is None or agent.short.startswith("the "):    # "the baker" is no one in particular
        return []
    a = agent.short
    theme = nps.get("theme")
    th = theme.short if theme is not None else ""
    core = [" ".join(preps[r]) + " " + nps[r].short for r in v.arg_roles if r in nps]
    out = []
    rest = " ".join(x for x in [th] + core if x)
    if rest:
        out.append((f"who {v.past} {rest}", (a,)))
    if theme is not None and theme.kind != "person":
        out.append((f"what did {a} {v.base} {' '.join(core)}", (th, _strip_det(th))))
    elif theme is not None and not th.startswith("the "):
        out.append((f"who did {a} {v.base} {' '.join(core)}", (th,)))
    for r in v.arg_roles:
        if r in nps and r in PERSON_ARG_ROLES and nps[r].kind == "person" \
                and not nps[r].short.startswith("the "):
            out.append((f"who did {a} {v.base} {th} {preps[r][0]}", (nps[r].short,)))
    loc = nps.get("location")
    if loc is not None:
        out.append((f"where did {a} {v.base} {th}", (loc.short,)))
    when = nps.get("time")
    if type(when) is Phrase:
        out.append((f"when did {a} {v.base} {rest}",
                    (when.short, when.short.split(" ", 1)[1]) if when.prep else (when.short,)))
    return [(" ".join(q.lower().split()), tuple(dict.fromkeys(ans))) for q, ans in out]


def _stable_questions(name: str, fact: str, people: dict, trades: dict) -> list[tuple[str, tuple[str, ...]]]:
    occ, town, work = people[name]
    n = name.lower()
    if fact == "job":
        return [(f"what was {n}'s job", (occ, f"{article(occ)} {occ}")),
                (f"what did {n} do for a living", (occ,))]
    if fact == "home":
        out = [(f"where did {n} live", (town,)), (f"which town was {n} from", (town,))]
        # Only when no one else in the world has the same trade in the same town.
        if trades[occ, town] == 1:
            out.append((f"who was the {occ} who lived in {town.lower()}", (name,)))
        return out
    return [(f"where did {n} work", (" ".join(work[1]),))]


def draw_nq(seed: int, n_nq: dict, facts: list, people: dict) -> dict[str, list[dict]]:
    """Questions whose answers the training documents state; ambiguous ones are dropped.

    facts: (question, answers) pairs about told events, and (name, "job"/"home"/"work") for the
    stable facts the documents state."""
    rng = random.Random(f"{seed}:nq")
    answers: dict[str, tuple | None] = {}     # question -> answers, None once contradicted
    trades: dict[tuple[str, str], int] = {}   # (occupation, town) -> how many people
    for occ, town, _ in people.values():
        trades[occ, town] = trades.get((occ, town), 0) + 1

    def add(question, ans):
        old = answers.get(question, ans)
        answers[question] = ans if old == ans else None

    for a, b in facts:
        if type(b) is tuple:
            add(a, b)
        else:
            for q, ans in _stable_questions(a, b, people, trades):
                add(q, ans)
    need = sum(n_nq.values())
    pool = [q for q, a in answers.items() if a is not None]
    # Too few documents for the questions asked: tell more events about the world (they are
    # then facts no document states).  Never happens at the default sizes.
    pools = Pools(rng)
    tries = 0
    while len(pool) < need:
        tries += 1
        if tries > 100 * need + 1000:
            raise RuntimeError("could not find enough unambiguous nq questions")
        for c in draw_sentence(pools)[1]:
            for q, ans in event_questions(c):
                if q not in answers:
                    answers[q] = ans
                    pool.append(q)
                elif answers[q] is not None and answers[q] != ans:
                    answers[q] = None
        pool = [q for q in pool if answers[q] is not None]
    rng.shuffle(pool)
    out, i = {}, 0
    for split, n in n_nq.items():
        out[split] = [{"question": q, "answer": list(answers[q])} for q in pool[i:i + n]]
        i += n
    return out
