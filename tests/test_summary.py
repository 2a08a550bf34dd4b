"""The verdict rule (version 2), the t-interval and the power-law fit: pure functions, exact values."""

import itertools
import math

import numpy as np
import pytest

from emergence.summary import (CANNOT, CANNOT_FLOOR, INCONCLUSIVE, MISSING, MIXED, NONE, PARTIAL, RULE,
                               SCALE, SMOKE, STRONG, Estimate, SizeScores, estimate, fit_is_descriptive,
                               fit_power_law, normalised_gain, size_verdict, smoke_budget, t_interval, t_quantile,
                               verdict)

SIZES = ("tiny", "small", "base", "medium")


def seeds(mean: float, half: float = 0.5) -> Estimate:
    """Three seeds' values whose 95% t-interval is exactly mean ± half."""
    d = half * math.sqrt(3) / t_quantile(0.95, 2)
    return estimate([mean - d, mean, mean + d], seeds=(0, 1, 2))


def per_seed(*values) -> Estimate:
    return estimate(values, seeds=range(len(values)))


# --- the t-interval ----------------------------------------------------------------------------

def test_t_quantile_matches_closed_forms_and_tables():
    assert t_quantile(0.95, 1) == pytest.approx(math.tan(0.475 * math.pi), rel=1e-12)  # Cauchy
    assert t_quantile(0.95, 2) == pytest.approx(math.sqrt(2) * 0.95 / math.sqrt(1 - 0.95 ** 2), rel=1e-12)
    # df 4: P(|T| ≤ t) = s(1 + c²/2) with s, c = sin, cos of atan(t/2); solved at 0.95
    t4 = t_quantile(0.95, 4)
    theta = math.atan(t4 / 2)
    assert math.sin(theta) * (1 + math.cos(theta) ** 2 / 2) == pytest.approx(0.95, abs=1e-12)
    for df, table in ((3, 3.182446), (9, 2.262157), (30, 2.042272), (100, 1.983972)):
        assert t_quantile(0.95, df) == pytest.approx(table, abs=1e-6)
    assert t_quantile(0.99, 2) == pytest.approx(9.924843, abs=1e-6)
    with pytest.raises(ValueError):
        t_quantile(0.95, 0)


def test_estimate_is_mean_and_t_interval_over_seeds():
    e = estimate([1.0, 2.0, 3.0], ["a-s0", "a-s1", "a-s2"], [0, 1, 2])
    half = t_quantile(0.95, 2) / math.sqrt(3)  # s = 1
    assert (e.mean, e.n) == (2.0, 3)
    assert (e.lo, e.hi) == pytest.approx((2.0 - half, 2.0 + half), rel=1e-12)
    assert e.by_seed() == {0: 1.0, 1: 2.0, 2: 3.0}
    assert e.text() == "2.0 [-0.5, 4.5] (n=3)"
    one = estimate([42.0], ["T-W-F-ALL-s0"])
    assert (one.mean, one.lo, one.hi, one.n) == (42.0, None, None, 1) and one.text() == "42.0 (n=1)"
    assert t_interval([42.0]) is None and estimate([]) is None
    assert (seeds(25.0).lo, seeds(25.0).hi) == pytest.approx((24.5, 25.5), rel=1e-12)


def test_t_interval_covers_the_true_mean_at_its_level_and_the_percentile_bootstrap_does_not():
    """2,000 draws of 3 normal values (seeded): the t-interval holds the true mean 93–97% of the
    time; the percentile bootstrap of the mean (computed exactly, over all 27 resamples of three
    values) holds it at most 75% of the time, the chance that the mean lies inside the sample's range."""
    rng = np.random.default_rng(12)
    draws = rng.normal(50.0, 3.0, size=(2000, 3))
    covered = [lo <= 50.0 <= hi for lo, hi in map(t_interval, draws)]
    assert 0.93 <= np.mean(covered) <= 0.97
    resamples = np.array(list(itertools.product(range(3), repeat=3)))  # 27 equally likely index triples
    means = draws[:, resamples].mean(axis=2)  # (2000, 27)
    lo, hi = np.quantile(means, [0.025, 0.975], axis=1)
    boot = np.mean((lo <= 50.0) & (50.0 <= hi))
    assert boot < 0.80 and boot < np.mean(covered) - 0.15


# --- the verdict: the study's three scenarios --------------------------------------------------

