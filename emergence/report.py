"""`emergence report`: every run's metrics -> metrics/report.md, PNGs in metrics/report/, and
the same tables as rich tables for the terminal.

Input is the plain records of runs.collect() ({"runs", "pretrain", "probes"}), so everything
here is testable from fixtures. The report is a list of Sections (text, tables, plots); the
markdown and the terminal render the same Tables. Every table row ends with a `sources` cell
naming the runs (DVC experiment names, or `workspace`) its numbers come from; the Sources
section gives each run's commit and the metrics files read from it.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from emergence import layout, plots
from emergence.grid import FEW_SHOT, experiment_id, study_order, token_label
from emergence.params import SIZES
from emergence.summary import (MIN_SCALING_SIZES, NONE, RULE, STRONG_G, Estimate, SizeScores, Verdict, estimate,
                               fit_is_descriptive, fit_power_law, normalised_gain, smoke_budget, verdict)

HEADLINE_TASK = "qasrl"
NONE_CELL = "—"


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass(frozen=True)
class Plot:
    file: str  # file name inside the plot folder
    caption: str
    draw: Callable  # draw(fig) on a fresh matplotlib Figure


@dataclass
class Section:
    title: str
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)


@dataclass
class Report:
    sections: list[Section]
    verdict: Verdict
    headline: Table


# --- grouping ----------------------------------------------------------------------------------

def _key_order(key: tuple) -> tuple:
    return tuple(study_order(v) for v in key)


def group(records, keys: tuple[str, ...], value: Callable[[dict], float | None],
          where: Callable[[dict], bool] = lambda r: True) -> dict[tuple, Estimate]:
    """Estimate of value(record) over seeds, per identity `keys`, in study order."""
    found = defaultdict(list)
    for r in records:
        v = value(r) if where(r) else None
        if v is not None:
            found[tuple(r[k] for k in keys)].append((r["seed"], float(v), r["source"]))
    out = {}
    for key in sorted(found, key=_key_order):
        items = sorted(found[key], key=lambda item: (str(item[0]), item[1:]))
        out[key] = estimate([v for _, v, _ in items], [s for _, _, s in items], [seed for seed, _, _ in items])
    return out


def _cell(est: Estimate | None, suffix: str = "", digits: int = 1) -> str:
    return NONE_CELL if est is None else est.text(digits) + (f" {suffix}" if suffix else "")


def compact(names) -> str:
    """Run names, once each, with the seeds of one ID folded: `T-W-F-ALL-s{0,1,2}`."""
    groups: dict[str, list[str]] = {}  # stem -> its seeds ("" for a name without -s<seed>)
    for name in names:
        match = re.fullmatch(r"(.+)-s(\d+)", name)
        stem, seed = (match.group(1), match.group(2)) if match else (name, "")
        if seed not in groups.setdefault(stem, []):
            groups[stem].append(seed)
    parts = []
    for stem, seeds in groups.items():
        numbered = [s for s in seeds if s]
        parts += [stem] if "" in seeds else []
        parts += [f"{stem}-s{numbered[0]}"] if len(numbered) == 1 else []
        parts += [f"{stem}-s{{{','.join(numbered)}}}"] if len(numbered) > 1 else []
    return ", ".join(parts) or NONE_CELL


def _sources(*ests: Estimate | None) -> str:
    return compact(s for e in ests if e for s in e.sources)


def _label(key: tuple) -> str:
    return " ".join(str(k) for k in key)


def _eval(name: str):
    return lambda r: r["eval"].get(name)


def _probe(name: str):
    return lambda r: r["metrics"].get(name)


def _at_all(r) -> bool:
    return r["samples"] == "all" and r["task"] == HEADLINE_TASK


# --- sections ----------------------------------------------------------------------------------

def data_source(rec, size: str, data: str) -> str | None:
    """Where (size, data)'s pretraining text came from (embedded | hub | local): the pretrain
    record's `source` where it has one, else the eval.json `source` of its runs."""
    for p in rec["pretrain"]:
        if (p["size"], p["data"]) == (size, data) and p["metrics"].get("source"):
            return p["metrics"]["source"]
    for r in rec["runs"]:
        if (r["size"], r["data"]) == (size, data) and r["eval"].get("source"):
            return r["eval"]["source"]
    return None


def strongest_floor(runs, keys: tuple[str, ...]) -> dict[tuple, tuple[str, Estimate]]:
    """Per identity `keys`: the no-learning floor (eval.json baseline_f1) with the highest mean."""
    names = list(dict.fromkeys(n for r in runs for n in r["eval"].get("baseline_f1", {})))
    best: dict[tuple, tuple[str, Estimate]] = {}
    for n in names:
        for key, e in group(runs, keys, lambda r, n=n: r["eval"].get("baseline_f1", {}).get(n)).items():
            if key not in best or e.mean > best[key][1].mean:
                best[key] = (n, e)
    return best


@dataclass
class SizeRows:
    """Everything the verdict table shows for one pretraining-data condition, per size."""
    data: str
    sizes: list[str]
    scores: dict[str, SizeScores]
    verdict: Verdict
    scratch: dict[str, Estimate | None]
    lexical: dict[str, Estimate | None]
    floor: dict[str, tuple[str, Estimate] | None]


def size_rows(rec, data: str) -> SizeRows:
    """Inputs to the verdict (summary.verdict) for one pretraining condition on QA-SRL, all questions."""
    runs = [r for r in rec["runs"] if _at_all(r)]
    f1 = group(runs, ("size", "data", "mode"), _eval("f1"))
    # A floor or ceiling is a property of the questions (and the seed), not of the model: one value
    # per seed, from the full runs (the floor gate's comparison), the ceiling from the frozen runs.
    floors = strongest_floor([r for r in runs if r["mode"] == "full"], ("size", "data"))
    ceiling = {**group([r for r in runs if r["mode"] == "full"], ("size", "data"), _eval("ceiling_f1")),
               **group([r for r in runs if r["mode"] == "frozen"], ("size", "data"), _eval("ceiling_f1"))}
    probes = [p for p in rec["probes"] if p["task"] == HEADLINE_TASK]
    control = group(probes, ("size", "data"), _probe("random_init_f1"))
    lexical = group(probes, ("size", "data"), lambda p: (p["metrics"].get("f1_by_layer") or {}).get("0"))
    sizes = [s for s in SIZES if any(k[:2] == (s, data) for k in list(f1) + list(control))]
    scores = {s: SizeScores(full=f1.get((s, data, "full")), frozen=f1.get((s, data, "frozen")),
                            control=control.get((s, data)),
                            floor=floors[(s, data)][1].mean if (s, data) in floors else None,
                            ceiling=ceiling.get((s, data)), smoke=smoke_budget(s, data_source(rec, s, data)))
              for s in sizes}
    return SizeRows(data, sizes, scores, verdict(scores), {s: f1.get((s, "none", "full")) for s in sizes},
                    {s: lexical.get((s, data)) for s in sizes}, {s: floors.get((s, data)) for s in sizes})


