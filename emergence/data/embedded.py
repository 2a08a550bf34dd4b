"""An embedded synthetic world: the offline stand-in for WikiText, nq_open and QA-SRL.

The study asks whether knowing *who did what to whom, where, when and how* emerges from
next-token pretraining.  Its real data sources (WikiText articles to pretrain on, google
nq_open questions, QA-SRL 1.0 question/answer pairs for the extractive QA head) need a
network.  This module builds a small world instead, from one seed and the standard library
alone, with the same three record shapes:

* ``wiki``  - ``{"title", "text"}``: short narratives about a few recurring characters
  ("The Baker of Eastbrook"), written in plain prose.  They are the pretraining corpus, so
  they use exactly the constructions and vocabulary that the QA-SRL sentences use.
* ``nq``    - ``{"question", "answer"}``: lowercase questions without "?", like nq_open,
  about stable facts stated in the training documents ("where did mary live") and about
  events told in them ("who gave the old lantern to john").  Questions whose answer is not
  unique in the world are dropped.
* ``qasrl`` - QA-SRL 1.0 hub records, one per question: a space-tokenized sentence, the
  index of its target predicate, a 7-slot question (wh aux subj verb obj prep obj2) plus
  "?", and 1-3 answer spans copied from the sentence tokens.

Every sentence is built from a table of verb frames (agent, theme, recipient, source,
destination, location, beneficiary, instrument, price) plus optional adjuncts (time,
manner, purpose), and realised with varied syntax - active and passive, dative shift,
progressive aspect, fronted adverbials, relative clauses on arguments, coordinated
subjects, coordinated clauses and verb phrases, subordinate time clauses - so that no rule
based on token position finds the arguments; the model has to know the roles.  Entities
mentioned in relative clauses or in a second clause act as distractors.

Determinism: every random choice comes from a ``random.Random`` instance seeded from
``seed`` and the part of the world being built (string seeds are hashed with SHA-512 by
``random``, not with ``hash()``), and nothing iterates over a set, so a seed gives
byte-identical output in any process.  Separate generators per part also mean that asking
for more documents does not change the QA-SRL sentences.

Split hygiene: a validation QA-SRL sentence never occurs in any wiki document (train or
validation, even as the tail of a longer sentence) nor in QA-SRL train; wiki validation
documents differ from train documents; nq validation questions differ from train ones.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from emergence.data.qa import align_answer, question_text

# --------------------------------------------------------------------------------------
# Vocabulary tables.  Multi-word entries are split into tokens on spaces.
# --------------------------------------------------------------------------------------

PERSON_NAMES = tuple("""
Mary John Tom Anna Peter Sarah James Emma William Alice Henry Grace George Clara Thomas
Rose Edward Lucy Arthur Ellen Walter Martha Samuel Helen Frank Ruth Harold Edith Albert
Irene Charles Agnes Robert Hannah Joseph Esther Daniel Julia David Lydia Hugh Nora Oliver
Ada Simon Bess Isaac Molly Victor Paula Oscar Vera Felix Iris Leo Hazel Max Ivy Jack Mabel
Owen Dora Ralph Eva Carl Fiona Dennis Greta Eric Hilda Ivan Joan Karl Kate Luke Lena Mark
Maud Neil Nina Paul Olive Roger Pearl Sean Rita Ted Stella Abel Bruno Cyril Dexter Edgar
Floyd Gilbert Horace Ira Jasper Kenneth Lionel Morris Nathan Otto Percy Quentin Rufus Silas
Tobias Vincent Wallace Alfred Bernard Clement Dudley Ernest Fergus Gordon Howard Jerome
Leonard Martin Norman Philip Raymond Stanley Timothy Alma Beatrice Cora Daisy Eliza Flora
Gwen Harriet Inez June Kitty Laura Minnie Norma Opal Phoebe Queenie Rosa Sophie Tilda Una
Violet Wanda Yvonne Zelda Amos Boris Colin Derek Elias Gareth Hector Ingrid Jonah Keith
Lars Milo Nell Orla Petra Rhea Sybil Tess Ursula Wilma Xavier Yara Zack
""".split())

OCCUPATIONS = tuple("""
baker fisherman carpenter blacksmith weaver miller farmer shepherd potter tailor merchant
teacher doctor sailor painter gardener butcher cook innkeeper shoemaker mason clerk priest
soldier hunter beekeeper brewer candlemaker ferryman glassblower jeweler librarian
messenger musician nurse porter printer saddler tanner watchmaker
""".split())

TOWNS = tuple("""
Eastbrook Millford Ashdale Briarwood Coldwater Dunmore Elmstead Fairhaven Greystone
Hollowell Ironbridge Kingsbury Larkfield Marshgate Northwick Oakridge Pinecrest Redcliff
Stonehaven Thornbury Westmere Willowby Yarrow Brackenhurst
""".split())

# (locative preposition, noun phrase).  The preposition is what "where" answers carry.
PLACES = (
    ("in", "the harbor"), ("at", "the north market"), ("at", "the mill"), ("on", "the old bridge"),
    ("in", "the town square"), ("at", "the bakery"), ("in", "the church"), ("at", "the inn"),
    ("in", "the village"), ("at", "the station"), ("in", "the forest"), ("by", "the river"),
    ("on", "the hill"), ("at", "the school"), ("in", "the library"), ("at", "the farm"),
    ("in", "the garden"), ("at", "the smithy"), ("in", "the orchard"), ("at", "the docks"),
    ("in", "the meadow"), ("at", "the well"), ("in", "the courtyard"), ("at", "the lighthouse"),
    ("in", "the valley"), ("at", "the crossroads"), ("in", "the workshop"), ("at", "the tavern"),
    ("in", "the south market"), ("at", "the town hall"), ("on", "the beach"), ("at", "the castle"),
    ("in", "the stable"), ("at", "the post office"), ("in", "the kitchen"), ("at", "the harbor gate"),
    ("in", "the park"), ("at", "the chapel"), ("by", "the lake"), ("at", "the quarry"),
    ("in", "the old tower"), ("at", "the fairground"), ("on", "the main road"), ("in", "the east field"),
)
# Where things are put, hidden or left.
CONTAINERS = (
    ("in", "the cart"), ("in", "the chest"), ("in", "the cellar"), ("in", "the barn"),
    ("in", "the drawer"), ("in", "the cupboard"), ("in", "the boat"), ("on", "the table"),
    ("on", "the shelf"), ("under", "the bed"), ("under", "the stairs"), ("behind", "the door"),
    ("in", "the attic"), ("under", "the floorboards"), ("in", "the wagon"), ("on", "the windowsill"),
    ("behind", "the stove"), ("in", "the sack"),
)
# Where people sit or sleep.
SEATS = (
    ("on", "the bench"), ("by", "the fire"), ("on", "the steps"), ("at", "the long table"),
    ("under", "the oak tree"), ("on", "the stone wall"), ("beside", "the well"), ("on", "the porch"),
    ("near", "the window"), ("on", "the grass"),
)

# Noun tables for "thing" kinds: built into "the/a (adjective) noun".
NOUNS = {
    "object": tuple("""