SCENARIOS = {  # size: (full F1, frozen F1)
    "A": {"tiny": (25, 5), "small": (45, 15), "base": (70, 65), "medium": (75, 73)},
    "B": {"tiny": (25, 5), "small": (45, 8), "base": (70, 12), "medium": (75, 15)},
    "C": {"tiny": (25, 5), "small": (45, 20), "base": (70, 40), "medium": (75, 55)},
}


def scenario(name: str, make=seeds, **extra) -> dict[str, SizeScores]:
    return {s: SizeScores(make(full), make(frozen), **extra) for s, (full, frozen) in SCENARIOS[name].items()}


@pytest.mark.parametrize("make", [seeds, lambda m: Estimate(m, m - 0.5, m + 0.5, 3)],
                         ids=["paired-seeds", "means-only"])
def test_the_study_scenarios_get_their_own_labels(make):
    a, b, c = (verdict(scenario(n, make)) for n in "ABC")
    assert a.overall == f"{STRONG} (threshold at base)"
    assert [a.per_size[s].label for s in SIZES] == [NONE, PARTIAL, STRONG, STRONG]
    assert b.overall == NONE
    assert c.overall == SCALE
    assert [c.per_size[s].label for s in SIZES] == [NONE, PARTIAL, PARTIAL, PARTIAL]
    assert [c.per_size[s].gain.mean for s in SIZES] == pytest.approx([5 / 25, 20 / 45, 40 / 70, 55 / 75], abs=1e-4)


def test_gain_is_paired_by_seed_against_the_control():
    full, frozen, control = per_seed(60, 70, 80), per_seed(35, 40, 45), per_seed(10, 10, 20)
    g, how = normalised_gain(full, frozen, control)
    assert g.values == pytest.approx((0.5, 0.5, 25 / 60)) and g.mean == pytest.approx((1 + 25 / 60) / 3)
    assert g.lo is not None and how == "paired over 3 seeds"
    lonely = estimate([10.0], seeds=[7])  # the control ran for another seed: G from the means, no interval
    g, how = normalised_gain(full, frozen, lonely)
    assert (g.mean, g.lo, g.hi) == (0.5, None, None) and how.startswith("from the means")
    g, _ = normalised_gain(full, frozen, None)  # C = 0
    assert g.values == pytest.approx((35 / 60, 40 / 70, 45 / 80))


# --- the gates -----------------------------------------------------------------------------------

def test_gates_in_order():
    assert size_verdict(SizeScores(None, seeds(30))).label == MISSING
    assert size_verdict(SizeScores(seeds(80), None)).reason == "needs frozen"
    assert size_verdict(SizeScores(seeds(80), seeds(70), smoke=True)).label == SMOKE
    assert size_verdict(SizeScores(seeds(15), seeds(14), smoke=True)).label == SMOKE  # smoke before anything else
    assert size_verdict(SizeScores(seeds(19.9), seeds(19))).label == CANNOT == "cannot show emergence (full F1 < 20)"


def test_floor_gate_needs_full_lower_bound_above_floor_plus_margin():
    # full 30 ± 0.5: lower bound 29.5
    assert size_verdict(SizeScores(seeds(30), seeds(20), floor=24.5)).label == CANNOT_FLOOR  # 29.5 ≤ 29.5
    assert size_verdict(SizeScores(seeds(30), seeds(20), floor=24.4)).label != CANNOT_FLOOR
    assert "floor 24.5 + 5" in size_verdict(SizeScores(seeds(30), seeds(20), floor=24.5)).reason


def test_the_question_blind_ceiling_is_a_reference_not_a_gate():
    """The causal LM reads the question before the context, so a frozen probe may pass the
    ceiling; the reason says on which side frozen F1 lies."""
    below = size_verdict(SizeScores(per_seed(70, 70, 70), per_seed(14, 14, 14), ceiling=per_seed(20, 20, 20)))
    assert below.label == NONE and below.gain_q == pytest.approx(20 / 70)
    assert "within the question-blind ceiling 20.0" in below.reason and "without reading the question" in below.reason
    above = size_verdict(SizeScores(per_seed(70, 70, 70), per_seed(63, 63, 63), ceiling=per_seed(30, 30, 30)))
    assert above.label == STRONG and "the frozen states carry the question" in above.reason
    # an interval reaching below the ceiling is not "above" it
    straddle = size_verdict(SizeScores(per_seed(70, 70, 70), per_seed(25, 30, 35), ceiling=per_seed(28, 28, 28)))
    assert "within the question-blind ceiling" in straddle.reason