VERDICT_COLUMNS = ["size", "full F1", "scratch F1 (R)", "frozen F1", "control (random init)", "lexical (layer 0)",
                   "ceiling", "floor", "G [95%]", "G_q", "verdict", "why", "sources"]


def verdict_table(t: SizeRows, title: str) -> Table:
    rows = []
    for s in t.sizes:
        sc, result = t.scores[s], t.verdict.per_size[s]
        floor = t.floor[s]
        rows.append([s, _cell(sc.full, experiment_id(s, t.data, "full", "all")),
                     _cell(t.scratch[s], experiment_id(s, "none", "full", "all")),
                     _cell(sc.frozen, experiment_id(s, t.data, "frozen", "all")), _cell(sc.control),
                     _cell(t.lexical[s]), _cell(sc.ceiling), f"{floor[1].mean:.1f} ({floor[0]})" if floor else NONE_CELL,
                     _cell(result.gain, digits=2), _num(result.gain_q, 2), result.label, result.reason,
                     _sources(sc.full, t.scratch[s], sc.frozen, sc.control, sc.ceiling)])
    return Table(VERDICT_COLUMNS, rows, title)


def headline(rec) -> tuple[Section, Verdict, Table]:
    t = size_rows(rec, "wiki")
    v = t.verdict
    table = verdict_table(t, "Headline: QA-SRL F1 on wiki pretraining, all questions "
                             "(mean [95% t-interval over seeds] (seeds))")
    section = Section("Headline: does semantic-role understanding emerge?")
    if not t.sizes:
        section.text.append("No QA-SRL runs on wiki pretraining with all questions were found: "
                            "`emergence grid --sizes tiny,small --queue`, then `dvc queue start -j 1`.")
        return section, v, table
    section.text.append(f"**Verdict: {v.overall}** — {v.reason}.")
    section.text.append("**Primary endpoint:** the normalised gain G = (frozen − C) / (full − C) at each size, with its "
                        "95% Student-t interval over seeds, read by the rule below. Every other number in this report "
                        "is secondary: it explains or checks G, and no claim rests on it alone.")
    section.text.append(
        "**What the intervals cover.** *Over seeds* (every `mean [lo, hi] (n)` cell): a 95% Student-t interval of the "
        "mean over training seeds, mean ± t(n−1)·s/√n. It covers training randomness (initialisation, batch order) on "
        "the fixed validation questions, and there is none with one seed. *Over questions* (the per-run table, "
        "eval.json `f1_questions_lo`/`f1_questions_hi`): a bootstrap over validation questions clustered by sentence, "
        "within one run. It covers which questions were asked, not training randomness. Neither interval includes "
        "the other's uncertainty.")
    section.text.append(
        "F1 is SQuAD-style token F1 ×100 on the QA-SRL validation questions. Full: the pretrained LM finetuned whole; "
        "scratch (R): the same finetuning from random initialisation (pretraining data `none`); frozen: the linear span "
        "probe on the frozen pretrained LM; control C: that probe on the random-init LM (`metrics/probe.json` "
        "random_init_f1); lexical: that probe on the pretrained layer 0 (embeddings, probe.json f1_by_layer) — what "
        "word identity alone gives; ceiling: the best a question-blind head can score (eval.json ceiling_f1) — a reference, "
        "not a bound, since the LM reads the question before the context; G_q: the gain that ceiling would give; "
        "floor: the strongest no-learning baseline (eval.json baseline_f1).")
    section.text.append("**The rule.**\n\n" + RULE)
    section.tables.append(table)
    sizes = t.sizes
    full_runs = [r for r in rec["runs"] if _at_all(r) and r["data"] == "wiki" and r["mode"] == "full"]
    names = list(dict.fromkeys(n for r in full_runs for n in r["eval"].get("baseline_f1", {})))
    floors = {n: group(full_runs, ("size",), lambda r, n=n: r["eval"].get("baseline_f1", {}).get(n)) for n in names}
    if floors:
        section.tables.append(Table(["size"] + names + ["sources"],
                                    [[s] + [_cell(floors[n].get((s,))) for n in names] +
                                     [_sources(*(floors[n].get((s,)) for n in names))] for s in sizes],
                                    "No-learning floors on the same questions (eval.json baseline_f1 of the full runs; "
                                    "the floor column above is the strongest)"))
    sizes = t.sizes
    bars = {"full": [t.scores[s].full for s in sizes], "frozen": [t.scores[s].frozen for s in sizes],
            "random-init frozen": [t.scores[s].control for s in sizes]}
    if any(t.scratch.values()):
        bars["scratch (R)"] = [t.scratch[s] for s in sizes]
    section.plots.append(Plot("headline.png", "Full vs frozen vs random-init F1 per size (wiki, all questions)",
                              functools.partial(plots.grouped_bars, groups=sizes, series=bars, ylabel="F1",
                                                title="QA-SRL F1 (wiki pretraining, all questions)")))
    return section, v, table