lantern basket coat hat lamp ring book map bell rope bucket blanket kettle mirror clock
violin flute candle shovel ladder saddle scarf shawl necklace bracelet purse wallet umbrella
cane pipe compass telescope painting vase bowl cup plate spoon pot pan jug barrel crate box
trunk bag quilt pillow doll kite ball sword shield helmet apron toolbox oar anchor wheel
""".split()) + ("sack of flour", "jar of honey", "pair of boots", "pair of gloves", "fishing net",
               "music box", "tea set", "sewing kit"),
    "food": ("loaf of bread", "apple pie", "honey cake", "pot of soup", "fish stew", "plum pudding",
             "meat pie", "wheel of cheese", "roast chicken", "berry tart", "bowl of porridge",
             "batch of biscuits"),
    "cuttable": ("rope", "cloth", "ribbon", "branch", "leather strap", "sheet of paper",
                 "length of cord", "loaf of bread", "wheel of cheese", "hedge"),
    "structure": ("fence", "shed", "boat", "wall", "roof", "gate", "table", "chair", "bench", "cart",
                  "cabinet", "doghouse", "chicken coop", "bookshelf", "cradle", "wagon", "raft",
                  "porch", "staircase", "windmill"),
    "openable": ("door", "gate", "chest", "box", "window", "jar", "trunk", "cupboard", "cellar door",
                 "crate", "barn door", "letter"),
    "writing": ("letter", "note", "poem", "song", "report", "message", "list", "recipe", "petition",
                "invitation"),
    "animal": ("goat", "dog", "cat", "chicken", "horse", "sheep", "rabbit", "pig", "duck", "goose",
               "donkey", "cow", "pony"),
}
# Adjectives that fit each kind of thing ("the hungry goat", not "the wooden letter").
ADJECTIVES = {
    "object": ("old", "new", "small", "large", "heavy", "red", "blue", "green", "broken", "shiny",
               "dusty", "beautiful", "little", "worn", "precious", "painted"),
    "food": ("fresh", "warm", "hot", "stale", "large", "small", "delicious", "burnt", "sweet"),
    "cuttable": ("long", "short", "old", "thick", "thin", "wet"),
    "structure": ("old", "new", "small", "large", "wooden", "broken", "crooked", "sturdy", "painted"),
    "openable": ("old", "heavy", "small", "wooden", "broken", "dusty"),
    "writing": ("long", "short", "secret", "urgent", "old", "new", "strange"),
    "animal": ("old", "young", "small", "little", "black", "white", "brown", "hungry", "lost"),
}

# Fixed noun phrases (determiner included) for things that do not take free adjectives.
FIXED_NPS = {
    "tale": ("a story", "the story", "a secret", "the truth", "a joke", "the news", "a long tale",
             "the plan", "a riddle", "the rumor", "a ghost story"),
    "lesson": ("the song", "a new dance", "the recipe", "the rules of the game", "a card trick",
               "the old hymn", "the alphabet", "a prayer", "the craft of weaving", "a lullaby"),
    "song": ("a song", "the old hymn", "a lullaby", "a ballad", "the anthem", "a sea shanty"),
    # instruments, by what they are used for
    "blade": ("a knife", "the old axe", "a saw", "a pair of scissors", "a sickle", "the bread knife",
              "a sharp blade"),
    "tool": ("a hammer", "a wrench", "a chisel", "a handful of nails", "a pair of pliers",
             "a screwdriver", "the heavy mallet", "some glue"),
    "key": ("a key", "an iron bar", "a crowbar", "a hairpin", "the brass key", "a small knife"),
    "brush": ("a brush", "a roller", "a wide brush", "an old rag"),
    "cloth": ("a cloth", "a sponge", "a stiff brush", "cold water", "a bar of soap"),
    "net": ("a net", "a rope", "a fishing line", "a basket", "a trap"),
    "fodder": ("oats", "fresh hay", "some carrots", "bread crumbs", "a bucket of grain"),
}

TIMES = (
    "at dawn", "at noon", "at dusk", "at midnight", "in the morning", "in the afternoon",
    "in the evening", "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
    "on Saturday", "on Sunday", "in the winter", "in the spring", "in the summer", "in the autumn",
    "in March", "in June", "in October", "last week", "last year", "the next day", "that night",
    "yesterday", "after supper", "before breakfast", "during the storm", "during the festival",
    "early in the morning", "late at night", "after the harvest", "before the wedding",
    "later that evening", "a week later",
)
MANNER_ADVERBS = tuple("""
quietly slowly carefully happily eagerly nervously gently proudly reluctantly silently
quickly angrily secretly cheerfully patiently hastily politely anxiously
""".split())
MANNER_PHRASES = ("with great care", "in a hurry", "without a word", "in silence", "with a smile",
                  "with both hands", "with a heavy heart", "in secret", "without complaint")
PURPOSES = ("to pay the rent", "as a gift", "for the festival", "to earn some money",
            "to help the family", "to keep it safe", "to thank the neighbors",
            "to prepare for the winter", "for the wedding", "as a favor", "to settle an old debt",
            "to make some room")
PRICE_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "ten", "twelve", "twenty")
PRICE_METALS = ("copper", "silver", "gold")
SUBORDINATORS = ("after", "before", "while", "when")
CLAUSE_JOINERS = (("and",), (",", "and"), (",", "but"), ("and", "then"))

# Relative clauses; they plant distractor people and places inside an argument.
# {P} a name, {L} a place noun phrase, {LP} "in the harbor", {CP} "in the cart",
# {T} a town, {O} an object noun phrase, {F} a food noun phrase.
PERSON_RCS = ("who lived near {L}", "who lived in {T}", "who worked at {L}", "who had met {P}",
              "who owned {O}", "whom {P} had hired", "who was waiting {LP}", "who sold {F} {LP}")
OBJECT_RCS = ("that {P} had found", "that belonged to {P}", "that had been left {LP}",
              "which {P} had made", "that {P} had bought {LP}", "that was lying {CP}",
              "that {P} had lost")
PLACE_RCS = ("where {P} worked", "that {P} had visited", "where {P} had grown up")

# --------------------------------------------------------------------------------------
# Verb frames.  One row per verb: forms written out, theme kinds, arguments and flags.
#   args: "role:preposition:kinds:probability"; preposition LOC means "the place's own
#         locative preposition" (in the cart, on the shelf); kinds are |-separated.
#   flags: passive   - the theme can become the subject ("The lantern was given ...")
#          dative    - the first argument can shift before the theme ("gave John the lantern")
#          recpass   - the shifted argument can become a passive subject ("John was given ...")
# --------------------------------------------------------------------------------------

VERB_TABLE = (
    # base      past        participle   -ing         theme kinds               arguments                                          flags
    ("give",    "gave",     "given",     "giving",    "object|food",            "recipient:to:person:.85",                         "passive dative recpass"),
    ("send",    "sent",     "sent",      "sending",   "object|writing",         "recipient:to:person:.8",                          "passive dative recpass"),
    ("sell",    "sold",     "sold",      "selling",   "object|food|animal",     "recipient:to:person:.6 price:for:price:.45",      "passive dative"),
    ("buy",     "bought",   "bought",    "buying",    "object|food|animal",     "source:from:person:.6 price:for:price:.45",       "passive"),
    ("carry",   "carried",  "carried",   "carrying",  "object|food",            "destination:to:place:.7 source:from:place:.25",   "passive"),
    ("cut",     "cut",      "cut",       "cutting",   "cuttable",               "instrument:with:blade:.75",                       "passive"),
    ("sit",     "sat",      "sat",       "sitting",   "",                       "location:LOC:seat|place:1",                       ""),
    ("meet",    "met",      "met",       "meeting",   "person",                 "",                                                "passive"),
    ("write",   "wrote",    "written",   "writing",   "writing",                "recipient:to:person:.6",                          "passive dative"),
    ("bring",   "brought",  "brought",   "bringing",  "object|food",            "recipient:to:person:.75",                         "passive dative recpass"),
    ("lend",    "lent",     "lent",      "lending",   "object",                 "recipient:to:person:.9",                          "passive dative recpass"),
    ("show",    "showed",   "shown",     "showing",   "object|writing|animal",  "recipient:to:person:.85",                         "passive dative recpass"),
    ("throw",   "threw",    "thrown",    "throwing",  "object",                 "recipient:to:person:.5",                          "passive dative"),
    ("put",     "put",      "put",       "putting",   "object|food",            "location:LOC:container:1",                        "passive"),
    ("place",   "placed",   "placed",    "placing",   "object",                 "location:LOC:container|seat:1",                   "passive"),
    ("move",    "moved",    "moved",     "moving",    "object|structure|animal", "source:from:place:.5 destination:to:place:.7",   "passive"),
    ("visit",   "visited",  "visited",   "visiting",  "place|person",           "",                                                "passive"),
    ("build",   "built",    "built",     "building",  "structure",              "beneficiary:for:person:.5",                       "passive dative"),
    ("paint",   "painted",  "painted",   "painting",  "structure|object",       "instrument:with:brush:.4",                        "passive"),
    ("repair",  "repaired", "repaired",  "repairing", "structure|object",       "instrument:with:tool:.5",                         "passive"),
    ("hide",    "hid",      "hidden",    "hiding",    "object|writing",         "location:LOC:container:.85",                      "passive"),
    ("find",    "found",    "found",     "finding",   "object|animal|writing",  "location:LOC:container|place:.6",                 "passive"),
    ("steal",   "stole",    "stolen",    "stealing",  "object|food|animal",     "source:from:person:.6",                           "passive"),
    ("open",    "opened",   "opened",    "opening",   "openable",               "instrument:with:key:.5",                          "passive"),
    ("push",    "pushed",   "pushed",    "pushing",   "structure|object",       "destination:to:place:.6",                         "passive"),
    ("teach",   "taught",   "taught",    "teaching",  "lesson",                 "recipient:to:person:.9",                          "passive dative recpass"),
    ("tell",    "told",     "told",      "telling",   "tale",                   "recipient:to:person:.9",                          "passive dative recpass"),
    ("receive", "received", "received",  "receiving", "object|writing|food",    "source:from:person:.8",                           "passive"),
    ("borrow",  "borrowed", "borrowed",  "borrowing", "object",                 "source:from:person:.8",                           "passive"),
    ("deliver", "delivered", "delivered", "delivering", "object|writing|food",  "recipient:to:person:.8",                          "passive"),
    ("fix",     "fixed",    "fixed",     "fixing",    "structure|object",       "instrument:with:tool:.5",                         "passive"),
    ("wash",    "washed",   "washed",    "washing",   "object|animal",          "instrument:with:cloth:.5",                        "passive"),
    ("follow",  "followed", "followed",  "following", "person|animal",          "destination:to:place:.6",                         "passive"),
    ("greet",   "greeted",  "greeted",   "greeting",  "person",                 "",                                                "passive"),
    ("leave",   "left",     "left",      "leaving",   "object|food|writing",    "beneficiary:for:person:.3 location:LOC:container|place:.7", "passive"),
    ("walk",    "walked",   "walked",    "walking",   "",                       "source:from:place:.4 destination:to:place:.8",    ""),
    ("arrive",  "arrived",  "arrived",   "arriving",  "",                       "destination:at:place:.9 source:from:place:.3",    ""),
    ("wait",    "waited",   "waited",    "waiting",   "",                       "awaited:for:person:.85",                          ""),
    ("cook",    "cooked",   "cooked",    "cooking",   "food",                   "beneficiary:for:person:.5",                       "passive dative"),
    ("bake",    "baked",    "baked",     "baking",    "food",                   "beneficiary:for:person:.5",                       "passive dative"),
    ("return",  "returned", "returned",  "returning", "object|writing",         "recipient:to:person:.75",                         "passive"),
    ("catch",   "caught",   "caught",    "catching",  "animal",                 "instrument:with:net:.5",                          "passive"),
    ("feed",    "fed",      "fed",       "feeding",   "animal",                 "instrument:with:fodder:.6",                       "passive"),
    ("chase",   "chased",   "chased",    "chasing",   "animal|person",          "destination:into:place:.5",                       "passive"),
    ("sing",    "sang",     "sung",      "singing",   "song",                   "recipient:to:person:.5",                          "passive dative"),
    ("read",    "read",     "read",      "reading",   "writing",                "recipient:to:person:.6",                          "passive dative"),
    ("sleep",   "slept",    "slept",     "sleeping",  "",                       "location:LOC:seat|place:1",                       ""),
)

# Questions are asked in this role order, as QA-SRL annotators tend to go agent-first.
ROLE_ORDER = ("agent", "theme", "recipient", "beneficiary", "awaited", "source", "destination",
              "location", "instrument", "price", "time", "manner", "purpose")
PERSON_ARG_ROLES = ("recipient", "beneficiary", "awaited", "source")
PLACE_KINDS = ("place", "container", "seat")

# How often optional material is realised (per clause).
P_LOCATION_ADJUNCT = 0.3
P_TIME = 0.4
P_MANNER = 0.25
P_PURPOSE = 0.08
P_PASSIVE = 0.28
P_AGENT_IN_PASSIVE = 0.6
P_RECIPIENT_PASSIVE = 0.3
P_DATIVE_SHIFT = 0.4
P_PROGRESSIVE = 0.08
P_FRONT = 0.3


@dataclass(frozen=True)
class Verb:
    base: str
    past: str
    participle: str
    ing: str
    themes: tuple[str, ...]
    args: tuple[tuple[str, str, tuple[str, ...], float], ...]   # (role, prep, kinds, prob)
    passive: bool
    dative: bool
    recpass: bool
    arg_roles: tuple[str, ...]     # the roles of args, in order
    has_place_arg: bool            # an argument already answers "where"


def _parse_verbs() -> tuple[Verb, ...]:
    verbs = []
    for base, past, part, ing, themes, args, flags in VERB_TABLE:
        parsed = []
        for spec in args.split():
            role, prep, kinds, prob = spec.split(":")
            parsed.append((role, prep, tuple(kinds.split("|")), float(prob)))
        flag_set = flags.split()
        verbs.append(Verb(base, past, part, ing, tuple(t for t in themes.split("|") if t),
                          tuple(parsed), "passive" in flag_set, "dative" in flag_set,
                          "recpass" in flag_set, tuple(a[0] for a in parsed),
                          any(k in PLACE_KINDS for a in parsed for k in a[2])))
    return tuple(verbs)


VERBS = _parse_verbs()
# Short clauses inside "after ..." / "when ..." use verbs whose frames read naturally there.
SUBORDINATE_VERBS = tuple(v for v in VERBS if v.base in (
    "arrive", "walk", "sit", "meet", "greet", "find", "open", "visit", "wait", "leave", "cook",
    "bake", "sleep", "follow", "return", "catch", "feed", "wash"))

# Pre-split tables so the hot loop does no string splitting.
_PLACES = tuple((p, tuple(np.split())) for p, np in PLACES)
_CONTAINERS = tuple((p, tuple(np.split())) for p, np in CONTAINERS)
_SEATS = tuple((p, tuple(np.split())) for p, np in SEATS)
_NOUNS = {k: tuple(tuple(n.split()) for n in v) for k, v in NOUNS.items()}
_FIXED = {k: tuple(tuple(n.split()) for n in v) for k, v in FIXED_NPS.items()}
_TIMES = tuple(tuple(t.split()) for t in TIMES)
_MANNER_PHRASES = tuple(tuple(m.split()) for m in MANNER_PHRASES)
_PURPOSES = tuple(tuple(p.split()) for p in PURPOSES)
_RCS = {name: tuple(tuple(t.split()) for t in table)
        for name, table in (("person", PERSON_RCS), ("object", OBJECT_RCS), ("place", PLACE_RCS))}
_LEADING_PREPS = frozenset(("at", "on", "in"))      # "at dawn" -> also "dawn"
_DETERMINERS = frozenset(("the", "a", "an", "some"))


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


def _pick(rng: random.Random, seq):
    """rng.choice, about twice as fast (a float draw instead of rejection sampling on bits);
    the generator runs hundreds of thousands of these."""
    return seq[int(rng.random() * len(seq))]


def _detok(tokens) -> str:
    """Plain prose from tokens: punctuation attaches to the word before it."""
    return " ".join(tokens).replace(" ,", ",").replace(" .", ".")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _with_prep(prep, np: Phrase) -> Phrase:
    k = len(prep)
    if not k:
        return np
    return Phrase(list(prep) + np.tokens, np.kind, k, [(a + k, b + k) for a, b in np.variants], np.short)


class _Pools:
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
                n = _pick(rng, self.cast)
            else:
                n = _pick(rng, PERSON_NAMES)
            if n not in avoid:
                break
        return n

    def place(self, kinds=("place",)):
        rng = self.rng
        kind = _pick(rng, kinds)
        if kind == "place":
            if self.places and rng.random() < self.p_local:
                return kind, _pick(rng, self.places)
            return kind, _pick(rng, _PLACES)
        return kind, _pick(rng, _CONTAINERS if kind == "container" else _SEATS)

    def _rc(self, table: str, avoid=()) -> list[str]:
        """A relative clause with its slots filled by fresh (distractor) entities."""
        rng = self.rng
        out = []
        for tok in _pick(rng, _RCS[table]):
            if tok == "{P}":
                out.append(self.name(avoid))
            elif tok == "{L}":
                out.extend(self.place()[1][1])
            elif tok == "{LP}":
                prep, np = self.place()[1]
                out.append(prep)
                out.extend(np)
            elif tok == "{CP}":
                prep, np = _pick(rng, _CONTAINERS)
                out.append(prep)
                out.extend(np)
            elif tok == "{T}":
                out.append(_pick(rng, TOWNS))
            elif tok == "{O}":
                out.extend(("the",) + _pick(rng, _NOUNS["object"]))
            elif tok == "{F}":
                food = _pick(rng, _NOUNS["food"])
                out.append(_article(food[0]))
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
                b = _pick(rng, PERSON_NAMES)
            # Annotators answer a coordination with the whole and with each conjunct.
            return Phrase([a, "and", b], "person", 0, [(0, 3), (0, 1), (2, 3)], f"{a} and {b}")
        if r < 0.75:
            n = self.name(avoid)
            return Phrase([n], "person", 0, [(0, 1)], n)
        head = ["the", _pick(rng, OCCUPATIONS)]
        if rc and rng.random() < 0.45:
            tokens = head + self._rc("person", avoid)
            return Phrase(tokens, "person", 0, [(0, len(tokens)), (0, 2)], " ".join(head))
        return Phrase(head, "person", 0, [(0, 2)], " ".join(head))

    def thing(self, kind: str, rc=True, avoid=()) -> Phrase:
        rng = self.rng
        if kind in _FIXED:
            toks = _pick(rng, _FIXED[kind])
            n = len(toks)
            variants = [(0, n)]
            if n > 1 and toks[0] in _DETERMINERS:
                variants.append((1, n))
            return Phrase(list(toks), "thing", 0, variants, " ".join(toks))
        if kind == "object" and self.objects and rng.random() < self.p_local:
            adj, noun = _pick(rng, self.objects)
        else:
            adj = _pick(rng, ADJECTIVES[kind]) if rng.random() < 0.45 else None
            noun = _pick(rng, _NOUNS[kind])
        det = "the" if rng.random() < self.p_the else _article(adj or noun[0])
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
        toks = _pick(self.rng, _TIMES)
        n = len(toks)
        if n > 1 and toks[0] in _LEADING_PREPS:           # "at dawn" -> also "dawn"
            return Phrase(list(toks), "time", 1, [(1, n)], " ".join(toks))
        return Phrase(list(toks), "time", 0, [(0, n)], " ".join(toks))

    def manner(self) -> Phrase:
        rng = self.rng
        toks = (_pick(rng, MANNER_ADVERBS),) if rng.random() < 0.65 else _pick(rng, _MANNER_PHRASES)
        return Phrase(list(toks), "manner", 0, [(0, len(toks))], " ".join(toks))

    def purpose(self) -> Phrase:
        toks = _pick(self.rng, _PURPOSES)
        return Phrase(list(toks), "purpose", 0, [(0, len(toks))], " ".join(toks))

    def price(self) -> Phrase:
        rng = self.rng
        toks = [_pick(rng, PRICE_NUMBERS), _pick(rng, PRICE_METALS), "coins"]
        return Phrase(toks, "price", 0, [(0, 3)], " ".join(toks))


# --------------------------------------------------------------------------------------
# Building sentences
# --------------------------------------------------------------------------------------

def _plan(pools: _Pools, verb: Verb, subordinate=False) -> Clause:
    """Choose which roles a clause realises and who/what fills them (no word order yet)."""
    rng = pools.rng
    c = Clause(verb)
    nps, preps = c.nps, c.preps
    nps["agent"] = pools.person(coord=not subordinate, rc=not subordinate)
    used = nps["agent"].tokens            # names already in the clause
    if verb.themes:
        kind = _pick(rng, verb.themes)
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
        kind = _pick(rng, kinds)
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
        front = _pick(rng, adjuncts)
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


def _sentence(pools: _Pools) -> tuple[list[str], list[Clause]]:
    """One sentence: tokens (first capitalised, final period) and its target-able clauses."""
    rng = pools.rng
    main = _plan(pools, _pick(rng, VERBS))
    clauses = [main]
    r = rng.random()
    out: list[str] = []
    if r < 0.15:
        # Subordinate time clause, fronted or trailing; it is the main verb's "when".
        sub = _plan(pools, _pick(rng, SUBORDINATE_VERBS), subordinate=True)
        sub.conj = _pick(rng, SUBORDINATORS)
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
        second = _plan(pools, _pick(rng, VERBS))
        _arrange(main, rng)
        _arrange(second, rng, allow_front=False)
        _emit(main, out)
        out.extend(_pick(rng, CLAUSE_JOINERS))
        _emit(second, out)
        clauses.append(second)
    elif r < 0.45 and main.voice == "active" and not main.progressive:
        # Coordinated verb phrases sharing one subject, far from the second verb.
        second = _plan(pools, _pick(rng, VERBS))
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


# --------------------------------------------------------------------------------------
# QA-SRL questions
# --------------------------------------------------------------------------------------

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


def _questions(c: Clause, tokens: list[str], rng: random.Random) -> list[tuple[list[str], list[str]]]:
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
        out.append((slots + ["?"], answers[:3]))
    return out


# --------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------

def _people(seed: int) -> dict[str, tuple[str, str, tuple[str, tuple[str, ...]]]]:
    """Stable facts: every person's occupation, home town and workplace, fixed per seed."""
    rng = random.Random(f"{seed}:people")
    return {n: (_pick(rng, OCCUPATIONS), _pick(rng, TOWNS), _pick(rng, _PLACES)) for n in PERSON_NAMES}


