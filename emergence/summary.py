"""Numbers across runs: mean over seeds with a bootstrap interval, the verdict rule, and the
power-law fit of loss against parameters. Pure functions of plain values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.params import SIZES

N_RESAMPLES = 10_000
LEVEL = 0.95


def bootstrap_interval(values, n_resamples: int = N_RESAMPLES, level: float = LEVEL, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean: resample the values with replacement
    n_resamples times (seeded), take the (1-level)/2 and (1+level)/2 quantiles of the means."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds; lo/hi the 95% bootstrap interval of the mean (None with one value)."""
    mean: float
    lo: float | None
    hi: float | None
    n: int
    sources: tuple[str, ...] = ()

    def text(self, digits: int = 1) -> str:
        if self.lo is None:
            return f"{self.mean:.{digits}f} (n={self.n})"
        return f"{self.mean:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}] (n={self.n})"


def estimate(values, sources=()) -> Estimate | None:
    """Mean and interval of the values (one per seed); None when there are none."""
    values = [float(v) for v in values]
    if not values:
        return None
    mean = float(np.mean(values))
    lo, hi = bootstrap_interval(values) if len(values) > 1 else (None, None)
    return Estimate(mean, lo, hi, len(values), tuple(sources))


# --- the verdict -----------------------------------------------------------------------------

MIN_FULL_F1 = 20.0   # below this the task was not learned even with full finetuning
STRONG_RATIO = 0.8   # frozen / full at or above: strong emergence
NONE_RATIO = 0.5     # below: none
MIN_SELECTIVITY = 5.0  # F1 points the pretrained probe must beat the random-init probe by

STRONG, PARTIAL, NONE, CANNOT, MISSING = ("strong emergence", "partial", "none",
                                          "cannot show emergence (full F1 < 20)", "missing runs")
SCALE, MIXED = "scale-dependent", "mixed"

RULE = f"""\
Per size, from the mean F1 over seeds on wiki pretraining with all QA training questions:
1. without both a full and a frozen run: **{MISSING}**;
2. full F1 < {MIN_FULL_F1:g}: **{CANNOT}** (the model never learned the task, so a frozen probe has nothing to match);
3. where the random-init control ran: selectivity (frozen F1 of the pretrained LM − frozen F1 of the same architecture at random init) < {MIN_SELECTIVITY:g} F1 points: **{NONE}** (the probe, not pretraining, explains the frozen score);
4. otherwise by ratio = frozen F1 / full F1: ratio ≥ {STRONG_RATIO:g} **{STRONG}**; ratio < {NONE_RATIO:g} **{NONE}**; in between **{PARTIAL}**.

Across sizes, over the sizes with a verdict from rule 3 or 4: **{SCALE}** when frozen F1 rises strictly with size (tiny < small < base < medium) and, where there are seeds, each rise clears the intervals (the larger size's lower bound is above the smaller size's upper bound), unless every size is already strong; otherwise the one verdict all sizes share, or **{MIXED}**."""


@dataclass(frozen=True)
class SizeScores:
    full: Estimate | None
    frozen: Estimate | None
    selectivity: Estimate | None = None  # from the probe stage; None when the control did not run


@dataclass(frozen=True)
class Verdict:
    overall: str
    reason: str
    per_size: dict[str, tuple[str, str]]  # size -> (verdict, reason)


def size_verdict(s: SizeScores) -> tuple[str, str]:
    if s.full is None or s.frozen is None:
        return MISSING, "needs " + " and ".join(m for m, e in (("full", s.full), ("frozen", s.frozen)) if e is None)
    if s.full.mean < MIN_FULL_F1:
        return CANNOT, f"full F1 {s.full.mean:.1f} < {MIN_FULL_F1:g}"
    if s.selectivity is not None and s.selectivity.mean < MIN_SELECTIVITY:
        return NONE, f"selectivity {s.selectivity.mean:.1f} < {MIN_SELECTIVITY:g}: a random-init LM probes as well"
    ratio = s.frozen.mean / s.full.mean
    label = STRONG if ratio >= STRONG_RATIO else NONE if ratio < NONE_RATIO else PARTIAL
    return label, f"frozen/full = {s.frozen.mean:.1f}/{s.full.mean:.1f} = {ratio:.2f}"


def rises(estimates: list[Estimate]) -> bool:
    """Strictly increasing means, each step clearing the intervals where both have one."""
    for a, b in zip(estimates, estimates[1:]):
        if not b.mean > a.mean:
            return False
        if a.hi is not None and b.lo is not None and not b.lo > a.hi:
            return False
    return True


def verdict(scores: dict[str, SizeScores]) -> Verdict:
    per_size = {size: size_verdict(scores[size]) for size in SIZES if size in scores}
    judged = [s for s, (label, _) in per_size.items() if label not in (MISSING, CANNOT)]
    if not judged:
        if any(label == CANNOT for label, _ in per_size.values()):
            return Verdict(CANNOT, "no size reaches full F1 ≥ 20", per_size)
        return Verdict(MISSING, "no size has both a full and a frozen run", per_size)
    labels = {per_size[s][0] for s in judged}
    frozen = [scores[s].frozen for s in judged]
    trend = " < ".join(f"{s} {e.mean:.1f}" for s, e in zip(judged, frozen))
    if len(judged) >= 2 and rises(frozen) and labels != {STRONG}:
        return Verdict(SCALE, f"frozen F1 rises with size: {trend}", per_size)
    if len(labels) == 1:
        (label,) = labels
        return Verdict(label, f"the same at every size judged ({', '.join(judged)})", per_size)
    return Verdict(MIXED, "; ".join(f"{s}: {per_size[s][0]}" for s in judged) +
                   " (frozen F1 does not rise clearly with size)", per_size)


# --- scaling -----------------------------------------------------------------------------------

def fit_power_law(n_params, losses) -> tuple[float, float] | None:
    """L = a · N^(−b) by least squares on (log N, log L); None with fewer than two distinct N."""
    n = np.asarray(n_params, dtype=float)
    loss = np.asarray(losses, dtype=float)
    if len(np.unique(n)) < 2:
        return None
    slope, intercept = np.polyfit(np.log(n), np.log(loss), 1)
    return float(np.exp(intercept)), float(-slope)