def positive_controls_section(rec) -> Section:
    """Checks that the probe can find what is there: (a) the probe on the finetuned LM, (b) the
    verdict when the pretraining text already holds the QA training data."""
    section = Section("Positive controls (secondary)")
    runs = [r for r in rec["runs"] if _at_all(r) and r["mode"] == "full"]
    full = group(runs, ("size", "data"), _eval("f1"))
    probed = group(runs, ("size", "data"), _eval("finetuned_probe_f1"))
    section.text.append("**(a) The probe on the finetuned LM.** The same frozen linear probe trained on the features of "
                        "the fully finetuned LM (eval.json finetuned_probe_f1). The features hold the answer there, so "
                        f"the probe should approach full F1; where it stays below {STRONG_G:g}× full, probe training, "
                        "not the representation, limits the frozen score.")
    if probed:
        rows = []
        for key, e in probed.items():
            f = full.get(key)
            ratio = e.mean / f.mean if f and f.mean > 0 else None
            reading = NONE_CELL if ratio is None else ("the probe reaches full" if ratio >= STRONG_G
                                                       else "probe training is the limit")
            rows.append([key[0], key[1], _cell(f, experiment_id(key[0], key[1], "full", "all")), _cell(e),
                         _num(ratio, 2), reading, _sources(f, e)])
        section.tables.append(Table(["size", "data", "full F1", "probe on finetuned LM", "probe/full", "reading",
                                     "sources"], rows))
    else:
        section.text.append("No probe on a finetuned LM found (eval.json finetuned_probe_f1 on full runs).")
    section.text.append("**(b) Pretraining text that holds the QA data** (`wiki+qa`, IDs `*-WQ-*`): the QA training "
                        "questions, sentences and answers as plain text in the pretraining data. If the frozen probe "
                        "cannot find the answers even here, it would not find them anywhere.")
    t = size_rows(rec, "wiki+qa")
    if not t.sizes:
        section.text.append("No wiki+qa runs found: `emergence grid --data wiki+qa --queue`.")
        return section
    section.text.append(f"**Verdict on wiki+qa: {t.verdict.overall}** — {t.verdict.reason}.")
    if t.verdict.overall == NONE:
        section.text.append("This is a finding about the probe, not about pretraining: even when the pretraining text "
                            "holds the very questions and answers, the linear probe on the frozen LM does not recover "
                            "them, so a 'none' from this probe on wiki says nothing about whether the ability emerged.")
    section.tables.append(verdict_table(t, "wiki+qa pretraining, all questions (the same rule)"))
    return section


def compare(a: Estimate | None, b: Estimate | None) -> str:
    """b against a, stated only when their seed intervals separate."""
    if a is None or b is None:
        return NONE_CELL
    if a.lo is None or b.lo is None:
        return "no interval (one seed)"
    return "higher" if b.lo > a.hi else "lower" if b.hi < a.lo else "not separated"


def data_section(rec) -> Section:
    f1 = group(rec["runs"], ("size", "mode", "data"), _eval("f1"), _at_all)
    conditions = sorted({k[2] for k in f1} - {"none"} | {"wiki"}, key=study_order)
    others = [d for d in conditions if d != "wiki"]
    section = Section("Pretraining data: " + " vs ".join(conditions) if others else "Pretraining data: wiki vs wiki+nq")
    pairs = sorted({k[:2] for k in f1 if k[2] != "none"}, key=_key_order)
    if not any((s, m, "wiki+nq") in f1 for s, m in pairs):
        section.text.append("No wiki+nq runs found: `emergence grid --data wiki+nq --queue`.")
    if not others:
        return section
    rows = []
    for s, m in pairs:
        w = f1.get((s, m, "wiki"))
        cells = [_cell(f1.get((s, m, d)), experiment_id(s, d, m, "all")) for d in conditions]
        deltas = [f"{f1[(s, m, d)].mean - w.mean:+.1f} ({compare(w, f1[(s, m, d)])})" if w and (s, m, d) in f1
                  else NONE_CELL for d in others]
        rows.append([s, m] + cells + deltas + [_sources(w, *(f1.get((s, m, d)) for d in others))])
    section.text.append("Does other text in pretraining change F1? Δ = condition − wiki, with whether the seed intervals "
                        "separate; a change is claimed only where they do. Runs with pretraining data `none` (finetuning "
                        "from random init) are no pretraining condition and are left out.")
    for d in others:
        said = {s: compare(f1.get((s, "frozen", "wiki")), f1.get((s, "frozen", d))) for s, m in pairs if m == "frozen"}
        said = {s: c for s, c in said.items() if c != NONE_CELL}
        if not said:
            continue
        parts = [f"{'raises' if c == 'higher' else 'lowers' if c == 'lower' else 'does not clearly change'} it at "
                 f"{s}{'' if c in ('higher', 'lower') else f' ({c})'}" for s, c in said.items()]
        section.text.append(f"{d} vs wiki, frozen probe: " + "; ".join(parts) + ".")
    section.tables.append(Table(["size", "mode"] + [f"{d} F1" for d in conditions] + [f"Δ {d}" for d in others] +
                                ["sources"], rows))
    groups = [f"{s} {m}" for s, m in pairs]
    section.plots.append(Plot("data.png", "F1 by pretraining data, per size and mode", functools.partial(
        plots.grouped_bars, groups=groups, series={d: [f1.get((s, m, d)) for s, m in pairs] for d in conditions},
        ylabel="F1", title=" vs ".join(conditions) + " (all questions)")))
    return section


def few_shot_section(rec) -> Section:
    f1 = group(rec["runs"], ("size", "data", "mode", "samples"), _eval("f1"), lambda r: r["task"] == HEADLINE_TASK)
    section = Section("Few-shot learning curve")
    curves = defaultdict(dict)
    for (s, d, m, n), e in f1.items():
        curves[(s, d, m)][n] = e
    curves = {k: c for k, c in curves.items() if len(c) > 1}
    if not curves:
        section.text.append("No few-shot runs found (only one sample count per configuration): "
                            "`emergence grid --few-shot tiny --queue`.")
        return section
    counts = sorted({n for c in curves.values() for n in c}, key=study_order)
    rows = [[_label(k)] + [_cell(c.get(n)) for n in counts] + [_sources(*c.values())] for k, c in curves.items()]
    section.text.append("F1 against the number of QA training questions (a seeded nested subset; `all` is every "
                        "training question), per size, data and mode.")
    section.tables.append(Table(["configuration"] + [str(n) for n in counts] + ["sources"], rows))
    n_all = max((r["finetune"] or {}).get("n_questions", 0) for r in rec["runs"]) or 2 * max(
        [n for n in counts if n != "all"] or [FEW_SHOT[-2]])
    xpos = {n: (n_all if n == "all" else n) for n in counts}
    lines = {_label(k): ([xpos[n] for n in sorted(c, key=study_order)], [c[n] for n in sorted(c, key=study_order)])
             for k, c in curves.items()}
    section.plots.append(Plot("fewshot.png", "F1 against QA training questions", functools.partial(
        plots.lines, curves=lines, xlabel="QA training questions", ylabel="F1", title="Few-shot learning curve",
        xscale="log", xticklabels={xpos[n]: str(n) for n in counts})))
    return section


