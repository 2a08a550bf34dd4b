import numpy as np
import pytest

from emergence.data.qa import QAExample
from emergence.scoring import (
    best_span,
    breakdown,
    exact_match,
    f1,
    first_phrase_baseline,
    nearest_phrase_baseline,
    normalize_answer,
    question_blind_ceiling,
    question_bootstrap,
    question_type_baseline,
    random_span_baseline,
    score,
)

# ---------------------------------------------------------------- SQuAD scorer


def test_normalize_answer_official_order():
    assert normalize_answer("The.  Cat's!") == "cats"
    assert normalize_answer("An apple, a day\tkeeps  THE doctor") == "apple day keeps doctor"
    assert normalize_answer("banana theory") == "banana theory"  # articles only as whole words
    assert normalize_answer("") == ""


def test_exact_match_articles_punctuation_case():
    assert exact_match("The cat", "cat") == 1.0
    assert exact_match("cat.", "cat") == 1.0
    assert exact_match("CAT", "cat") == 1.0
    assert exact_match("cats", "cat") == 0.0


def test_f1_hand_worked_partial_overlap():
    # pred -> "big red dog", gold -> "red dog barked": 2 common, P = R = 2/3, F1 = 2/3.
    assert f1("the big red dog", "red dog barked") == pytest.approx(2 / 3)
    # pred "red dog" vs gold "red dog barked": P = 1, R = 2/3, F1 = 2*(2/3)/(5/3) = 0.8.
    assert f1("red dog", "red dog barked") == pytest.approx(0.8)
    # repeated tokens count through the Counter intersection: common = {"dog": 1}, P = 1/2, R = 1.
    assert f1("dog dog", "dog") == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_f1_no_overlap_and_empty():
    assert f1("blue cat", "red dog") == 0.0
    assert f1("", "red dog") == 0.0
    assert f1("red dog", "") == 0.0
    assert f1("the", "a") == 0.0  # both normalise to empty: official script gives 0 F1 ...
    assert exact_match("the", "a") == 1.0  # ... but 1 EM
    assert f1("The Red dog!", "red dog") == 1.0


def test_score_max_over_golds_missing_prediction_and_scale():
    golds = {"q1": ["blue cat", "red dog barked"], "q2": ["Mary"], "q3": ["John"]}
    preds = {"q1": "red dog", "q2": "mary", "extra": "ignored"}
    out = score(preds, golds)
    assert out["n_questions"] == 3
    assert out["per_question"] == {"q1": (0.0, pytest.approx(0.8)), "q2": (1.0, 1.0), "q3": (0.0, 0.0)}
    assert out["exact_match"] == pytest.approx(100 * 1 / 3)
    assert out["f1"] == pytest.approx(100 * 1.8 / 3)


def test_score_all_correct_is_100_and_empty_gold_rejected():
    out = score({"a": "x"}, {"a": ["x", "y"]})
    assert out["f1"] == 100.0 and out["exact_match"] == 100.0
    with pytest.raises(ValueError):
        score({"a": "x"}, {"a": []})


def test_breakdown_means_counts_sorted_keys():
    per_f1 = {"a": 1.0, "b": 0.5, "c": 0.0, "d": 0.25}
    words = {"a": "who", "b": "what", "c": "who", "d": "how much"}
    out = breakdown(per_f1, words)
    assert list(out) == ["how much", "what", "who"]
    assert out["who"] == {"f1": pytest.approx(50.0), "count": 2}
    assert out["what"] == {"f1": pytest.approx(50.0), "count": 1}
    assert out["how much"] == {"f1": pytest.approx(25.0), "count": 1}
    with pytest.raises(ValueError):
        breakdown({"z": 1.0}, words)


# ---------------------------------------------------------------- best_span

N_QUESTION = 3  # tokens 0..2 are question/separator (offset None)


