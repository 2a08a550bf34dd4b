import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from emergence.cli import main
from emergence.errors import SetupError
from emergence.grid import Experiment
from emergence.report import VERDICT_COLUMNS, build, markdown, write_report
from emergence.runs import (
    collect,
    experiments_from_exp_show,
    merge,
    records_from_source,
)
from emergence.summary import MISSING, NONE, PARTIAL, SCALE, SMOKE, STRONG, t_quantile

ROOT = Path(__file__).resolve().parents[1]
N_LAYER = {"tiny": 4, "small": 8}
PARAMS = {"tiny": 485600, "small": 1860000}
VAL_LOSS = {"tiny": 2.60, "small": 2.45}
FULL = {"tiny": 83.0, "small": 85.0}
FROZEN = {"tiny": 30.0, "small": 45.0}  # G 0.25 (none) and 0.45 (partial), rising: scale-dependent


# --- fixture metrics: the files a finished run leaves, in the current formats ------------------

def run_files(e: Experiment) -> dict[str, str]:
    """metrics/ files of one finished experiment, with made-up but consistent numbers. Pretraining
    data `none` (scratch) leaves no pretrained model and no probe; `wiki+qa` makes frozen ≈ full."""
    jitter = (e.seed - 1) * 0.8
    few = {10: 0.5, 50: 0.7, 100: 0.8, 500: 0.9, "all": 1.0}[e.samples]
    full = FULL[e.size] - (20.0 if e.data == "none" else 0.0)
    base = full if e.mode == "full" else 0.9 * full if e.data == "wiki+qa" else FROZEN[e.size]
    f1 = base * few + jitter + (2.0 if e.data == "wiki+nq" else 0.0)
    run = f"{e.size}-{e.data}-freeze-{str(e.mode == 'frozen').lower()}-{e.samples}"
    pre = f"metrics/pretrain/{e.size}-{e.data}"
    d, n = {"tiny": 80, "small": 128}[e.size], PARAMS[e.size]
    loss = VAL_LOSS[e.size] + 0.01 * e.seed
    trainable = 2 * d + 2 if e.mode == "frozen" else n + 2 * d + 2
    ev = {"f1": round(f1, 3), "exact_match": round(f1 * 0.9, 3), "size": e.size, "data": e.data, "mode": e.mode,
          "samples": e.samples, "seed": e.seed, "task": "qasrl", "trainable_params": trainable,
          "total_params": n + 2 * d + 2, "finetune_seconds": 40.0, "pretrain_seconds": 50.0,
          "pretrain_val_loss": loss, "pretrain_tokens_seen": 1024000,
          "baseline_f1": {"random_span": 17.0 + e.seed * 0.1, "nearest_phrase": 27.1}, "ceiling_f1": 78.0,
          "f1_questions_lo": round(f1 - 2.0, 3), "f1_questions_hi": round(f1 + 2.0, 3), "source": "embedded",
          "f1_by_question_word": {"who": f1 - 3, "what": f1 + 1, "where": f1 + 2},
          "count_by_question_word": {"who": 399, "what": 245, "where": 134},
          "f1_by_verb": {"seen": f1 + 1, "unseen": f1 - 5}, "count_by_verb": {"seen": 900, "unseen": 114},
          "baseline_f1_unseen_verbs": {"question_type": 95.0}}
    if e.mode == "full":
        ev["finetuned_probe_f1"] = round(0.95 * f1, 3)
    ft = {"mode": e.mode, "samples": e.samples, "n_questions": 5123, "trainable_params": trainable, "seed": e.seed}
    budget = 0.0 if e.tokens == "preset" else 3.0 * (e.tokens // 3_000_000)  # a bigger budget, a better probe
    frozen = (0.9 * full if e.data == "wiki+qa" else FROZEN[e.size]) + jitter + (2.0 if e.data == "wiki+nq" else 0.0)
    frozen += budget
    tokens_seen = 1024000 if e.tokens == "preset" else e.tokens
    seen = ["0", "20480", "204800", str(tokens_seen)]
    control = 12.0 + 0.5 * e.seed
    # Seed 0 was probed before the rename and says `selectivity`; the report reads either key.
    gain_key = "selectivity" if e.seed == 0 else "gain_over_random_init"
    probe = {"size": e.size, "data": e.data, "seed": e.seed, "task": "qasrl", "n_layer": N_LAYER[e.size],
             "total_params": n, "probe_params": 2 * d + 2, "frozen_f1": frozen, "random_init_f1": control,
             gain_key: frozen - control,
             "f1_by_layer": {str(i): 10 + (frozen - 10) * i / N_LAYER[e.size] for i in range(N_LAYER[e.size] + 1)},
             "f1_by_tokens_seen": dict(zip(seen, (12.0 + jitter, 18.0, 25.0, frozen))),
             "val_loss_by_tokens_seen": dict(zip(seen, (7.6, 5.0, 3.5, loss))),
             "question_aware_f1": frozen + 20, "question_aware_random_init_f1": control + 5,
             "question_aware_params": 2 * d * d + 4 * d + 2,
             "question_aware_f1_by_tokens_seen": dict(zip(seen, (control + 5, 25.0, 40.0, frozen + 20))),
             "frozen_f1_by_verb": {"seen": frozen + 1, "unseen": frozen - 3},
             "question_aware_f1_by_verb": {"seen": frozen + 21, "unseen": frozen + 10},
             "role_accuracy": 70.0 + budget + jitter, "role_macro_f1": 50.0 + jitter,
             "role_random_init_accuracy": 40.0, "role_random_init_macro_f1": 20.0,
             "role_lexical_accuracy": 45.0, "role_lexical_macro_f1": 25.0,
             "role_majority_accuracy": 18.0, "role_majority_macro_f1": 2.3,
             "role_accuracy_by_layer": {str(i): 45.0 + 25.0 * i / N_LAYER[e.size] for i in range(N_LAYER[e.size] + 1)},
             "role_macro_f1_by_layer": {str(i): 25.0 + 25.0 * i / N_LAYER[e.size] for i in range(N_LAYER[e.size] + 1)},
             "role_accuracy_by_tokens_seen": dict(zip(seen, (40.0, 50.0, 60.0, 70.0 + budget + jitter))),
             "role_probe_params": 13 * (2 * d + 1), "role_n_roles": 13,
             "probe_seconds": 30.0}
    files = {
        "metrics/eval.json": json.dumps(ev),
        f"metrics/finetune/{run}.json": json.dumps(ft),
        f"metrics/finetune/{run}-loss.csv": "step,train_loss\n1,3.0\n2,2.0\n3,1.5\n",
        f"{pre}.json": json.dumps({"size": e.size, "data": e.data, "total_params": n, "val_loss": loss,
                                   "train_loss": loss - 0.02, "val_perplexity": float(np.exp(loss)),
                                   "unigram_val_perplexity": 223.9, "tokens_seen": tokens_seen, "train_seconds": 50.0,
                                   "passes_over_data": round(tokens_seen / 3_400_000, 3), "seed": e.seed}),
        f"{pre}-loss.csv": "step,tokens,train_loss,lr\n5,10240,7.5,0.0003\n250,512000,3.0,0.002\n500,1024000,2.6,0.0003\n",
        f"{pre}-val.csv": "step,tokens,val_loss\n250,512000,3.1\n500,1024000,2.6\n",
        "metrics/probe.json": json.dumps(probe),
    }
    if e.data == "none":
        files = {k: v for k, v in files.items() if not k.startswith(pre) and k != "metrics/probe.json"}
    return files


def fixture_experiments() -> list[Experiment]:
    grid = [Experiment(s, d, m, "all", seed) for seed in (0, 1, 2) for s in ("tiny", "small")
            for d in ("wiki", "wiki+nq") for m in ("full", "frozen")]
    grid += [Experiment("tiny", "wiki+qa", m, "all", seed) for seed in (0, 1, 2) for m in ("full", "frozen")]
    grid += [Experiment(s, "none", "full", "all", seed) for seed in (0, 1, 2) for s in ("tiny", "small")]
    grid += [Experiment("tiny", "wiki", m, "all", 0, tokens) for tokens in (3_000_000, 10_000_000)
             for m in ("full", "frozen")]  # the budget axis, one seed
    return grid + [Experiment("tiny", "wiki", m, n, 0) for n in (10, 100) for m in ("full", "frozen")]


@pytest.fixture(scope="module")
def records():
    sources = [records_from_source(e.name, f"{i:040x}", f"2026-01-01T00:{i:02d}:00", e.params(), run_files(e).get)
               for i, e in enumerate(fixture_experiments())]
    return merge(sources)


# --- collection ---------------------------------------------------------------------------------

def test_records_carry_identity_and_sources(records):
    runs = records["runs"]
    assert len(runs) == 24 + 6 + 6 + 4 + 4 and len(records["pretrain"]) == 12 + 3 + 2
    assert len(records["probes"]) == 12 + 3 + 2
    r = next(r for r in runs if r["source"] == "T-W-Z-100-s0")
    assert (r["id"], r["size"], r["mode"], r["samples"], r["seed"], r["task"]) == ("T-W-Z-100", "tiny", "frozen", 100, 0, "qasrl")
    assert r["files"] == ["metrics/eval.json", "metrics/finetune/tiny-wiki-freeze-true-100.json",
                          "metrics/finetune/tiny-wiki-freeze-true-100-loss.csv"]
    # The probe and pretrained model of (tiny, wiki, seed 0) are in five experiments: the newest one is kept.
    # (The budget axis's models are other identities: tokens is part of it.)
    p = next(p for p in records["pretrain"] if (p["size"], p["data"], p["seed"], p["tokens"]) == ("tiny", "wiki", 0, "preset"))
    assert sorted(p["tokens"] for p in records["pretrain"] if (p["size"], p["data"], p["seed"]) == ("tiny", "wiki", 0)
                  if p["tokens"] != "preset") == [3_000_000, 10_000_000]
    assert p["source"] == "T-W-Z-100-s0" and p["val_curve"][-1] == {"step": 500.0, "tokens": 1024000.0, "val_loss": 2.6}


def test_workspace_counts_once_and_experiments_win():
    e = Experiment("tiny", "wiki", "full", "all", 0)
    ws = records_from_source("workspace", None, None, e.params(), run_files(e).get)
    exp = records_from_source(e.name, "a" * 40, "2026-01-01T00:00:00", e.params(), run_files(e).get)
    merged = merge([ws, exp])
    assert [r["source"] for r in merged["runs"]] == ["T-W-F-ALL-s0"]
    assert [r["source"] for r in merge([ws])["runs"]] == ["workspace"]
    # An eval.json without the new keys (seed, task) takes them from params.
    old = {k: v for k, v in run_files(e).items()}
    old["metrics/eval.json"] = json.dumps({k: v for k, v in json.loads(old["metrics/eval.json"]).items()
                                           if k not in ("seed", "task")})
    (run,) = records_from_source("workspace", None, None, {**e.params(), "seed": 7}, old.get)["runs"]
    assert (run["seed"], run["task"]) == (7, "qasrl")


EXP_SHOW = [  # the shape of `dvc exp show --json` in DVC 3.67 (trimmed), checked in a scratch repo
    {"rev": "workspace", "name": None, "data": {"rev": "workspace", "timestamp": None,
                                                "params": {"params.yaml": {"data": {"model": "tiny"}}}},
     "error": None, "experiments": None},
    {"rev": "8e88ca0725cea411588ad89d8289de50b60b014b", "name": "main", "data": {}, "error": None, "experiments": [
        {"revs": [{"rev": "f7f132078a323753018b3e41b4c986ba5d170d87", "name": "S-W-F-ALL-s0",
                   "data": {"rev": "f7f1", "timestamp": "2026-11-23T16:15:16",
                            "params": {"params.yaml": {"data": {"model": "small", "seed": 0}}},
                            "metrics": {"metrics/eval.json": {"data": {"f1": 11.0}}}},
                   "error": None, "experiments": None},
                  # a parent commit DVC appends when the experiment's ref sits under another baseline
                  {"rev": "2" * 40, "name": "S-W-F-ALL-s0", "data": {"timestamp": "2026-11-23T15:00:00",
                                                                      "params": {"params.yaml": {"data": {"seed": 9}}}},
                   "error": None}], "executor": None, "name": "S-W-F-ALL-s0"},
        {"revs": [{"rev": "79b22c90e98614f2254daa8c0d5be30082fed03e", "name": "T-W-F-ALL-s2",
                   "data": {"timestamp": "2026-11-23T16:15:28", "params": {}, "metrics": {}}, "error": None}],
         "executor": {"state": "queued", "name": "dvc-task"}, "name": "T-W-F-ALL-s2"},
        {"revs": [{"rev": "1" * 40, "name": "T-W-Z-ALL-s1", "data": None, "error": {"msg": "failed"}}],
         "executor": {"state": "failed"}, "name": "T-W-Z-ALL-s1"},
    ]},
]


def test_exp_show_json_gives_finished_experiments_only():
    assert experiments_from_exp_show(EXP_SHOW) == [{
        "name": "S-W-F-ALL-s0", "rev": "f7f132078a323753018b3e41b4c986ba5d170d87",
        "timestamp": "2026-11-23T16:15:16", "params": {"model": "small", "seed": 0}}]


def test_collect_reads_experiment_commits_through_git(tmp_path, monkeypatch):
    """Two experiments as git commits and a stand-in `dvc` printing exp show's JSON for them."""
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    shown = []
    for e in (Experiment("tiny", "wiki", "full", "all", 0), Experiment("tiny", "wiki", "frozen", "all", 0)):
        for path, text in run_files(e).items():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(text)
        subprocess.run(git + ["add", "-A"], cwd=tmp_path, check=True)
        subprocess.run(git + ["commit", "-qm", e.name], cwd=tmp_path, check=True)
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
        shown.append({"revs": [{"rev": sha, "name": e.name, "error": None, "data": {
            "timestamp": f"2026-01-01T00:00:0{len(shown)}", "params": {"params.yaml": {"data": e.params()}}}}],
            "executor": None, "name": e.name})
    (tmp_path / "show.json").write_text(json.dumps([{"rev": "HEAD", "experiments": shown}]))
    fake = tmp_path / "bin" / "dvc"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ncat {tmp_path / "show.json"}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    for path in (tmp_path / "metrics").rglob("*"):  # the workspace: only the frozen run's eval.json
        if path.is_file() and path.name != "eval.json":
            path.unlink()
    rec = collect(tmp_path)
    assert sorted((r["id"], r["source"]) for r in rec["runs"]) == [("T-W-F-ALL", "T-W-F-ALL-s0"),
                                                                    ("T-W-Z-ALL", "T-W-Z-ALL-s0")]
    full = next(r for r in rec["runs"] if r["mode"] == "full")
    assert full["finetune_loss"][-1] == {"step": 3.0, "train_loss": 1.5}  # a CSV read from the commit
    assert [r["source"] for r in collect(tmp_path, experiments=False)["runs"]] == ["workspace"]
    fake.write_text("#!/bin/sh\necho 'ERROR: you are not inside of a DVC repository' >&2\nexit 253\n")
    with pytest.raises(SetupError, match="not inside of a DVC repository.*--no-experiments"):
        collect(tmp_path)


# --- the report -------------------------------------------------------------------------------

SECTIONS = ["Headline", "Positive controls", "Pretraining data", "Few-shot learning curve", "Loss curves",
            "Trainable parameters and training time", "Controls", "Layer-wise probes",
            "Probing across pretraining time", "A question-aware probe", "Role probe", "Verbs QA training never saw",
            "Pretraining budget", "F1 per question word", "Scaling", "Sources"]
PLOTS = ["headline.png", "data.png", "fewshot.png", "pretrain-loss.png", "finetune-loss.png", "layers.png",
         "tokens-seen.png", "roles-layers.png", "budget-tokens.png", "budget-loss.png", "question-words.png",
         "scaling.png", "f1-vs-loss.png"]


def test_report_renders_every_section_and_plot(records, tmp_path):
    out = tmp_path / "metrics" / "report.md"
    (tmp_path / "metrics" / "report").mkdir(parents=True)
    (tmp_path / "metrics" / "report" / "old.png").write_bytes(b"stale")
    report = write_report(records, out)
    md = out.read_text()
    titles = re.findall(r"^## \d+\. (.+)$", md, flags=re.M)
    assert [any(t.startswith(s) for t in titles) for s in SECTIONS] == [True] * len(SECTIONS)
    assert sorted(p.name for p in (tmp_path / "metrics" / "report").iterdir()) == sorted(PLOTS + ["runs.json"])
    # the records the report read, as read: a copy that outlives the experiments
    assert json.loads((tmp_path / "metrics" / "report" / "runs.json").read_text()) == json.loads(json.dumps(records))
    for name in PLOTS:
        assert f"](report/{name})" in md
        assert (tmp_path / "metrics" / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "No " not in md.split("## 16.")[0]  # no section says its runs are missing
    # The headline: both sizes, IDs, t-interval over three seeds, G, the verdict and its rule.
    assert report.verdict.overall == SCALE
    col = {c: i for i, c in enumerate(VERDICT_COLUMNS)}
    rows = {row[0]: row for row in report.headline.rows}
    tiny, small = rows["tiny"], rows["small"]
    assert tiny[col["full F1"]] == "83.0 [81.0, 85.0] (n=3) T-W-F-ALL"  # 83 ± 4.303·0.8/√3
    assert tiny[col["scratch F1 (R)"]] == "63.0 [61.0, 65.0] (n=3) T-R-F-ALL"
    assert tiny[col["frozen F1"]].endswith("T-W-Z-ALL") and tiny[col["lexical (layer 0)"]].startswith("10.0")
    assert tiny[col["floor"]] == "27.1 (nearest_phrase)" and tiny[col["ceiling"]].startswith("78.0")
    assert tiny[col["G_q"]] == f"{65.5 / 70.5:.2f}"  # (ceiling − C)/(full − C) at the mean C = 12.5
    assert (tiny[col["verdict"]], small[col["verdict"]]) == (NONE, PARTIAL)
    assert tiny[col["sources"]] == "T-W-F-ALL-s{0,1,2}, T-R-F-ALL-s{0,1,2}, T-W-Z-ALL-s{0,1,2}, T-W-Z-100-s0"
    assert "**Verdict: scale-dependent**" in md and "full F1 < 20" in md and "Primary endpoint" in md
    # wiki+qa, the positive control: frozen = 0.9 full, so G is strong
    assert "**Verdict on wiki+qa: strong emergence**" in md and "finding about the probe" not in md
    # Gain over random init, read from `selectivity` where seed 0's probe.json predates the rename (n=3).
    assert md.lower().count("selectivity") == 2  # only the sentence that explains the rename
    assert "| tiny-wiki | qasrl | 30.0 [28.0, 32.0] (n=3) | 12.5 [11.3, 13.7] (n=3) | 17.5 [16.8, 18.2] (n=3) | " in md
    assert "descriptive only: 2 sizes" in md
    # The question-aware probe's own control and G, paired by seed: (50 − 17.5)/(83 − 17.5) at the means
    assert "| 0.25 [0.24, 0.26] (n=3) | 50.0 [48.0, 52.0] (n=3) | 17.5 [16.3, 18.7] (n=3) | 0.50 [0.49, 0.50] (n=3) | " \
           "27.1 (nearest_phrase) | 162 / 13,122 |" in md
    assert "| T-W-F-ALL | 84.0 [82.0, 86.0] (n=3) | 78.0 [76.0, 80.0] (n=3) | -6.0 | 95.0 [95.0, 95.0] (n=3) | 114 |" in md
    # the budget axis reads only its own runs (tokens is identity; a sweep may grow the world, so
    # the preset runs are not its baseline); every other section reads the preset runs alone
    assert "| tiny-wiki | 10M | 10,000,000 | 2.94 | 2.600 | 82.2 (n=1) | 38.2 (n=1) | 58.2 (n=1) | 78.2 (n=1) | " in md
    assert "| tiny-wiki | 3M | 3,000,000 | 0.88 |" in md and "| preset |" not in md
    assert "10M" not in md.split("## 10.")[0]  # the study's sections; 10-12 show each budget on its own row
    assert "| tiny-wiki (10M) | qasrl | 82.2 (n=1) | 38.2 (n=1) |" in md
    assert "| tiny-wiki | linear | 3M → 10M | 32.2 (n=1) | 38.2 (n=1) | no interval at one of the two budgets (one seed): no claim |" in md
    # Traceability: every experiment in a sources cell is listed with its commit and files.
    assert "| T-W-Z-100-s0 | " in md and "metrics/probe.json" in md


def test_report_says_what_is_missing_instead_of_failing():
    e = Experiment("tiny", "wiki", "full", "all", 0)
    files = {k: v for k, v in run_files(e).items() if k != "metrics/probe.json"}
    report = build(merge([records_from_source("workspace", None, None, e.params(), files.get)]))
    md = markdown(report, "report", 1)
    assert report.verdict.overall == MISSING and "needs frozen" in md
    for phrase in ("No wiki+nq runs", "No few-shot runs", "No probe runs", "No layer-wise probes",
                   "No checkpoint probes", "the fit needs two sizes", "No frozen runs"):
        assert phrase in md
    empty = build({"runs": [], "pretrain": [], "probes": []})
    assert empty.verdict.overall == MISSING and "No QA-SRL runs" in markdown(empty, "report", 0)
    assert not any(s.plots for s in empty.sections)


def test_report_command_on_workspace_metrics(tmp_path, monkeypatch):
    e = Experiment("tiny", "wiki", "frozen", "all", 0)
    for path, text in run_files(e).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", "--no-experiments"])
    assert result.exit_code == 0, result.output
    assert "Verdict: missing runs" in result.output and "Headline" in result.output
    assert (tmp_path / "metrics" / "report.md").exists() and (tmp_path / "metrics" / "report" / "layers.png").exists()


def test_sources_fold_seeds_of_one_id():
    from emergence.report import compact
    assert compact(["T-W-F-ALL-s0", "T-W-F-ALL-s1", "workspace", "T-W-Z-ALL-s2", "T-W-F-ALL-s1"]) == \
        "T-W-F-ALL-s{0,1}, workspace, T-W-Z-ALL-s2"
    assert compact([]) == "—"


# --- the headline from synthetic records: the study's scenario A at three seeds -------------------

SCENARIO_A = {"tiny": (25, 5), "small": (45, 15), "base": (70, 65), "medium": (75, 73)}  # full, frozen
SPREAD = (-0.25, 0.0, 0.25)  # seed s adds SPREAD[s] to every F1 of that seed


def synthetic_run(size, data, mode, seed, f1, **ev) -> dict:
    from emergence.grid import experiment_id
    rid = experiment_id(size, data, mode, "all")
    return {"source": f"{rid}-s{seed}", "rev": None, "timestamp": None, "size": size, "data": data, "mode": mode,
            "samples": "all", "seed": seed, "task": "qasrl", "tokens": "preset", "id": rid, "finetune": None,
            "finetune_loss": None,
            "files": ["metrics/eval.json"], "eval": {"f1": f1, "source": "hub", "baseline_f1": {"random_span": 3.0},
                                                     **ev}}


def synthetic_records(scenario=SCENARIO_A, data="wiki", **ev) -> dict:
    runs = [synthetic_run(size, data, mode, seed, f1 + SPREAD[seed], **ev)
            for size, pair in scenario.items() for mode, f1 in zip(("full", "frozen"), pair) for seed in range(3)]
    probes = [{"source": f"probe-{size}-{seed}", "rev": None, "timestamp": None, "size": size, "data": data,
               "seed": seed, "task": "qasrl", "tokens": "preset", "files": ["metrics/probe.json"],
               "metrics": {"random_init_f1": 1.0, "frozen_f1": scenario[size][1] + SPREAD[seed],
                           "gain_over_random_init": scenario[size][1] + SPREAD[seed] - 1.0, "f1_by_layer": {"0": 3.0}}}
              for size in scenario for seed in range(3)]
    return {"runs": runs, "pretrain": [], "probes": probes}


def test_headline_shows_g_with_its_interval_and_the_verdict():
    from emergence.summary import estimate
    rec = synthetic_records()
    report = build(rec)
    md = markdown(report, "report", 1)
    col = {c: i for i, c in enumerate(VERDICT_COLUMNS)}
    rows = {row[0]: row for row in report.headline.rows}
    for size, (full, frozen) in SCENARIO_A.items():
        g = [(frozen + d - 1.0) / (full + d - 1.0) for d in SPREAD]  # paired by seed, C = 1
        mean = np.mean(g)
        half = t_quantile(0.95, 2) * np.std(g, ddof=1) / np.sqrt(3)
        assert rows[size][col["G [95%]"]] == f"{mean:.2f} [{mean - half:.2f}, {mean + half:.2f}] (n=3)"
        assert rows[size][col["G [95%]"]] == estimate(g).text(2)
        assert rows[size][col["lexical (layer 0)"]].startswith("3.0") and rows[size][col["floor"]] == "3.0 (random_span)"
    assert [rows[s][col["verdict"]] for s in SCENARIO_A] == [NONE, PARTIAL, STRONG, STRONG]
    assert report.verdict.overall == "strong emergence (threshold at base)"
    assert "**Verdict: strong emergence (threshold at base)**" in md
    assert "| tiny | 25.0 [24.4, 25.6] (n=3) T-W-F-ALL |" in md  # 25 ± 4.303·0.25/√3

    # Base and medium pretrained on the embedded source ran a CPU smoke budget: flagged, not judged.
    for r in rec["runs"]:
        r["eval"]["source"] = "embedded"
    smoke = build(rec)
    rows = {row[0]: row for row in smoke.headline.rows}
    assert [rows[s][col["verdict"]] for s in SCENARIO_A] == [NONE, PARTIAL, SMOKE, SMOKE]
    assert smoke.verdict.overall == SCALE and "base: excluded: smoke budget" in smoke.verdict.reason
    # ... and stay out of the power-law fit, which two full-budget sizes make descriptive only.
    rec["pretrain"] = [{"source": f"pre-{s}", "rev": None, "timestamp": None, "size": s, "data": "wiki", "seed": 0, "tokens": "preset",
                        "metrics": {"val_loss": loss, "total_params": n}, "train_curve": None, "val_curve": None,
                        "files": []} for s, n, loss in (("tiny", 5e5, 2.6), ("small", 2e6, 2.4), ("base", 5e7, 7.0))]
    scaling = next(sec for sec in build(rec).sections if sec.title == "Scaling")
    (row,) = scaling.tables[0].rows
    assert row[4] == "tiny, small" and row[5] == ("descriptive only: 2 sizes with full budgets (a scaling law needs "
                                                  "≥ 3); base left out (smoke budget)")


def test_positive_control_none_is_called_a_finding_about_the_probe():
    rec = synthetic_records()
    qa = synthetic_records({"tiny": (25, 5), "small": (45, 8)}, data="wiki+qa")
    nq = synthetic_records({"tiny": (25, 5.5), "small": (45, 20)}, data="wiki+nq")
    scratch = [synthetic_run(s, "none", "full", seed, 20.0 + SPREAD[seed]) for s in ("tiny", "small") for seed in range(3)]
    for kind in ("runs", "probes"):
        rec[kind] += qa[kind] + nq[kind]
    rec["runs"] += scratch
    md = markdown(build(rec), "report", 1)
    assert "**Verdict on wiki+qa: none**" in md and "This is a finding about the probe" in md
    assert "T-WQ-Z-ALL" in md and "| tiny | 25.0 [24.4, 25.6] (n=3) T-W-F-ALL | 20.0 [19.4, 20.6] (n=3) T-R-F-ALL |" in md
    # wiki+nq: +0.5 at tiny lies inside the intervals, +5 at small clears them
    assert "wiki+nq vs wiki, frozen probe: does not clearly change it at tiny (not separated); raises it at small." in md
    data = md.split("Pretraining data:")[1].split("\n## ")[0]
    assert "none F1" not in data and "R-F-ALL" not in data  # scratch runs are no pretraining condition


def test_a_budget_change_is_claimed_only_where_intervals_separate():
    from emergence.report import budget_change
    from emergence.summary import estimate
    low, high, mid = estimate([10.0, 11.0, 12.0]), estimate([20.0, 21.0, 22.0]), estimate([11.0, 12.0, 13.0])
    assert budget_change(low, high) == "rises (intervals separate)"
    assert budget_change(high, low) == "falls (intervals separate)"
    assert budget_change(low, mid) == "no change beyond the intervals (they overlap)"
    assert budget_change(low, estimate([30.0])).startswith("no interval")
