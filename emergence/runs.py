"""Every run's metrics as plain records: the workspace's files and every DVC experiment's.

A *source* is one place runs are read from: the workspace (files on disk) or one DVC
experiment (its git commit: cache:false metrics and curves are committed there, so
`git show <rev>:<path>` reads any of them). `dvc exp show --json` lists the experiments, with
their names, commits and params. From each source we read the files named by its identity
(emergence.layout names them):

    metrics/eval.json                          -> a run: (size, data, mode, samples, seed, task, tokens)
    metrics/finetune/<run>.json, <run>-loss.csv   its finetuning metrics and loss curve
    metrics/pretrain/<size>-<data>.json, -loss.csv, -val.csv
                                               -> a pretrained model: (size, data, seed, tokens)
    metrics/probe.json                         -> probes of a pretrained model: (size, data, seed, task, tokens)

`tokens` is the source's `pretrain_tokens` param: `preset` for the study, a count on the
budget axis.

Records are deduplicated by identity: the newest experiment wins, the workspace counts only
when no experiment has its identity (it usually equals the last applied one). The baseline
commits themselves are not read: their files are what the workspace held when committed.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from typing import Callable

from emergence import layout
from emergence.errors import CorruptInput, SetupError
from emergence.grid import experiment_id
from emergence.params import ParamsError, parse_tokens

EVAL = layout.EVAL.as_posix()
PROBE = layout.PROBE.as_posix()
WORKSPACE = "workspace"

Reader = Callable[[str], "str | None"]  # path relative to the repo root -> text, or None if absent


def _json(read: Reader, path: str) -> dict | None:
    text = read(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CorruptInput(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def _csv(read: Reader, path: str) -> list[dict[str, float]] | None:
    text = read(path)
    if text is None:
        return None
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def _samples(value):
    return "all" if value in (None, "all") else int(value)


def records_from_source(label: str, rev: str | None, timestamp: str | None, params: dict,
                        read: Reader) -> dict[str, list[dict]]:
    """The run, pretrained model and probe records one source holds (each list empty or one)."""
    where = {"source": label, "rev": rev, "timestamp": timestamp}
    tokens = pretrain_tokens(params)
    out: dict[str, list[dict]] = {"runs": [], "pretrain": [], "probes": []}
    ev = _json(read, EVAL)
    size = (ev or {}).get("size", params.get("model"))
    data = (ev or {}).get("data", params.get("pretrain_data"))
    seed = (ev or {}).get("seed", params.get("seed"))
    if ev is not None:
        mode = ev.get("mode") or ("frozen" if params.get("freeze") else "full")
        samples = _samples(ev.get("samples", params.get("finetune_samples")))
        task = ev.get("task", params.get("task", "qasrl"))
        fin = layout.finetune_paths(size, data, mode == "frozen", samples, task)
        metrics, loss = fin.metrics.as_posix(), fin.loss_curve.as_posix()
        out["runs"].append({
            **where, "size": size, "data": data, "mode": mode, "samples": samples, "seed": seed,
            "task": task, "tokens": tokens, "id": experiment_id(size, data, mode, samples, tokens),
            "eval": ev, "finetune": _json(read, metrics), "finetune_loss": _csv(read, loss),
            "files": [f for f in (EVAL, metrics, loss) if read(f) is not None]})
    if size and data:
        pre_paths = layout.pretrain_paths(size, data)
        metrics, loss, val = (f.as_posix() for f in (pre_paths.metrics, pre_paths.loss_curve, pre_paths.val_curve))
        pre = _json(read, metrics)
        if pre is not None and pre.get("seed", seed) == seed:  # a stale file of another seed is not this run's
            out["pretrain"].append({
                **where, "size": size, "data": data, "seed": pre.get("seed", seed), "tokens": tokens, "metrics": pre,
                "train_curve": _csv(read, loss), "val_curve": _csv(read, val),
                "files": [f for f in (metrics, loss, val) if read(f) is not None]})
    probe = _json(read, PROBE)
    if probe is not None:
        out["probes"].append({**where, "size": probe["size"], "data": probe["data"], "seed": probe.get("seed", seed),
                              "tokens": tokens,
                              "task": probe.get("task", "qasrl"), "metrics": probe, "files": [PROBE]})
    return out


IDENTITY = {
    "runs": ("size", "data", "mode", "samples", "seed", "task", "tokens"),
    "pretrain": ("size", "data", "seed", "tokens"),
    "probes": ("size", "data", "seed", "task", "tokens"),
}


def pretrain_tokens(params: dict) -> int | str:
    """The source's pretraining budget: `preset`, or the token count of the budget axis (params
    from before the axis existed are the preset)."""
    try:
        return parse_tokens(params.get("pretrain_tokens", "preset"))
    except ParamsError:
        return "preset"


def merge(per_source: list[dict[str, list[dict]]]) -> dict[str, list[dict]]:
    """One record per identity: the newest experiment's, else the workspace's."""
    out: dict[str, list[dict]] = {}
    for kind, keys in IDENTITY.items():
        records = [r for src in per_source for r in src[kind]]
        # Experiments newest first, the workspace (no timestamp) last.
        records.sort(key=lambda r: (r["source"] != WORKSPACE, r["timestamp"] or ""), reverse=True)
        chosen: dict[tuple, dict] = {}
        for rec in records:
            chosen.setdefault(tuple(rec[k] for k in keys), rec)
        out[kind] = sorted(chosen.values(), key=lambda r: tuple(str(r[k]) for k in keys))
    return out


def experiments_from_exp_show(shown: list[dict]) -> list[dict]:
    """`dvc exp show --json` (DVC 3) -> [{name, rev, timestamp, params}] of finished experiments.

    Its shape: a list of baselines (the first is the workspace), each
    {"rev", "name", "data": {"params": {"params.yaml": {"data": {...}}}, "metrics": ...},
     "experiments": [{"name", "executor", "revs": [{"rev", "name", "data", "error"}]}] | null}.
    `executor` is null for a finished experiment and {"state": "queued"|"running"|"failed"...}
    otherwise; those, and any rev with an error, hold no results and are skipped. Only an
    experiment's first rev is its result.
    """
    found = []
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            if exp.get("executor") and exp["executor"].get("state") != "success":
                continue
            # revs[0] is the experiment's own commit. DVC lists more only when the experiment's ref
            # sits under another baseline than its parent commit (two `dvc exp run`s at once in two
            # worktrees of one repo share its exec refs): then it walks the parents, which are
            # baseline commits holding whatever metrics were committed, not this experiment's.
            for rev in (exp.get("revs") or [])[:1]:
                data = rev.get("data")
                if rev.get("error") or not data:
                    continue
                params = (data.get("params") or {}).get("params.yaml", {}).get("data") or {}
                found.append({"name": rev.get("name") or exp.get("name") or rev["rev"][:7], "rev": rev["rev"],
                              "timestamp": data.get("timestamp"), "params": params})
    return found


def _git_reader(root: Path, rev: str) -> Reader:
    cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        if path not in cache:
            done = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True)
            cache[path] = done.stdout if done.returncode == 0 else None
        return cache[path]
    return read


def _disk_reader(root: Path) -> Reader:
    def read(path: str) -> str | None:
        file = root / path
        return file.read_text() if file.is_file() else None
    return read


def dvc_experiments(root: Path, all_commits: bool = False) -> list[dict]:
    cmd = ["dvc", "exp", "show", "--json", "--hide-queued", "--hide-failed", "--hide-workspace"]
    cmd += ["--all-commits"] if all_commits else []
    try:
        done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    except FileNotFoundError:
        raise SetupError("dvc: not found on PATH (activate the project's environment, or pass --no-experiments)") from None
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SetupError(f"`{' '.join(cmd)}` failed: {last} (pass --no-experiments to read the workspace only)")
    return experiments_from_exp_show(json.loads(done.stdout or "[]"))


def collect(root: str | Path = ".", experiments: bool = True, all_commits: bool = False) -> dict[str, list[dict]]:
    """Every run, pretrained model and probe: the workspace and (unless experiments=False) every
    DVC experiment of HEAD (of every commit with all_commits). Plain records, deduplicated."""
    root = Path(root)
    params_file = root / "params.yaml"
    import yaml
    params = (yaml.safe_load(params_file.read_text()) or {}) if params_file.is_file() else {}
    per_source = [records_from_source(WORKSPACE, None, None, params, _disk_reader(root))]
    if experiments:
        for exp in dvc_experiments(root, all_commits):
            per_source.append(records_from_source(exp["name"], exp["rev"], exp["timestamp"], exp["params"],
                                                  _git_reader(root, exp["rev"])))
    return merge(per_source)
