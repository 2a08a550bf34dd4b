"""The embedded world's words: name, place and noun tables, the verb frames, and how often
each optional piece of a clause is realised."""

from __future__ import annotations

from dataclasses import dataclass

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
PLACE_TOKENS = tuple((p, tuple(np.split())) for p, np in PLACES)
CONTAINER_TOKENS = tuple((p, tuple(np.split())) for p, np in CONTAINERS)
SEAT_TOKENS = tuple((p, tuple(np.split())) for p, np in SEATS)
NOUN_TOKENS = {k: tuple(tuple(n.split()) for n in v) for k, v in NOUNS.items()}
FIXED_NP_TOKENS = {k: tuple(tuple(n.split()) for n in v) for k, v in FIXED_NPS.items()}
TIME_TOKENS = tuple(tuple(t.split()) for t in TIMES)
MANNER_PHRASE_TOKENS = tuple(tuple(m.split()) for m in MANNER_PHRASES)
PURPOSE_TOKENS = tuple(tuple(p.split()) for p in PURPOSES)
RC_TOKENS = {name: tuple(tuple(t.split()) for t in table)
             for name, table in (("person", PERSON_RCS), ("object", OBJECT_RCS), ("place", PLACE_RCS))}
LEADING_PREPS = frozenset(("at", "on", "in"))      # "at dawn" -> also "dawn"
DETERMINERS = frozenset(("the", "a", "an", "some"))