def loss_section(rec) -> Section:
    section = Section("Loss curves")
    pre = [p for p in rec["pretrain"] if p["train_curve"]]
    ft = [r for r in rec["runs"] if r["finetune_loss"]]
    if not pre and not ft:
        section.text.append("No loss curves found (metrics/pretrain/*-loss.csv, metrics/finetune/*-loss.csv).")
        return section
    if pre:
        x = "tokens" if all("tokens" in p["train_curve"][0] for p in pre) else "step"
        train = {f"{p['size']}-{p['data']} s{p['seed']}": ([row[x] for row in p["train_curve"]],
                                                          [row["train_loss"] for row in p["train_curve"]]) for p in pre}
        val = {f"{p['size']}-{p['data']} s{p['seed']}": ([row[x] for row in p["val_curve"]],
                                                        [row["val_loss"] for row in p["val_curve"]])
               for p in pre if p["val_curve"] and x in p["val_curve"][0]}
        section.plots.append(Plot("pretrain-loss.png", "Pretraining loss (lines: train; dashed markers: validation)",
                                  functools.partial(plots.loss_curves, train=train, val=val,
                                                    xlabel="tokens seen" if x == "tokens" else "step",
                                                    title="Pretraining")))
        section.tables.append(Table(
            ["model", "seed", "final train loss", "val loss", "val perplexity", "unigram perplexity", "tokens seen",
             "sources"],
            [[f"{p['size']}-{p['data']}", str(p["seed"]), _num(p["metrics"].get("train_loss"), 4),
              _num(p["metrics"].get("val_loss"), 4), _num(p["metrics"].get("val_perplexity"), 2),
              _num(p["metrics"].get("unigram_val_perplexity"), 2), _num(p["metrics"].get("tokens_seen")), p["source"]]
             for p in sorted(rec["pretrain"], key=lambda p: _key_order((p["size"], p["data"], p["seed"])))],
            "Pretraining (metrics/pretrain/<size>-<data>.json)"))
    if ft:
        curves = {f"{r['id']}-s{r['seed']}": ([row["step"] for row in r["finetune_loss"]],
                                              [row["train_loss"] for row in r["finetune_loss"]]) for r in ft}
        section.plots.append(Plot("finetune-loss.png", "QA finetuning loss per run", functools.partial(
            plots.loss_curves, train=curves, val={}, xlabel="step", title="Span-QA finetuning")))
    return section


def _num(value, digits: int = 0) -> str:
    if value is None:
        return NONE_CELL
    return f"{value:,.{digits}f}" if isinstance(value, float) or digits else f"{value:,}"


def cost_section(rec) -> Section:
    section = Section("Trainable parameters and training time per run")
    if not rec["runs"]:
        section.text.append("No runs found (metrics/eval.json).")
        return section
    pre = {(p["size"], p["data"], p["seed"]): p for p in rec["pretrain"]}
    probes = {(p["size"], p["data"], p["seed"], p["task"]): p for p in rec["probes"]}
    rows = []
    for r in sorted(rec["runs"], key=lambda r: _key_order((r["size"], r["data"], r["mode"], r["samples"], r["seed"]))):
        ev = r["eval"]
        p = pre.get((r["size"], r["data"], r["seed"]))
        pre_s = ev.get("pretrain_seconds", (p or {}).get("metrics", {}).get("train_seconds"))
        probe_s = (probes.get((r["size"], r["data"], r["seed"], r["task"])) or {}).get("metrics", {}).get("probe_seconds")
        srcs = [r["source"]] + ([p["source"]] if p and "pretrain_seconds" not in ev and p["source"] != r["source"] else [])
        lo, hi = ev.get("f1_questions_lo"), ev.get("f1_questions_hi")
        over_questions = f"[{lo:.1f}, {hi:.1f}]" if lo is not None and hi is not None else NONE_CELL
        rows.append([r["id"], str(r["seed"]), r["task"], _num(ev.get("f1"), 1), over_questions,
                     _num(ev.get("exact_match"), 1),
                     _num(ev.get("trainable_params")), _num(ev.get("total_params")), _num(pre_s, 1),
                     _num(ev.get("finetune_seconds", (r.get("finetune") or {}).get("finetune_seconds")), 1), _num(probe_s, 1), ", ".join(srcs)])
    section.text.append("One row per run (experiment ID and seed). F1 95% over questions: the eval stage's bootstrap "
                        "over validation questions clustered by sentence (eval.json f1_questions_lo/hi), the uncertainty "
                        "from which questions were asked within this one run. Frozen runs train only the span head "
                        "(2·d_model + 2 parameters); times are wall-clock seconds on the machine that ran them.")
    section.tables.append(Table(["ID", "seed", "task", "F1", "F1 95% over questions", "EM", "trainable params", "total params", "pretrain s",
                                 "finetune s", "probe s", "sources"], rows))
    return section


def _gain_over_random_init(p) -> float | None:
    """probe.json gain_over_random_init; experiments from before the rename wrote it as `selectivity`."""
    m = p["metrics"]
    return m.get("gain_over_random_init", m.get("selectivity"))


def controls_section(rec) -> Section:
    section = Section("Controls: random-init probe, gain over random init, lexical baseline (secondary)")
    probes = rec["probes"]
    if not probes:
        section.text.append("No probe runs found (metrics/probe.json): the probe stage has not run.")
        return section
    keys = ("size", "data", "task")
    frozen, rand = (group(probes, keys, _probe(n)) for n in ("frozen_f1", "random_init_f1"))
    gain = group(probes, keys, _gain_over_random_init)
    lexical = group(probes, keys, lambda p: (p["metrics"].get("f1_by_layer") or {}).get("0"))
    section.text.append("The same linear probe trained on the frozen LM after pretraining and on the same "
                        "architecture at random initialisation (same seed). Gain over random init = frozen F1 "
                        "(pretrained) − frozen F1 (random init): what pretraining adds beyond what a probe finds in "
                        "random features. (Earlier reports called this selectivity; in the probing literature "
                        "selectivity, after Hewitt & Liang 2019, is a probe's score minus its score on a control task, "
                        "which this is not.) Lexical: the probe on the pretrained layer 0, the token and position "
                        "embeddings, i.e. what word identity alone gives.")
    section.tables.append(Table(["model", "task", "frozen F1 (pretrained)", "frozen F1 (random init)",
                                 "gain over random init", "lexical (layer 0)", "sources"],
                                [[f"{k[0]}-{k[1]}", k[2], _cell(frozen.get(k)), _cell(rand.get(k)), _cell(gain.get(k)),
                                  _cell(lexical.get(k)), _sources(frozen.get(k))] for k in frozen]))
    return section


