"""The report's figures. Each function draws on a fresh matplotlib Figure from plain data;
report.py decides what to draw and writes the PNGs. matplotlib is imported by the caller
(report.render_plots), through the object-oriented API only: no pyplot, no global backend."""

from __future__ import annotations

import numpy as np


def _errors(estimates):
    """Asymmetric error bars from Estimates (zero where there is no interval)."""
    lo = [e.mean - e.lo if e.lo is not None else 0.0 for e in estimates]
    hi = [e.hi - e.mean if e.hi is not None else 0.0 for e in estimates]
    return np.array([lo, hi])


def grouped_bars(fig, groups: list[str], series: dict[str, list], ylabel: str, title: str) -> None:
    """Bars per group (x) and series (colour); series values are Estimates or None."""
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        idx = [j for j, v in enumerate(values) if v is not None]
        ests = [values[j] for j in idx]
        ax.bar(x[idx] + (i - (len(series) - 1) / 2) * width, [e.mean for e in ests], width, label=name,
               yerr=_errors(ests), capsize=3)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def lines(fig, curves: dict[str, tuple[list, list]], xlabel: str, ylabel: str, title: str,
          xscale: str = "linear", xticklabels: dict | None = None, linthresh: float | None = None) -> None:
    """One line per curve: name -> (x values, Estimates or floats)."""
    ax = fig.subplots()
    for name, (xs, ys) in curves.items():
        if ys and hasattr(ys[0], "mean"):
            ax.errorbar(xs, [e.mean for e in ys], yerr=_errors(ys), marker="o", capsize=3, label=name)
        else:
            ax.plot(xs, ys, label=name, linewidth=1)
    if xscale == "symlog":
        ax.set_xscale("symlog", linthresh=linthresh or 1)
    else:
        ax.set_xscale(xscale)
    if xticklabels:
        ax.set_xticks(list(xticklabels), list(xticklabels.values()))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="x-small", ncol=2 if len(curves) > 6 else 1)


def loss_curves(fig, train: dict[str, tuple[list, list]], val: dict[str, tuple[list, list]], xlabel: str, title: str) -> None:
    """Training loss as thin lines, validation loss as markers of the same colour."""
    ax = fig.subplots()
    for name, (xs, ys) in train.items():
        (line,) = ax.plot(xs, ys, linewidth=1, label=name)
        if name in val:
            ax.plot(*val[name], "o--", color=line.get_color(), markersize=4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(title)
    ax.legend(fontsize="x-small", ncol=2 if len(train) > 6 else 1)


def heatmap(fig, rows: list[str], cols: list[str], values: list[list[float | None]], title: str) -> None:
    ax = fig.subplots()
    grid = np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)
    image = ax.imshow(grid, aspect="auto", vmin=0, vmax=100, cmap="viridis")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows, fontsize="small")
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v is not None:
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize="x-small",
                        color="white" if v < 60 else "black")
    fig.colorbar(image, ax=ax, label="F1")
    ax.set_title(title)


def scaling(fig, points: dict[str, tuple[list, list]], fits: dict[str, tuple[float, float]]) -> None:
    """Validation loss against parameters, log-log, with L = a·N^(−b) per data condition."""
    ax = fig.subplots()
    for name, (n, loss) in points.items():
        (dots,) = ax.plot(n, loss, "o", label=name)
        if name in fits:
            a, b = fits[name]
            grid = np.geomspace(min(n) / 1.5, max(n) * 1.5, 50)
            ax.plot(grid, a * grid ** (-b), "-", color=dots.get_color(), label=f"{name}: L = {a:.3g}·N^(−{b:.3g})")
    from matplotlib.ticker import FuncFormatter
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("parameters N")
    ax.set_ylabel("pretraining validation loss L")
    ax.set_title("Scaling of the pretraining loss")
    ax.legend(fontsize="small")


def scatter(fig, points: list[tuple[float, float, str]], xlabel: str, ylabel: str, title: str) -> None:
    ax = fig.subplots()
    for x, y, label in points:
        ax.plot(x, y, "o", color="tab:blue")
        ax.annotate(label, (x, y), fontsize="x-small", xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def series_scatter(fig, series: dict[str, list[tuple[float, float]]], xlabel: str, ylabel: str, title: str) -> None:
    """One colour per series of (x, y) points."""
    ax = fig.subplots()
    for name, points in series.items():
        ax.plot([x for x, _ in points], [y for _, y in points], "o", label=name, alpha=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