def _title(words: list[str]) -> str:
    small = {"of", "the", "and", "a", "an", "in"}
    return " ".join(w if (i and w in small) else w[0].upper() + w[1:] for i, w in enumerate(words))


def _document(rng: random.Random, people: dict) -> tuple[dict, list[list[str]], list[Clause], list]:
    """A short story: who the characters are, then what they did.  Returns the record, its
    sentences as prose, the clauses told (for nq event facts) and the stable facts stated."""
    hero = _pick(rng, PERSON_NAMES)
    n_friends = rng.randint(2, 4)
    friends = []
    while len(friends) < n_friends:
        f = _pick(rng, PERSON_NAMES)
        if f != hero and f not in friends:
            friends.append(f)
    occ, town, work = people[hero]
    objects = [(_pick(rng, ADJECTIVES["object"]) if rng.random() < 0.6 else None,
                _pick(rng, _NOUNS["object"]))
               for _ in range(rng.randint(3, 5))]
    places = [work] + [_pick(rng, _PLACES) for _ in range(rng.randint(2, 4))]
    pools = _Pools(rng, cast=[hero, hero, hero] + friends, objects=objects, places=places,
                   p_local=0.85, p_the=0.85, p_rc=0.12)

    adj, noun = objects[0]
    title = _pick(rng, (
        ["the", occ, "of", town],
        [hero, "of", town],
        [hero, "and", "the", *([adj] if adj else []), *noun],
        ["a", _pick(rng, ("winter", "summer", "spring")), "in", town],
        ["the", *noun, "of", *work[1]],
    ))
    stated = [(hero, "job"), (hero, "home"), (hero, "work")]
    intro = [[hero, "was", _article(occ), occ, "who", "lived", "in", town, "."],
             [hero, "worked", work[0], *work[1], "."]]
    for f in friends[:rng.randint(0, 2)]:
        f_occ, f_town, _ = people[f]
        intro.append([f, "was", _article(f_occ), f_occ, "from", f_town, "."])
        stated += [(f, "job"), (f, "home")]

    sentences, clauses = [], []
    for _ in range(rng.randint(7, 12)):
        tokens, cl = _sentence(pools)
        sentences.append(tokens)
        clauses.extend(cl)
    # Paragraphs: the introduction opens the first one; events are cut into 2-3 more.
    intro = [_detok(s) for s in intro]
    sentences = [_detok(s) for s in sentences]
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
    return rest if first in _DETERMINERS and rest else s