def _curve_section(rec, title: str, metric: str, xname: str, plot_file: str, text: str, missing: str,
                   xscale: str = "linear", ylabel: str = "frozen-probe F1",
                   keys: tuple[str, ...] = ("size", "data", "task"), label: Callable[[tuple], str] | None = None) -> Section:
    """A per-probe curve (f1_by_layer, f1_by_tokens_seen): mean over seeds at each x."""
    section = Section(title)
    probes = [p for p in rec["probes"] if p["metrics"].get(metric)]
    if not probes:
        section.text.append(missing)
        return section
    xs = sorted({int(x) for p in probes for x in p["metrics"][metric]})
    curves = {}
    for x in xs:
        for key, est in group(probes, keys, lambda r, x=x: r["metrics"][metric].get(str(x))).items():
            curves.setdefault(key, {})[x] = est
    curves = dict(sorted(curves.items(), key=lambda kv: _key_order(kv[0])))
    label = label or _label
    section.text.append(text)
    section.tables.append(Table(["model"] + [f"{xname} {x:,}" for x in xs] + ["sources"],
                                [[label(k)] + [_cell(c.get(x)) for x in xs] + [_sources(*c.values())]
                                 for k, c in curves.items()]))
    nonzero = [x for x in xs if x > 0]
    section.plots.append(Plot(plot_file, title, functools.partial(
        plots.lines, curves={label(k): (list(c), list(c.values())) for k, c in curves.items()},
        xlabel=xname, ylabel=ylabel, title=title, xscale=xscale,
        linthresh=min(nonzero) if nonzero else 1)))
    return section


def layers_section(rec) -> Section:
    return _curve_section(rec, "Layer-wise probes", "f1_by_layer", "layer", "layers.png",
                          "The frozen linear probe on each layer's hidden states (layer 0 = embeddings; the last "
                          "layer is the final hidden state the frozen run uses).",
                          "No layer-wise probes found (metrics/probe.json f1_by_layer): the probe stage has not run.")


def time_section(rec) -> Section:
    return _curve_section(rec, "Probing across pretraining time", "f1_by_tokens_seen", "tokens seen", "tokens-seen.png",
                          "The frozen probe on checkpoints saved at log-spaced steps; 0 tokens = random init.",
                          "No checkpoint probes found (metrics/probe.json f1_by_tokens_seen): the probe stage has not run.",
                          xscale="symlog")


# --- the other ways of asking (issue: question-aware probe, roles, unseen verbs, budget) ------

def _full_f1(rec) -> dict[tuple, Estimate]:
    """Full finetuning's F1 per (size, data, task, tokens), all questions: the G denominators."""
    runs = [r for r in rec["runs"] if r["samples"] == "all" and r["mode"] == "full"]
    return group(runs, ("size", "data", "task", "tokens"), _eval("f1"))


def _model(k: tuple) -> str:
    """(size, data, task, tokens) -> "tiny-wiki", or "tiny-wiki (1M)" off the preset budget."""
    return f"{k[0]}-{k[1]}" + ("" if k[-1] == "preset" else f" ({token_label(k[-1])})")


def _probe_section(rec, title: str, key: str, missing: str) -> tuple[Section, list[dict]]:
    """A section and the probe records that hold `key`; without any, the section says `missing`."""
    section = Section(title)
    probes = [p for p in rec["probes"] if p["metrics"].get(key) is not None]
    if not probes:
        section.text.append(missing)
    return section, probes


def question_aware_section(rec) -> Section:
    section, probes = _probe_section(rec, "A question-aware probe", "question_aware_f1",
                                     "No question-aware probes found (probe.json question_aware_f1): the probe stage "
                                     "has not run with `probe.question_aware: true`.")
    if not probes:
        return section
    keys = ("size", "data", "task", "tokens")
    lin, lin_c, aware, aware_c = (group(probes, keys, _probe(n)) for n in
                                  ("frozen_f1", "random_init_f1", "question_aware_f1", "question_aware_random_init_f1"))
    full = _full_f1(rec)
    # the same questions' strongest no-learning floor, from any run of the same model and budget
    floor = strongest_floor([r for r in rec["runs"] if r["samples"] == "all"], keys)
    params = {tuple(p[k] for k in keys): (p["metrics"]["probe_params"], p["metrics"]["question_aware_params"])
              for p in probes}
    rows = []
    for k in aware:
        g_lin = normalised_gain(full[k], lin[k], lin_c.get(k))[0] if k in full and k in lin else None
        g_aware = normalised_gain(full[k], aware[k], aware_c.get(k))[0] if k in full else None
        rows.append([_model(k), k[2], _cell(full.get(k)), _cell(lin.get(k)), _cell(lin_c.get(k)),
                     _cell(g_lin, digits=2), _cell(aware[k]), _cell(aware_c.get(k)), _cell(g_aware, digits=2),
                     f"{floor[k][1].mean:.1f} ({floor[k][0]})" if k in floor else NONE_CELL,
                     f"{params[k][0]:,} / {params[k][1]:,}", _sources(aware[k], full.get(k))])
    section.text.append(
        "The linear span head scores each context token alone, so it can use the question only through what the "
        "frozen LM already wrote into the context tokens. The question-aware head adds a bilinear term between each "
        "context token's state and the state at `<|sep|>` (which in a causal LM has read the whole question), trained "
        "with the same schedule, seed and learning rate on the same frozen features (probe.json question_aware_*). "
        "Each probe has its own random-init control (the same head on the step-0 snapshot) and its own "
        "G = (probe − its control) / (full − its control), paired by seed. If the question-aware G is far above the "
        "linear one, the roles are in the states and the linear head's limit is reading the question; if both are "
        "low, the states do not hold what the question asks for in a form either head can use. The question-aware "
        "head has ~C times more parameters, so part of any gain can be the head's own capacity: its random-init "
        "control is the check on that. Floor: the strongest no-learning baseline on the same questions "
        "(eval.json baseline_f1); a probe below it shows nothing a rule could not do.")
    section.tables.append(Table(["model", "task", "full F1", "linear F1", "linear control", "G linear",
                                 "question-aware F1", "question-aware control", "G question-aware", "floor",
                                 "parameters (linear / question-aware)", "sources"], rows))
    return section