def test_an_interval_straddling_a_band_boundary_is_inconclusive():
    # G per seed 0.7, 0.8, 0.9: mean 0.8, interval 0.8 ± 4.303·0.1/√3 = [0.552, 1.048]
    r = size_verdict(SizeScores(per_seed(100, 100, 100), per_seed(70, 80, 90)))
    assert r.label == INCONCLUSIVE and "straddles 0.8" in r.reason and "(partial or strong" in r.reason
    assert (r.gain.lo, r.gain.hi) == pytest.approx((0.8 - t_quantile(0.95, 2) * 0.1 / math.sqrt(3),
                                                    0.8 + t_quantile(0.95, 2) * 0.1 / math.sqrt(3)))


def test_smoke_sizes_are_excluded_and_flagged():
    assert smoke_budget("base", "embedded") and smoke_budget("medium", "embedded")
    assert not smoke_budget("tiny", "embedded") and not smoke_budget("base", "hub") and not smoke_budget("base", None)
    scores = scenario("A")
    for s in ("base", "medium"):
        scores[s] = SizeScores(scores[s].full, scores[s].frozen, smoke=True)
    v = verdict(scores)
    assert v.per_size["base"].label == SMOKE and v.per_size["base"].gain is None
    assert v.overall == SCALE  # tiny none (0.20) → small partial (0.33), clear of each other; base never counts
    assert "base: excluded: smoke budget" in v.reason


# --- across sizes --------------------------------------------------------------------------------

def test_a_rise_is_never_called_when_intervals_do_not_separate():
    wide = {"tiny": SizeScores(per_seed(100, 100, 100), per_seed(25, 45, 65)),   # G 0.45 ± 0.50
            "small": SizeScores(per_seed(100, 100, 100), per_seed(85, 85, 85))}  # G 0.85, no spread
    v = verdict(wide)
    assert [v.per_size[s].label for s in ("tiny", "small")] == [INCONCLUSIVE, STRONG]
    assert v.overall == MIXED
    one_seed = {"tiny": SizeScores(per_seed(100), per_seed(45)), "small": SizeScores(per_seed(100), per_seed(85))}
    assert verdict(one_seed).overall == f"{STRONG} (threshold at small)"  # no intervals: the means decide


def test_a_jump_not_followed_by_strong_sizes_is_scale_dependent():
    scores = {"tiny": SizeScores(seeds(50), seeds(5)), "small": SizeScores(seeds(50), seeds(30)),
              "base": SizeScores(seeds(50), seeds(35))}
    assert verdict(scores).overall == f"{SCALE} (jump at small)"  # G 0.1 → 0.6 → 0.7
    scores["base"] = SizeScores(seeds(50), seeds(45))
    assert verdict(scores).overall == f"{SCALE} (jump at small, base)"  # 0.1 → 0.6 → 0.9: small is not strong


def test_overall_without_a_judged_size():
    assert verdict({}).overall == MISSING
    assert verdict({"tiny": SizeScores(seeds(80), None)}).overall == MISSING
    assert verdict({"tiny": SizeScores(seeds(10), seeds(5))}).overall == CANNOT
    v = verdict({"tiny": SizeScores(seeds(10), seeds(5)), "small": SizeScores(seeds(80), seeds(70))})
    assert v.overall == STRONG and v.per_size["tiny"].label == CANNOT  # a size under 20 is left out


def test_rule_text_states_its_constants():
    for text in ("full F1 < 20", "floor + 5 F1", "G ≥ 0.8", "G < 0.3", "ΔG ≥ 0.3", "t-interval", "G_q = (ceiling − C)",
                 "base, medium on the embedded source"):
        assert text in RULE


# --- scaling -------------------------------------------------------------------------------------

def test_power_law_fit_recovers_its_exponent_and_is_descriptive_below_three_sizes():
    n = np.array([5e5, 2e6, 5e7, 1e8])
    a, b = fit_power_law(n, 12.0 * n ** -0.076)
    assert a == pytest.approx(12.0) and b == pytest.approx(0.076)
    assert fit_power_law([5e5, 5e5], [2.6, 2.7]) is None
    assert fit_is_descriptive(2) and not fit_is_descriptive(3)


def test_a_gated_size_still_shows_what_the_instrument_measured():
    r = size_verdict(SizeScores(per_seed(80, 80, 80), per_seed(40, 40, 40), control=per_seed(20, 20, 20), floor=90.0))
    assert r.label == CANNOT_FLOOR and "a rule with no learning does as well" in r.reason
    assert r.gain.mean == pytest.approx((40 - 20) / (80 - 20))