def _event_questions(c: Clause) -> list[tuple[str, tuple[str, ...]]]:
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
        return [(f"what was {n}'s job", (occ, f"{_article(occ)} {occ}")),
                (f"what did {n} do for a living", (occ,))]
    if fact == "home":
        out = [(f"where did {n} live", (town,)), (f"which town was {n} from", (town,))]
        # Only when no one else in the world has the same trade in the same town.
        if trades[occ, town] == 1:
            out.append((f"who was the {occ} who lived in {town.lower()}", (name,)))
        return out
    return [(f"where did {n} work", (" ".join(work[1]),))]


def _nq(seed: int, n_nq: dict, facts: list, people: dict) -> dict[str, list[dict]]:
    """facts: (question, answers) pairs about told events, and (name, "job"/"home"/"work")
    for the stable facts the documents state."""
    """Questions whose answers the training documents state; ambiguous ones are dropped."""
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
    pools = _Pools(rng)
    tries = 0
    while len(pool) < need:
        tries += 1
        if tries > 100 * need + 1000:
            raise RuntimeError("could not find enough unambiguous nq questions")
        for c in _sentence(pools)[1]:
            for q, ans in _event_questions(c):
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


# --------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------

_CAPITALISED_WORD = re.compile(r"(?<![^ ])[A-Z]")