def window(start, end, n_question=N_QUESTION):
    """Logits for T tokens; tokens after n_question are context at chars [10t, 10t+5)."""
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    offsets = [None if t < n_question else (10 * t, 10 * t + 5) for t in range(len(start))]
    return start, end, offsets


def logits(T, **peaks):
    x = np.zeros(T)
    for k, v in peaks.items():
        x[int(k[1:])] = v
    return x


def test_best_span_picks_max_sum_valid_pair():
    w = window(logits(8, t4=3.0, t5=1.0), logits(8, t5=2.0, t6=2.5))
    assert best_span([w]) == (40, 65, 5.5)


def test_best_span_rejects_end_before_start():
    # start at 6 + end at 4 sums to 10 but is backwards; best valid is start 4 (2) + end 4 (5).
    w = window(logits(8, t6=5.0, t4=2.0), logits(8, t4=5.0))
    assert best_span([w]) == (40, 45, 7.0)


def test_best_span_enforces_max_answer_length():
    w = window(logits(10, t3=5.0, t5=1.0), logits(10, t6=5.0))
    assert best_span([w], max_answer_length=4) == (30, 65, 10.0)  # length 4 allowed
    assert best_span([w], max_answer_length=3) == (50, 65, 6.0)   # 3..6 too long, 5..6 ok


def test_best_span_never_chooses_non_context_tokens():
    w = window(logits(8, t0=9.0, t1=9.0, t4=1.0), logits(8, t2=9.0, t5=1.0))
    assert best_span([w]) == (40, 55, 2.0)


def test_best_span_best_over_windows_second_wins():
    w1 = window(logits(8, t4=1.0), logits(8, t5=1.0))
    w2 = window(logits(8, t3=2.0), logits(8, t3=2.0))
    assert best_span([w1, w2]) == (30, 35, 4.0)
    assert best_span([w2, w1]) == (30, 35, 4.0)


def test_best_span_top_k_limits_candidates():
    # top-1 start is a question token, so with top_k=1 no pair is valid; top_k=2 reaches token 4.
    w = window(logits(8, t1=5.0, t4=1.0), logits(8, t4=1.0))
    assert best_span([w], top_k=1) is None
    assert best_span([w], top_k=2) == (40, 45, 2.0)
    # the best pair (3, 4) needs the 3rd-ranked start: top_k=2 settles for (5, 6).
    w2 = window(logits(8, t5=3.0, t6=2.9, t3=2.8), logits(8, t4=3.0, t6=1.0))
    assert best_span([w2], top_k=2) == (50, 65, 4.0)
    assert best_span([w2], top_k=3) == (30, 45, 5.8)


def test_best_span_none_when_nothing_valid():
    assert best_span([]) is None
    all_question = window(np.ones(4), np.ones(4), n_question=4)
    assert best_span([all_question]) is None
    backwards = window(logits(6, t5=1.0), logits(6, t3=1.0))
    assert best_span([backwards], top_k=1) is None


def test_best_span_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        best_span([(np.zeros(4), np.zeros(5), [None] * 4)])


# ---------------------------------------------------------------- baselines


def ex(id, context, predicate_idx):
    return QAExample(id, "who did something?", context, ("x",), (-1,), predicate_idx, "who")


EXAMPLES = [
    ex("a", "Yesterday , the tired farmer sold his boat to a friend .", 5),
    ex("b", "It rained , and shipped the crates to Oslo .", 4),
    ex("c", "In the morning , Mary left .", 5),
    ex("d", "Go !", 0),
    ex("e", "Mary gave the old lantern to John in the harbor .", 1),
]


def is_token_span(text, context):
    return bool(text) and f" {text} " in f" {context} "


def test_random_span_deterministic_and_valid():
    p1 = random_span_baseline(EXAMPLES, seed=3, max_len=4)
    assert p1 == random_span_baseline(EXAMPLES, seed=3, max_len=4)
    assert p1 == random_span_baseline(list(reversed(EXAMPLES)), seed=3, max_len=4)  # order-free
    seeds = [random_span_baseline(EXAMPLES, seed=s, max_len=4) for s in range(5)]
    assert any(p != p1 for p in seeds)
    for preds in [p1, *seeds]:
        assert set(preds) == {e.id for e in EXAMPLES}
        for e in EXAMPLES:
            assert is_token_span(preds[e.id], e.context)
            assert 1 <= len(preds[e.id].split(" ")) <= 4