def roles_section(rec) -> Section:
    section, probes = _probe_section(rec, "Role probe (edge probing)", "role_accuracy",
                                     "No role probes found (probe.json role_accuracy): the probe stage has not run "
                                     "with `probe.roles: true`, or the task has no roles (SQuAD).")
    if not probes:
        return section
    keys = ("size", "data", "task", "tokens")
    cols = [("majority", "role_majority"), ("random init", "role_random_init"), ("lexical (layer 0)", "role_lexical"),
            ("pretrained (last layer)", "role")]
    acc = {name: group(probes, keys, _probe(f"{stem}_accuracy")) for name, stem in cols}
    mf1 = {name: group(probes, keys, _probe(f"{stem}_macro_f1")) for name, stem in cols}
    final = acc["pretrained (last layer)"]
    n_roles = {tuple(p[k] for k in keys): p["metrics"].get("role_n_roles") for p in probes}
    section.text.append(
        "Given the predicate and the argument span the question asks about, a linear classifier on the frozen states "
        "of the sentence alone (no question), mean-pooled over the argument and over the predicate, predicts the "
        "argument's role (Tenney et al. 2019, edge probing). Labels: the embedded world's generator roles (agent, "
        "theme, recipient, time, ...); for real QA-SRL, the question's wh-word and gap slot (subject, object, "
        "prep-object, time, place, ...). Accuracy and macro-F1 (the mean of per-role F1, which a majority guess cannot "
        "inflate) on validation arguments, beside the majority-class baseline, the same probe on the random-init "
        "network and on the pretrained layer 0 (word identity alone). Mean [95% t-interval over seeds].")
    section.tables.append(Table(
        ["model", "task", "roles"] + [f"{name} acc / macro-F1" for name, _ in cols] + ["sources"],
        [[_model(k), k[2], str(n_roles.get(k))] +
         [f"{_cell(acc[name].get(k))} / {_cell(mf1[name].get(k))}" for name, _ in cols] + [_sources(final[k])]
         for k in final]))
    layers = _curve_section(rec, "Role probe by layer", "role_macro_f1_by_layer", "layer", "roles-layers.png",
                            "Role macro-F1 on each layer of the finished model (0 = embeddings).", "", ylabel="role macro-F1",
                            keys=keys, label=_model)
    section.tables += layers.tables
    section.plots += layers.plots
    return section


def unseen_verbs_section(rec) -> Section:
    section = Section("Verbs QA training never saw")
    runs = [r for r in rec["runs"] if _at_all(r) and (r["eval"].get("f1_by_verb") or {}).get("unseen") is not None]
    if not runs:
        section.text.append("No seen/unseen-verb scores found (eval.json f1_by_verb): the validation set has no "
                            "question about a verb QA training lacks (embedded: `embedded.unseen_verbs` is 0).")
        return section
    keys = ("size", "data", "mode", "tokens")
    seen, unseen = (group(runs, keys, lambda r, g=g: r["eval"]["f1_by_verb"].get(g)) for g in ("seen", "unseen"))
    floor = group(runs, keys, lambda r: (r["eval"].get("baseline_f1_unseen_verbs") or {}).get("question_type"))
    count = {tuple(r[k] for k in keys): r["eval"].get("count_by_verb", {}).get("unseen") for r in runs}
    section.text.append(
        "The embedded world keeps `embedded.unseen_verbs` verbs out of every QA training sentence; the stories "
        "(pretraining text) and the validation questions still use them. Every QA score is split by whether QA "
        "training had a question about the verb. A model that learned roles from text should keep its score on "
        "unseen verbs; one finetuned from scratch (R) has never seen them at all. Mean [95% t-interval over seeds]; "
        "eval.json f1_unseen_verbs_lo/hi is the per-run interval over the unseen questions. Floor: the "
        "question-type rule on the same unseen questions.")
    section.tables.append(Table(
        ["ID", "F1 seen verbs", "F1 unseen verbs", "unseen − seen", "floor (unseen)", "unseen questions", "sources"],
        [[experiment_id(*k[:3], "all", k[3]), _cell(seen.get(k)), _cell(unseen[k]),
          f"{unseen[k].mean - seen[k].mean:+.1f}" if k in seen else NONE_CELL, _cell(floor.get(k)),
          str(count.get(k)), _sources(unseen[k])] for k in unseen]))
    probes = [p for p in rec["probes"] if p["metrics"].get("question_aware_f1_by_verb")]
    if probes:
        pk = ("size", "data", "task", "tokens")
        by = {(name, g): group(probes, pk, lambda p, n=name, g=g: (p["metrics"].get(f"{n}_f1_by_verb") or {}).get(g))
              for name in ("frozen", "question_aware") for g in ("seen", "unseen")}
        section.tables.append(Table(
            ["model", "linear probe seen / unseen", "question-aware seen / unseen", "sources"],
            [[_model(k), f"{_cell(by['frozen', 'seen'].get(k))} / {_cell(by['frozen', 'unseen'].get(k))}",
              f"{_cell(by['question_aware', 'seen'].get(k))} / {_cell(by['question_aware', 'unseen'].get(k))}",
              _sources(by["question_aware", "unseen"].get(k))] for k in by["question_aware", "unseen"]],
            "The frozen probes on the same split (probe.json *_f1_by_verb)"))
    return section


def _by_model(est: dict[tuple, Estimate]) -> dict[tuple, list]:
    """(size, data, tokens) keys -> {(size, data): [tokens, ascending]}."""
    out: dict[tuple, list] = {}
    for s, d, t in est:
        out.setdefault((s, d), []).append(t)
    return {k: sorted(v) for k, v in out.items()}


def budget_change(a: Estimate, b: Estimate) -> str:
    """How b (the bigger budget) differs from a, claimed only where the t-intervals separate."""
    if a.lo is None or b.lo is None:
        return "no interval at one of the two budgets (one seed): no claim"
    if b.lo > a.hi:
        return "rises (intervals separate)"
    if a.lo > b.hi:
        return "falls (intervals separate)"
    return "no change beyond the intervals (they overlap)"