def _capital_tails(sentence: str, into: set) -> None:
    """Every tail of a prose sentence that starts at a capitalised word.  A QA-SRL sentence
    starts with a capital and ends with its only period, so it can occur inside prose only as
    such a tail; keeping these out keeps it out of the documents, even as a substring."""
    for m in _CAPITALISED_WORD.finditer(sentence):
        into.add(sentence[m.start():])


def _qasrl_split(seed: int, split: str, n: int, forbidden: set, seen: set) -> tuple[list[dict], list]:
    rng = random.Random(f"{seed}:qasrl:{split}")
    pools = _Pools(rng)
    records, sentences = [], []
    tries = 0
    while len(sentences) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError(f"could not draw {n} distinct QA-SRL sentences for {split}")
        tokens, clauses = _sentence(pools)
        text = " ".join(tokens)
        if text in seen or _detok(tokens) in forbidden:
            continue
        target = _pick(rng, clauses)
        qas = _questions(target, tokens, rng)
        if len(qas) < 2:
            continue
        seen.add(text)
        sent_id = f"{split}-{len(sentences):06d}"
        sentences.append(tokens)
        for question, answers in qas:
            records.append({"sentence": text, "sent_id": sent_id, "predicate_idx": target.verb_idx,
                            "predicate": tokens[target.verb_idx], "question": question,
                            "answers": answers})
    return records, sentences