def test_random_span_covers_every_span():
    e = ex("z", "a b c d", 1)
    seen = {random_span_baseline([e], seed=s, max_len=2)["z"] for s in range(300)}
    assert seen == {"a", "b", "c", "d", "a b", "b c", "c d"}


def test_nearest_phrase_baseline_hand_made():
    preds = nearest_phrase_baseline(EXAMPLES)
    assert preds["a"] == "the tired farmer"  # tie with "his boat": left side wins
    assert preds["b"] == "the crates"        # right side nearer than "It rained"
    assert preds["c"] == "Mary"
    assert preds["d"] == "Go"                # no phrase at all: the predicate token
    assert preds["e"] == "Mary"
    assert all(is_token_span(preds[e.id], e.context) for e in EXAMPLES)


def test_first_phrase_baseline_hand_made():
    preds = first_phrase_baseline(EXAMPLES)
    assert preds["a"] == "Yesterday"
    assert preds["b"] == "It rained"
    assert preds["c"] == "the morning"  # "In" is a boundary word
    assert preds["d"] == "Go"
    assert preds["e"] == "Mary"


# ---------------------------------------------------------------- question-type floor


def qa(id, question, context, predicate_idx, answer="x"):
    return QAExample(id, question, context, (answer,), (-1,), predicate_idx, question.split()[0])


GIVE = "Mary gave the old lantern to John in the harbor ."  # gave = 1
RELATIVE = "The watchmaker who sold a stew at the bakery returned a list to Gwen at noon ."  # returned = 9
PASSIVE = "The shiny bucket was thrown by the teacher in the evening ."  # thrown = 4
FRONTED = "After Bess visited the forest , Peter slowly pushed a bench to the market ."  # pushed = 8
DATIVE = "Percy gave Alma the roast chicken to help the family ."  # gave = 1
PRICE = "Eric sold the necklace for seven silver coins ."  # sold = 1

RULE_CASES = [
    # subject gap: the wh-word stands for the subject -> the phrase left of the predicate
    ("who gave something to someone?", GIVE, 1, "Mary"),
    ("who returned something to someone?", RELATIVE, 9, "The watchmaker"),  # not "the bakery" (in a PP)
    ("who pushed something somewhere?", FRONTED, 8, "Peter"),
    # object gap -> the phrase right of the predicate; a double object's second one
    ("what did someone give to someone?", GIVE, 1, "the old lantern"),
    ("what did someone return to someone?", RELATIVE, 9, "a list"),
    ("what did someone give someone?", DATIVE, 1, "the roast chicken"),
    # a preposition slot with no second object -> the phrase after that preposition
    ("who did someone give something to?", GIVE, 1, "John"),
    ("who did someone give something to?", DATIVE, 1, "Alma"),  # no "to" phrase: the first object
    ("how much did someone sell something for?", PRICE, 1, "seven silver coins"),
    # passive sentence: the agent is the by-phrase, the theme the subject
    ("who was something thrown by?", PASSIVE, 4, "the teacher"),
    ("who threw something?", PASSIVE, 4, "the teacher"),
    ("what was thrown?", PASSIVE, 4, "The shiny bucket"),
    ("what did someone throw?", PASSIVE, 4, "The shiny bucket"),
    # where / when / how / why with their prepositions and cue words
    ("where did someone give something?", GIVE, 1, "in the harbor"),
    ("where did someone push something?", FRONTED, 8, "to the market"),
    ("when was something thrown?", PASSIVE, 4, "in the evening"),
    ("when did someone return something?", RELATIVE, 9, "at noon"),
    ("when did someone push something?", FRONTED, 8, "After Bess visited the forest"),
    ("how did someone push something?", FRONTED, 8, "slowly"),
    ("why did someone give something?", DATIVE, 1, "to help the family"),
]


