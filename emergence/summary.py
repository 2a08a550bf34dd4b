"""Numbers across runs: mean over seeds with a Student-t interval, the verdict rule (version 2),
and the power-law fit of loss against parameters. Pure functions of plain values.

Why a t-interval: with three seeds a percentile bootstrap of the mean can only return means of
resamples of those three values, so its interval lies inside their range, and the range of three
normal draws holds the true mean only 75% of the time (1 − 2·0.5³). The t-interval,
mean ± t(n−1) · s/√n, covers at its nominal level for normal values whatever n ≥ 2 is. It covers
one uncertainty: training randomness (initialisation, batch order, subsets) on fixed
validation questions. Which validation questions were drawn is a second uncertainty, covered by
the eval stage's per-run bootstrap over questions (clustered by sentence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from emergence.params import SIZES

LEVEL = 0.95


# --- the t-interval --------------------------------------------------------------------------

def _t_two_sided(theta: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with integer df, at theta = atan(t/√df): the finite series of
    Abramowitz & Stegun 26.7.3 (df even) and 26.7.4 (df odd), exact up to rounding."""
    s, c = math.sin(theta), math.cos(theta)
    if df % 2 == 0:  # s · (1 + 1/2 c² + 1·3/(2·4) c⁴ + ... up to c^(df−2))
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= (2 * k - 1) / (2 * k) * c * c
            total += term
        return s * total
    if df == 1:
        return 2 * theta / math.pi
    term, total = c, c  # (2/π)(θ + s · (c + 2/3 c³ + 2·4/(3·5) c⁵ + ... up to c^(df−2)))
    for k in range(1, (df - 1) // 2):
        term *= (2 * k) / (2 * k + 1) * c * c
        total += term
    return 2 / math.pi * (theta + s * total)


def t_quantile(level: float, df: int) -> float:
    """The t with P(|T| ≤ t) = level for Student's t with df degrees of freedom (df ≥ 1, an
    integer): the two-sided critical value, e.g. 4.303 for level 0.95 and df 2. Bisection on
    theta = atan(t/√df) in [0, π/2), where the probability is increasing."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, got {df}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    lo, hi = 0.0, math.pi / 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if _t_two_sided(mid, int(df)) < level else (lo, mid)
    return math.sqrt(df) * math.tan((lo + hi) / 2)


def t_interval(values, level: float = LEVEL) -> tuple[float, float] | None:
    """mean ± t(n−1) · s/√n (s the sample standard deviation); None with fewer than two values."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return None
    half = t_quantile(level, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return float(x.mean()) - half, float(x.mean()) + half


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds; lo/hi its 95% t-interval (None with one value). `values` and `seeds`
    keep the per-seed numbers, so quantities of the same seed can be paired."""
    mean: float
    lo: float | None
    hi: float | None
    n: int
    sources: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    seeds: tuple = ()

    def text(self, digits: int = 1) -> str:
        if self.lo is None:
            return f"{self.mean:.{digits}f} (n={self.n})"
        return f"{self.mean:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}] (n={self.n})"

    def by_seed(self) -> dict:
        return dict(zip(self.seeds, self.values)) if len(self.seeds) == len(self.values) else {}


def estimate(values, sources=(), seeds=()) -> Estimate | None:
    """Mean and t-interval of the values (one per seed); None when there are none."""
    values = tuple(float(v) for v in values)
    if not values:
        return None
    ci = t_interval(values)
    lo, hi = ci if ci else (None, None)
    return Estimate(float(np.mean(values)), lo, hi, len(values), tuple(sources), values, tuple(seeds))


def separated(a: Estimate, b: Estimate) -> bool:
    """b above a beyond doubt: b.lo > a.hi where both have intervals, else b.mean > a.mean."""
    if a.hi is not None and b.lo is not None:
        return b.lo > a.hi
    return b.mean > a.mean


# --- the verdict, version 2 ------------------------------------------------------------------

MIN_FULL_F1 = 20.0   # the study's own gate: below this full finetuning did not learn the task
FLOOR_MARGIN = 5.0   # F1 points full's lower bound must clear the strongest no-learning floor by
STRONG_G = 0.8       # G at or above: strong
NONE_G = 0.3         # G below: none; in between: partial
JUMP_G = 0.3         # an adjacent-size step in G this large (intervals separated) is a threshold jump
SMOKE_SIZES = ("base", "medium")  # the sizes whose embedded-source budget is a CPU smoke budget

MISSING = "missing runs"
SMOKE = "excluded: smoke budget"
CANNOT = f"cannot show emergence (full F1 < {MIN_FULL_F1:g})"
CANNOT_FLOOR = "cannot show emergence (full does not beat the floor)"
CANNOT_CONTROL = "cannot show emergence (full does not beat the random-init probe)"
INCONCLUSIVE = "inconclusive"
STRONG, PARTIAL, NONE = "strong emergence", "partial", "none"
SCALE, MIXED = "scale-dependent", "mixed"
GATES = (MISSING, SMOKE, CANNOT, CANNOT_FLOOR, CANNOT_CONTROL)  # sizes no trend is read from


def smoke_budget(size: str, source: str | None) -> bool:
    """Whether a pretrained model of this size had only a CPU smoke budget: the embedded world
    runs params.yaml's batch_size × max_steps, a few steps for base and medium."""
    return source == "embedded" and size in SMOKE_SIZES


RULE = f"""\
Per size, each quantity is a mean over seeds with a {LEVEL:.0%} Student-t interval over seeds: full F1 \
(pretrained LM, full finetuning), frozen F1 (linear span probe on the frozen pretrained LM), the control C (the same \
probe on the same architecture at random initialisation; C = 0 where it did not run), the floor (the strongest \
no-learning baseline on the same questions) and the ceiling (the best a question-blind head can score).
1. without both a full and a frozen run: **{MISSING}**;
2. pretrained on a CPU smoke budget ({', '.join(SMOKE_SIZES)} on the embedded source): **{SMOKE}** (flagged, never in a verdict);
3. full F1 < {MIN_FULL_F1:g}: **{CANNOT}** (the model never learned the task, so a probe has nothing to match);
4. full F1's lower bound not above floor + {FLOOR_MARGIN:g} F1: **{CANNOT_FLOOR}**;
5. the normalised gain G = (frozen − C) / (full − C), per seed where a seed has all three, then its mean and \
t-interval (from the means, without an interval, where no seed pairs). G_q = (ceiling − C) / (full − C) is the gain a \
head could reach without the question. It is a reference, not a bound: the LM reads `question <|sep|> context` left \
to right, so frozen context states may carry the question. The reason says on which side of it frozen F1 lies (its \
lower bound above the ceiling: the frozen states carry the question);
6. bands on G: G ≥ {STRONG_G:g} **{STRONG}**; G < {NONE_G:g} **{NONE}**; in between **{PARTIAL}**; when G's interval \
straddles a band boundary: **{INCONCLUSIVE}**.

Across the sizes judged by rule 6, in order {' < '.join(SIZES)}: a threshold jump is an adjacent step with \
ΔG ≥ {JUMP_G:g} whose intervals separate (the larger size's lower bound above the smaller's upper bound, where both \
have one). At the first jump: if every size from it on is strong, **{STRONG} (threshold at <size>)**; otherwise \
**{SCALE} (jump at <size>)**. Without a jump, when every size is strong: **{STRONG}**. Else a gradual rise (G \
non-decreasing over two or more sizes, the last size's lower bound above the first's upper bound): **{SCALE}**. \
Else the one label all sizes share, or **{MIXED}**. A rise is never called when intervals do not separate."""


@dataclass(frozen=True)
class SizeScores:
    """One size's inputs to the verdict (Estimates over seeds; None where nothing ran)."""
    full: Estimate | None
    frozen: Estimate | None
    control: Estimate | None = None  # random-init probe; None: C = 0
    floor: float | None = None       # strongest no-learning floor (F1); None: no gate
    ceiling: Estimate | None = None  # best question-blind head (a reference); None: no G_q
    smoke: bool = False


@dataclass(frozen=True)
class SizeResult:
    label: str
    reason: str
    gain: Estimate | None = None    # G
    gain_q: float | None = None     # G_q: the gain of the best question-blind head


@dataclass(frozen=True)
class Verdict:
    overall: str
    reason: str
    per_size: dict[str, SizeResult] = field(default_factory=dict)


def normalised_gain(full: Estimate, frozen: Estimate, control: Estimate | None) -> tuple[Estimate | None, str]:
    """G = (frozen − C)/(full − C), paired by seed where a seed has all three (C = 0 without a
    control); from the means, without an interval, where none pairs. None (with the reason)
    where full does not exceed C."""
    f, z = full.by_seed(), frozen.by_seed()
    c = control.by_seed() if control else {s: 0.0 for s in f}
    seeds = [s for s in f if s in z and s in c]
    if seeds:
        if any(f[s] <= c[s] for s in seeds):
            return None, "full ≤ C for a seed"
        g = [(z[s] - c[s]) / (f[s] - c[s]) for s in seeds]
        return estimate(g, seeds=seeds), f"paired over {len(seeds)} seed{'s' * (len(seeds) != 1)}"
    cm = control.mean if control else 0.0
    if full.mean <= cm:
        return None, "full ≤ C"
    g = (frozen.mean - cm) / (full.mean - cm)
    return Estimate(g, None, None, 1), "from the means: no seed has all of full, frozen and control"


def band(g: float) -> str:
    return STRONG if g >= STRONG_G else NONE if g < NONE_G else PARTIAL


def size_verdict(s: SizeScores) -> SizeResult:
    if s.full is None or s.frozen is None:
        return SizeResult(MISSING, "needs " + " and ".join(m for m, e in (("full", s.full), ("frozen", s.frozen))
                                                            if e is None))
    # G is computed for every size with runs, and shown even where a gate stops the verdict, so
    # a reader sees what the instrument measured; only rule 6 turns it into a label.
    gain, how = normalised_gain(s.full, s.frozen, s.control)
    c = s.control.mean if s.control else 0.0
    g_q = (s.ceiling.mean - c) / (s.full.mean - c) if s.ceiling and s.full.mean > c else None
    if s.smoke:
        return SizeResult(SMOKE, "pretrained on the embedded source's CPU smoke budget")  # no G: not a result
    if s.full.mean < MIN_FULL_F1:
        return SizeResult(CANNOT, f"full F1 {s.full.mean:.1f} < {MIN_FULL_F1:g}", gain, g_q)
    full_lo = s.full.lo if s.full.lo is not None else s.full.mean
    if s.floor is not None and not full_lo > s.floor + FLOOR_MARGIN:
        return SizeResult(CANNOT_FLOOR, f"full's lower bound {full_lo:.1f} ≤ floor {s.floor:.1f} + {FLOOR_MARGIN:g}: "
                                        "a rule with no learning does as well, so the task shows nothing the "
                                        "model learned", gain, g_q)
    if gain is None:
        return SizeResult(CANNOT_CONTROL, how)
    g_text = f"G = {gain.text(2)}" + ("" if gain.lo is not None else f" ({how})")
    note = ""
    if s.ceiling is not None:
        frozen_lo = s.frozen.lo if s.frozen.lo is not None else s.frozen.mean
        note = (f"; frozen F1 above the question-blind ceiling {s.ceiling.mean:.1f}: the frozen states carry the question"
                if frozen_lo > s.ceiling.mean else
                f"; frozen F1 within the question-blind ceiling {s.ceiling.mean:.1f} (G_q = {g_q:.2f}): "
                "reachable without reading the question")
    if gain.lo is not None and band(gain.lo) != band(gain.hi):
        edges = " and ".join(f"{b:g}" for b in (NONE_G, STRONG_G) if gain.lo < b <= gain.hi)
        return SizeResult(INCONCLUSIVE, f"{g_text} straddles {edges} ({band(gain.lo)} or {band(gain.hi)}){note}",
                          gain, g_q)
    return SizeResult(band(gain.mean), g_text + note, gain, g_q)


def verdict(scores: dict[str, SizeScores]) -> Verdict:
    per_size = {size: size_verdict(scores[size]) for size in SIZES if size in scores}
    judged = [s for s, r in per_size.items() if r.label not in GATES]
    gated = "; ".join(f"{s}: {r.label}" for s, r in per_size.items() if r.label in GATES)
    aside = f" ({gated})" if gated else ""
    if not judged:
        for label in (CANNOT_FLOOR, CANNOT, CANNOT_CONTROL, SMOKE):
            if any(r.label == label for r in per_size.values()):
                return Verdict(label, f"no size can be judged{aside}", per_size)
        return Verdict(MISSING, "no size has both a full and a frozen run", per_size)
    gains = [per_size[s].gain for s in judged]
    labels = [per_size[s].label for s in judged]
    trend = " → ".join(f"{s} {g.mean:.2f}" for s, g in zip(judged, gains))
    jumps = [i for i in range(1, len(judged))
             if gains[i].mean - gains[i - 1].mean >= JUMP_G and separated(gains[i - 1], gains[i])]
    if jumps:
        first = judged[jumps[0]]
        if all(label == STRONG for label in labels[jumps[0]:]):
            return Verdict(f"{STRONG} (threshold at {first})", f"G jumps to strong at {first}: {trend}{aside}",
                           per_size)
        at = ", ".join(judged[i] for i in jumps)
        return Verdict(f"{SCALE} (jump at {at})", f"G jumps by ≥ {JUMP_G:g} at {at}: {trend}{aside}", per_size)
    if set(labels) == {STRONG}:
        return Verdict(STRONG, f"strong at every size judged ({', '.join(judged)}){aside}", per_size)
    rising = all(b.mean >= a.mean for a, b in zip(gains, gains[1:]))
    if len(judged) >= 2 and rising and separated(gains[0], gains[-1]):
        return Verdict(SCALE, f"G rises with size, {judged[-1]} clear of {judged[0]}: {trend}{aside}", per_size)
    if len(set(labels)) == 1:
        return Verdict(labels[0], f"the same at every size judged ({', '.join(judged)}): {trend}{aside}", per_size)
    return Verdict(MIXED, "; ".join(f"{s}: {label}" for s, label in zip(judged, labels)) +
                   f" (G does not rise clearly with size: {trend}){aside}", per_size)


# --- scaling -----------------------------------------------------------------------------------

MIN_SCALING_SIZES = 3  # below this many sizes with full pretraining budgets a fit is descriptive only


def fit_power_law(n_params, losses) -> tuple[float, float] | None:
    """L = a · N^(−b) by least squares on (log N, log L); None with fewer than two distinct N."""
    n = np.asarray(n_params, dtype=float)
    loss = np.asarray(losses, dtype=float)
    if len(np.unique(n)) < 2:
        return None
    slope, intercept = np.polyfit(np.log(n), np.log(loss), 1)
    return float(np.exp(intercept)), float(-slope)


def fit_is_descriptive(n_sizes: int) -> bool:
    """A line through fewer than MIN_SCALING_SIZES sizes describes them; it tests no power law."""
    return n_sizes < MIN_SCALING_SIZES