def generate_world(seed: int, n_documents: dict[str, int], n_nq: dict[str, int],
                   n_qasrl_sentences: dict[str, int]) -> dict[str, dict[str, list[dict]]]:
    """Returns {"wiki": {"train": [...], "validation": [...]}, "nq": {...}, "qasrl": {...}}.

    Each size dict maps split name ("train", "validation") to a count: documents, nq
    questions, and QA-SRL sentences (each yielding one record per question, ~2-5).
    """
    people = _people(seed)

    wiki: dict[str, list[dict]] = {}
    prose_tails: set[str] = set()      # for keeping validation QA-SRL sentences out of the corpus
    doc_texts: set[str] = set()
    facts: list = []                    # what the train documents say, as plain strings
    for split in sorted(n_documents, key=lambda s: s != "train"):   # train first: facts, dedup
        rng = random.Random(f"{seed}:wiki:{split}")
        docs = []
        while len(docs) < n_documents[split]:
            record, sentences, clauses, stated = _document(rng, people)
            if record["text"] in doc_texts:
                continue
            doc_texts.add(record["text"])
            docs.append(record)
            for sentence in sentences:
                _capital_tails(sentence, prose_tails)
            if split == "train":
                # Questions now, not clauses kept for later: holding ~40k clause objects
                # alive makes the garbage collector double the run time.
                facts += stated
                for c in clauses:
                    if not c.conj:
                        facts += _event_questions(c)
        wiki[split] = docs

    nq = _nq(seed, n_nq, facts, people)

    qasrl: dict[str, list[dict]] = {}
    seen: set[str] = set()
    train_tails: set[str] = set()
    for split in sorted(n_qasrl_sentences, key=lambda s: s != "train"):
        forbidden = set() if split == "train" else prose_tails | train_tails
        records, sentences = _qasrl_split(seed, split, n_qasrl_sentences[split], forbidden, seen)
        if split == "train":
            for tokens in sentences:
                _capital_tails(_detok(tokens), train_tails)
        qasrl[split] = records

    return {"wiki": {s: wiki[s] for s in n_documents},
            "nq": {s: nq[s] for s in n_nq},
            "qasrl": {s: qasrl[s] for s in n_qasrl_sentences},
            "squad": {s: squad_from_qasrl(qasrl[s]) for s in n_qasrl_sentences}}