@pytest.mark.parametrize("question,context,p,expected", RULE_CASES)
def test_question_type_baseline_hand_made(question, context, p, expected):
    assert context.split(" ")[p] in ("gave", "returned", "thrown", "pushed", "sold")
    assert question_type_baseline([qa("q", question, context, p)]) == {"q": expected}


def test_question_type_baseline_falls_back_and_is_a_token_span():
    examples = [qa(f"q{i}", q, c, p) for i, (q, c, p, _) in enumerate(RULE_CASES)]
    examples.append(qa("free", "Tell me a story", GIVE, 1))  # not a QA-SRL question
    preds = question_type_baseline(examples)
    assert preds["free"] == nearest_phrase_baseline(examples)["free"]
    assert all(is_token_span(preds[e.id], e.context) for e in examples)


def test_question_type_baseline_paragraphs():
    # SQuAD-shaped: no predicate. A QA-SRL-shaped question finds its verb in the paragraph ...
    para = "Mary gave the old lantern to John . Tom sat on the beach at dawn ."
    preds = question_type_baseline([qa("a", "where did someone sit?", para, -1),
                                    qa("b", "who gave something to someone?", para, -1),
                                    qa("c", "when did someone sit?", para, -1)])
    assert preds == {"a": "on the beach", "b": "Mary", "c": "at dawn"}
    # ... a free-form question takes its answer type near the words it shares with the context
    para = "The company was founded by Steve Jobs in 1976 in California . It sold 5000 computers ."
    questions = {"Who founded the company?": "Steve Jobs", "In what year was the company founded?": "in 1976",
                 "Where was the company founded?": "in California", "How many computers did it sell?": "5000"}
    preds = question_type_baseline([qa(q, q, para, -1) for q in questions])
    assert preds == questions


# ---------------------------------------------------------------- question-blind ceiling


def test_question_blind_ceiling_hand_worked():
    # One sentence, two questions. Best single span, by summed F1 (normalised tokens):
    #   "Ann Lee"          1      + 2*1/(2+3) = 1.4
    #   "Ann Lee met"      2*2/(3+2) + 2*2/(3+3) = 0.8 + 0.667 = 1.467
    #   "Ann Lee met Bob"  2*2/(4+2) + 2*3/(4+3) = 2/3 + 6/7 = 32/21 = 1.524   <- the best
    #   "Lee met Bob"      2*1/(3+2) + 1 = 1.4
    # and a second sentence whose one question the span "Cy" answers exactly.
    s1, s2 = "Ann Lee met Bob .", "Cy ran ."
    examples = [QAExample("a", "q", s1, ("Ann Lee",), (0,), 2, "who"),
                QAExample("b", "q", s1, ("Lee met Bob",), (4,), 2, "who"),
                QAExample("c", "q", s2, ("Cy",), (0,), 1, "who")]
    golds = {e.id: list(e.answers) for e in examples}
    preds = question_blind_ceiling(examples)
    assert preds == {"a": "Ann Lee met Bob", "b": "Ann Lee met Bob", "c": "Cy"}
    out = score(preds, golds)
    assert out["f1"] == pytest.approx(100 * (32 / 21 + 1) / 3)
    assert out["exact_match"] == pytest.approx(100 / 3)
    # spans of at most two tokens: "Ann Lee" (1.4) beats "Lee met" (0.5 + 0.8) and "Lee" (2/3 + 1/2)
    short = question_blind_ceiling(examples, max_span_tokens=2)
    assert short["a"] == short["b"] == "Ann Lee"
    assert score(short, golds)["f1"] == pytest.approx(100 * (1.4 + 1) / 3)