def budget_section(rec) -> Section:
    """The budget axis: every probe against tokens seen and against validation loss."""
    section = Section("Pretraining budget")
    # The sweep's runs only: the study's preset runs may read another world (a sweep grows it).
    probes = [p for p in rec["probes"] if p["tokens"] != "preset"]
    swept = {(p["size"], p["data"]) for p in probes}
    if not probes:
        section.text.append("No budget sweep found (experiments with `pretrain_tokens` set): "
                            "`emergence grid --sizes tiny --data wiki --budgets 1M,3M,10M --queue`.")
        return section
    pre = {(p["size"], p["data"], p["tokens"], p["seed"]): p["metrics"] for p in rec["pretrain"]}
    keys = ("size", "data", "tokens")
    metrics = {"linear": "frozen_f1", "question-aware": "question_aware_f1", "role accuracy": "role_accuracy"}
    final = {name: group(probes, keys, _probe(m)) for name, m in metrics.items()}
    full = group([r for r in rec["runs"] if _at_all(r) and r["mode"] == "full" and r["tokens"] != "preset"
                  and (r["size"], r["data"]) in swept], keys, _eval("f1"))
    rows = []
    for k in final["linear"]:
        seeds = [seed for (s, d, t, seed) in pre if (s, d, t) == k]
        m = pre.get((*k, seeds[0])) if seeds else {}
        rows.append([f"{k[0]}-{k[1]}", token_label(k[2]), f"{m.get('tokens_seen', 0):,}", _num(m.get("passes_over_data"), 2),
                     _num(m.get("val_loss"), 3), _cell(full.get(k))] +
                    [_cell(final[name].get(k)) for name in metrics] + [_sources(final["linear"][k], full.get(k))])
    section.text.append(
        "Models pretrained on growing token budgets (`pretrain_tokens`, one cosine schedule per budget, on an embedded "
        "world grown so the largest budget reads its text at most ~3 times: `passes`). Each probe on the finished "
        "model, then on every snapshot of every budget against tokens seen and against the snapshot's validation "
        "loss: if competence follows the loss, the points of all budgets fall on one curve. Mean [95% t-interval "
        "over seeds]; a budget with one seed has no interval.")
    section.tables.append(Table(["model", "budget", "tokens seen", "passes", "val loss", "full F1"] +
                                [f"{name} (final)" for name in metrics] + ["sources"], rows))
    changes = []
    for name, est in final.items():
        for (s, d), budgets in _by_model(est).items():
            for a, b in zip(budgets, budgets[1:]):
                changes.append([f"{s}-{d}", name, f"{token_label(a)} → {token_label(b)}", _cell(est[(s, d, a)]),
                                _cell(est[(s, d, b)]), budget_change(est[(s, d, a)], est[(s, d, b)])])
    section.tables.append(Table(["model", "probe", "budgets", "from", "to", "reading"], changes,
                                "What a bigger budget changed: a change is stated only where the intervals separate"))
    by_tokens, by_loss = {}, {}
    for p in sorted(probes, key=lambda p: (p["tokens"], p["seed"])):
        m = p["metrics"]
        loss = m.get("val_loss_by_tokens_seen") or {}
        for name, key in (("linear", "f1_by_tokens_seen"), ("question-aware", "question_aware_f1_by_tokens_seen"),
                          ("role accuracy", "role_accuracy_by_tokens_seen")):
            curve = m.get(key) or {}
            xs = sorted(curve, key=int)
            label = f"{name}, {token_label(p['tokens'])} s{p['seed']}"
            if xs:
                by_tokens[label] = ([int(x) for x in xs], [curve[x] for x in xs])
            pts = [(loss[x], curve[x]) for x in xs if x in loss]
            if pts:
                by_loss.setdefault(name, []).extend(pts)
    nonzero = [x for xs, _ in by_tokens.values() for x in xs if x > 0]
    section.plots.append(Plot("budget-tokens.png", "Every probe against tokens seen, each budget's snapshots",
                              functools.partial(plots.lines, curves=by_tokens, xlabel="tokens seen",
                                                ylabel="F1 / accuracy", title="Probes across pretraining budgets",
                                                xscale="symlog", linthresh=min(nonzero) if nonzero else 1)))
    section.plots.append(Plot("budget-loss.png", "Every probe against the snapshot's validation loss",
                              functools.partial(plots.series_scatter, series=by_loss, xlabel="validation loss (nats/token)",
                                                ylabel="F1 / accuracy", title="Probes against pretraining loss")))
    return section


def question_word_section(rec) -> Section:
    section = Section("F1 per question word")
    runs = [r for r in rec["runs"] if _at_all(r) and r["eval"].get("f1_by_question_word")]
    if not runs:
        section.text.append("No per-question-word scores found (eval.json f1_by_question_word).")
        return section
    words = sorted({w for r in runs for w in r["eval"]["f1_by_question_word"]})
    counts = {w: max(r["eval"].get("count_by_question_word", {}).get(w, 0) for r in runs) for w in words}
    per = {w: group(runs, ("size", "data", "mode"), lambda r, w=w: r["eval"]["f1_by_question_word"].get(w)) for w in words}
    keys = sorted({k for g in per.values() for k in g}, key=_key_order)
    rows = [[experiment_id(*k, "all")] + [_cell(per[w].get(k)) for w in words] + [_sources(*(per[w].get(k) for w in words))]
            for k in keys]
    section.text.append("QA-SRL validation F1 by the question's first word, all questions; questions per word: " +
                        ", ".join(f"{w} {counts[w]:,}" for w in words) + " (eval.json count_by_question_word).")
    section.tables.append(Table(["ID"] + words + ["sources"], rows))
    section.plots.append(Plot("question-words.png", "F1 per question word and configuration", functools.partial(
        plots.heatmap, rows=[experiment_id(*k, "all") for k in keys], cols=words,
        values=[[(per[w].get(k).mean if per[w].get(k) else None) for w in words] for k in keys],
        title="F1 per question word (mean over seeds)")))
    return section