SENTENCES_PER_PARAGRAPH = 5


def squad_from_qasrl(records: list[dict], per_paragraph: int = SENTENCES_PER_PARAGRAPH) -> list[dict]:
    """SQuAD-v1.1-shaped records for the embedded world's second task: reading comprehension
    over paragraphs of `per_paragraph` consecutive QA-SRL sentences, so a context spans several
    QA windows and the answer must be found in the right sentence. Each QA-SRL question about a
    sentence becomes a question about its paragraph, with the located answers' offsets; a
    question none of whose answers can be located is left out.
    """
    sentences: dict[str, str] = {}
    for rec in records:
        sentences.setdefault(rec["sent_id"], rec["sentence"])
    order = list(sentences)
    paragraph_of = {sid: i // per_paragraph for i, sid in enumerate(order)}
    offset_in_paragraph: dict[str, int] = {}
    contexts: list[str] = []
    for sid in order:
        n = paragraph_of[sid]
        if n == len(contexts):
            contexts.append("")
        elif contexts[n]:
            contexts[n] += " "
        offset_in_paragraph[sid] = len(contexts[n])
        contexts[n] += sentences[sid]
    out, per_sentence = [], {}
    for rec in records:
        sid = rec["sent_id"]
        k = per_sentence.get(sid, 0)
        per_sentence[sid] = k + 1
        tokens = rec["sentence"].split(" ")
        located = [(a, align_answer(tokens, rec["predicate_idx"], a)) for a in rec["answers"]]
        located = [(a, offset_in_paragraph[sid] + s) for a, s in located if s >= 0]
        if not located:
            continue
        n = paragraph_of[sid]
        out.append({"id": f"{sid}-{k}", "title": f"Embedded paragraph {n}", "context": contexts[n],
                    "question": question_text(rec["question"]),
                    "answers": {"text": [a for a, _ in located], "answer_start": [s for _, s in located]}})
    return out