def test_question_blind_ceiling_is_the_exhaustive_maximum():
    examples = [qa(f"q{i}", q, c, p, answer=a) for i, (q, c, p, a) in enumerate(RULE_CASES)]
    preds = question_blind_ceiling(examples, max_span_tokens=None)
    for context in {e.context for e in examples}:
        group = [e for e in examples if e.context == context]
        tokens = context.split()
        total = lambda span: sum(f1(span, e.answers[0]) for e in group)
        brute = max(total(" ".join(tokens[a:b])) for a in range(len(tokens)) for b in range(a + 1, len(tokens) + 1))
        assert total(preds[group[0].id]) == pytest.approx(brute)
        assert len({preds[e.id] for e in group}) == 1  # one span per context, whatever the question


# ---------------------------------------------------------------- clustered bootstrap


def test_question_bootstrap_contains_mean_and_is_seeded():
    rng = np.random.default_rng(1)
    per = {f"q{i}": float(v) for i, v in enumerate(rng.random(200))}
    clusters = {q: f"s{i // 4}" for i, q in enumerate(per)}
    lo, hi = question_bootstrap(per, clusters, n_resamples=500, seed=3)
    mean = 100 * sum(per.values()) / len(per)
    assert lo < mean < hi
    assert (lo, hi) == question_bootstrap(per, clusters, n_resamples=500, seed=3)
    assert (lo, hi) != question_bootstrap(per, clusters, n_resamples=500, seed=4)
    wider = question_bootstrap(per, clusters, n_resamples=500, level=0.99, seed=3)
    assert wider[0] <= lo and hi <= wider[1]


def test_question_bootstrap_point_when_all_equal():
    per = {f"q{i}": 0.25 for i in range(30)}
    lo, hi = question_bootstrap(per, {q: str(i % 7) for i, q in enumerate(per)})
    assert lo == pytest.approx(25.0) and hi == pytest.approx(25.0)


def test_question_bootstrap_widens_when_clusters_are_few():
    # The same 80 scores: one cluster per question, or 4 clusters of equal scores.
    per = {f"q{i}": float(i % 2) for i in range(80)}
    many = question_bootstrap(per, {q: q for q in per}, seed=0)
    few = question_bootstrap(per, {q: f"{i % 2}-{i % 4}" for i, q in enumerate(per)}, seed=0)
    assert many[0] < 50 < many[1] and few[0] < 50 < few[1]
    assert few[1] - few[0] > 2 * (many[1] - many[0])


def test_question_bootstrap_rejects_bad_input():
    with pytest.raises(ValueError):
        question_bootstrap({}, {})
    with pytest.raises(ValueError):
        question_bootstrap({"a": 1.0}, {})
    with pytest.raises(ValueError):
        question_bootstrap({"a": 1.0}, {"a": "s"}, level=1.0)


def test_scores_split_by_whether_qa_training_saw_the_verb():
    from emergence.evaluate import score_run, verb_groups
    ex = [QAExample(f"q{i}", "who?", f"Ann met Bo {i} .", ("Ann",), (0,), 1, "who", predicate=verb)
          for i, verb in enumerate(("meet", "meet", "sell", "sell"))]
    verbs = verb_groups(ex, {"meet", "give"})
    assert verbs == {"q0": "seen", "q1": "seen", "q2": "unseen", "q3": "unseen"}
    run = score_run({"q0": "Ann", "q1": "Bo", "q2": "Ann", "q3": "Ann"}, ex, seed=0, verbs=verbs)
    assert run["f1_by_verb"] == {"seen": 50.0, "unseen": 100.0} and run["count_by_verb"] == {"seen": 2, "unseen": 2}
    assert run["f1_unseen_verbs_lo"] == run["f1_unseen_verbs_hi"] == 100.0  # every resample scores 100
    squad = [QAExample("s", "who?", "Ann met Bo .", ("Ann",), (0,), -1, "who")]
    assert verb_groups(squad, {"meet"}) is None and "f1_by_verb" not in score_run({"s": "Ann"}, squad)