def scaling_section(rec) -> Section:
    section = Section("Scaling")
    pre = [p for p in rec["pretrain"] if p["metrics"].get("val_loss") and p["metrics"].get("total_params")]
    if not pre:
        section.text.append("No pretrained models found (metrics/pretrain/<size>-<data>.json).")
        return section
    points, fits, rows = {}, {}, []
    for d in sorted({p["data"] for p in pre}, key=study_order):
        smoke = [p for p in pre if p["data"] == d and smoke_budget(p["size"], data_source(rec, p["size"], d))]
        mine = [p for p in pre if p["data"] == d and p not in smoke]
        if smoke:
            points[f"{d} (smoke budget, not fitted)"] = ([p["metrics"]["total_params"] for p in smoke],
                                                         [p["metrics"]["val_loss"] for p in smoke])
        if not mine:
            continue
        n = [p["metrics"]["total_params"] for p in mine]
        loss = [p["metrics"]["val_loss"] for p in mine]
        fit = fit_power_law(n, loss)
        sizes = sorted({p["size"] for p in mine}, key=study_order)
        left_out = sorted({p["size"] for p in smoke}, key=study_order)
        srcs = ", ".join(dict.fromkeys(p["source"] for p in mine))
        descriptive = fit_is_descriptive(len(sizes))
        status = ("no fit" if not fit else f"descriptive only: {len(sizes)} sizes with full budgets (a scaling law "
                  f"needs ≥ {MIN_SCALING_SIZES})" if descriptive else f"fit over {len(sizes)} sizes")
        status += f"; {', '.join(left_out)} left out (smoke budget)" if left_out else ""
        name = f"{d} (descriptive fit)" if fit and descriptive else d
        points[name] = (n, loss)
        if fit:
            fits[name] = fit
            rows.append([d, f"{fit[0]:.4g}", f"{fit[1]:.4g}", str(len(mine)), ", ".join(sizes), status, srcs])
        else:
            rows.append([d, NONE_CELL, NONE_CELL, str(len(mine)), ", ".join(sizes) + " (the fit needs two sizes)",
                         status, srcs])
    section.text.append("Pretraining validation loss L (nats/token, metrics/pretrain/<size>-<data>.json val_loss) "
                        "against parameters N (total_params), fitted as L = a·N^(−b) by least squares on "
                        "(log N, log L), every seed a point. Models pretrained on a CPU smoke budget are plotted but "
                        f"not fitted. With fewer than {MIN_SCALING_SIZES} sizes with full budgets the fit is "
                        "descriptive: a line through two sizes tests no power law.")
    section.tables.append(Table(["data", "a", "b", "points", "sizes", "status", "sources"], rows,
                                "Power-law fit (descriptive where the status says so)"))
    section.plots.append(Plot("scaling.png", "Pretraining validation loss against parameters, with the fit",
                              functools.partial(plots.scaling, points=points, fits=fits)))
    frozen = [r for r in rec["runs"] if _at_all(r) and r["mode"] == "frozen" and r["eval"].get("pretrain_val_loss")]
    if frozen:
        loss = group(frozen, ("size", "data"), _eval("pretrain_val_loss"))
        f1 = group(frozen, ("size", "data"), _eval("f1"))
        section.tables.append(Table(["ID", "pretrain val loss", "frozen F1", "sources"],
                                    [[experiment_id(*k, "frozen", "all"), _cell(loss[k], digits=3), _cell(f1[k]),
                                      _sources(f1[k])] for k in f1], "Frozen F1 against pretraining loss"))
        section.plots.append(Plot("f1-vs-loss.png", "Frozen F1 against pretraining validation loss, one point a run",
                                  functools.partial(plots.scatter, points=[
                                      (r["eval"]["pretrain_val_loss"], r["eval"]["f1"], f"{r['id']}-s{r['seed']}")
                                      for r in frozen], xlabel="pretraining validation loss", ylabel="frozen F1",
                                      title="Frozen F1 against pretraining loss")))
    else:
        section.text.append("No frozen runs with all questions: frozen F1 against loss is missing.")
    return section


def sources_section(rec) -> Section:
    files = defaultdict(list)
    where = {}
    for kind in ("runs", "pretrain", "probes"):
        for r in rec[kind]:
            where[r["source"]] = (r["rev"], r["timestamp"])
            files[r["source"]] += [f for f in r["files"] if f not in files[r["source"]]]
    rows = [[name, (rev or "")[:12] or "working tree", ts or NONE_CELL, ", ".join(files[name])]
            for name, (rev, ts) in sorted(where.items())]
    section = Section("Sources")
    section.text.append("Each run named in a `sources` cell above: a DVC experiment (read a file with "
                        "`git show <commit>:<path>`) or the workspace's files.")
    section.tables.append(Table(["run", "commit", "time", "files read"], rows))
    return section


def build(every: dict[str, list[dict]]) -> Report:
    """All sections from collected records (runs.collect); pure apart from the plots' draw calls.
    The study's sections read the runs pretrained on their preset budget; the question-aware,
    role and unseen-verb sections show every budget, each on its own row."""
    rec = {kind: [r for r in records if r["tokens"] == "preset"] for kind, records in every.items()}
    head, v, table = headline(rec)
    sections = [head, positive_controls_section(rec), data_section(rec), few_shot_section(rec), loss_section(rec),
                cost_section(rec), controls_section(rec), layers_section(rec), time_section(rec),
                question_aware_section(every), roles_section(every), unseen_verbs_section(every),
                budget_section(every),
                question_word_section(rec), scaling_section(rec), sources_section(every)]
    return Report(sections, v, table)


# --- rendering ---------------------------------------------------------------------------------

def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(t: Table) -> str:
    lines = [f"*{t.title}*", ""] if t.title else []
    lines.append("| " + " | ".join(map(_md_cell, t.columns)) + " |")
    lines.append("|" + "|".join(" --- " for _ in t.columns) + "|")
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in t.rows]
    return "\n".join(lines)


def markdown(report: Report, plot_dir: str, n_runs: int) -> str:
    out = ["# Does semantic-role understanding emerge from next-token pretraining?", "",
           f"Written by `emergence report` from {n_runs} sources (DVC experiments and the workspace). Every number names its runs in its row's "
           "`sources` cell (`T-W-F-ALL-s{0,1,2}` stands for T-W-F-ALL-s0, -s1 and -s2); the Sources section "
           "gives each run's commit and metrics files.", ""]
    for i, s in enumerate(report.sections, 1):
        out += [f"## {i}. {s.title}", ""]
        for para in s.text:
            out += [para, ""]
        for t in s.tables:
            out += [markdown_table(t), ""]
        for p in s.plots:
            out += [f"![{p.caption}]({plot_dir}/{p.file})", ""]
    return "\n".join(out)


def rich_table(t: Table):
    from rich.table import Table as RichTable
    from rich.text import Text
    table = RichTable(title=t.title or None)
    for col in t.columns:
        table.add_column(col, overflow="fold")
    for row in t.rows:
        table.add_row(*(Text(cell) for cell in row))  # plain text: "[1.0, 2.0]" is no markup
    return table


def render_plots(report: Report, directory: Path) -> list[Path]:
    """Draw every plot to directory/<file> (atomically); remove PNGs of plots no longer drawn."""
    from matplotlib.figure import Figure

    from emergence.files import atomic_path
    written = []
    for section in report.sections:
        for p in section.plots:
            fig = Figure(figsize=(7, 4.2), layout="constrained")
            p.draw(fig)
            with atomic_path(directory / p.file) as tmp:
                fig.savefig(tmp, format="png", dpi=110)
            written.append(directory / p.file)
    for stale in set(directory.glob("*.png")) - set(written):
        stale.unlink()
    return written


def write_report(rec: dict[str, list[dict]], out: str | Path) -> Report:
    """metrics/report.md and its PNGs in metrics/report/ (the folder named after the file), with
    runs.json beside them: every record the report was built from, each naming its source
    (experiment and commit), so its numbers stay traceable where the experiments are not."""
    from emergence.files import write_json, write_text
    out = Path(out)
    report = build(rec)
    plot_dir = layout.report_dir(out)
    render_plots(report, plot_dir)
    write_json(plot_dir / layout.REPORT_RECORDS, rec)
    n_runs = len({r["source"] for kind in rec.values() for r in kind})
    write_text(out, markdown(report, plot_dir.name, n_runs))
    return report
