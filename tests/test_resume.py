"""Nothing lost, nothing silently wrong: kill-and-resume, non-finite losses, write failures."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import micro_params
from emergence import params as params_mod
from emergence.cli import main
from emergence.layout import PretrainPaths
from emergence.model import GPT
from emergence.pretrain import pretrain, snapshot_steps

EXE = str(Path(sys.executable).parent / "emergence")
TIMING = {"tokens_per_s", "train_seconds", "peak_rss_mb"}  # measurements of the run, not results


def paths(out: Path, metrics: Path, resume: Path | None = None) -> PretrainPaths:
    """Pretraining paths in a prepared project (the working directory), outputs wherever a test wants them."""
    return PretrainPaths(tokens=Path("data/tokens"), out=out, metrics=metrics, resume=resume)


def prepared(directory: Path, **tiny) -> Path:
    directory.mkdir()
    (directory / "params.yaml").write_text(yaml.safe_dump(micro_params(**tiny)))
    for stage in ("download", "tokenize"):
        subprocess.run([EXE, stage], cwd=directory, check=True, capture_output=True)
    return directory


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_an_uninterrupted_run(tmp_path):
    settings = dict(max_steps=800, d_model=48)
    killed = prepared(tmp_path / "killed", **settings)
    straight = tmp_path / "straight"
    shutil.copytree(killed, straight)
    params = yaml.safe_load((killed / "params.yaml").read_text())
    params["pretrain"]["checkpoint_interval"] = 100
    for d in (killed, straight):
        (d / "params.yaml").write_text(yaml.safe_dump(params))

    latest = killed / ".resume/pretrain/tiny-wiki/latest.json"
    proc = subprocess.Popen([EXE, "pretrain"], cwd=killed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # No deadline (a busy machine may take minutes): wait for the third checkpoint, or the run's end.
    while proc.poll() is None and not (latest.exists() and "step-000000300" in latest.read_text()):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(latest.read_text())["name"]
    assert killed_at == "step-000000300", "the run was killed after its third checkpoint, before the end"
    assert not (killed / "models/pretrain/tiny-wiki/model.safetensors").exists()

    rerun = subprocess.run([EXE, "pretrain"], cwd=killed, capture_output=True, text=True, check=True)
    assert "resumed from step 300" in rerun.stderr
    subprocess.run([EXE, "pretrain"], cwd=straight, check=True, capture_output=True)

    weights = [(d / "models/pretrain/tiny-wiki/model.safetensors").read_bytes() for d in (killed, straight)]
    assert weights[0] == weights[1], "final weights are bitwise identical"
    # The whole DVC-cached output, config.json included, is byte-identical: nothing timing- or
    # host-dependent lives in it, so a reproduction leaves dvc.lock's hash unchanged.
    model_files = [{p.relative_to(d).as_posix(): p.read_bytes() for p in (d / "models").rglob("*") if p.is_file()}
                   for d in (killed, straight)]
    assert model_files[0] == model_files[1]
    a, b = (json.loads((d / "metrics/pretrain/tiny-wiki.json").read_text()) for d in (killed, straight))
    assert {k: v for k, v in a.items() if k not in TIMING} == {k: v for k, v in b.items() if k not in TIMING}
    for name in ("tiny-wiki-loss.csv", "tiny-wiki-val.csv"):
        assert (killed / "metrics/pretrain" / name).read_text() == (straight / "metrics/pretrain" / name).read_text()
    assert not (killed / ".resume/pretrain/tiny-wiki").exists(), "resume state is removed on completion"
    # the snapshots kept before the kill (steps 0..172 of 0, 8, 37, 172, 800) survive it
    snaps = [d / "models/pretrain/tiny-wiki/checkpoints" for d in (killed, straight)]
    names = [sorted(p.name for p in d.iterdir()) for d in snaps]
    assert names[0] == names[1] == [f"step-{s:09d}.safetensors" for s in (0, 8, 37, 172)]
    assert all((snaps[0] / n).read_bytes() == (snaps[1] / n).read_bytes() for n in names[0])


def test_a_stale_resume_checkpoint_from_other_params_is_ignored(tmp_path, monkeypatch):
    d = prepared(tmp_path / "p", max_steps=40)
    monkeypatch.chdir(d)
    p = params_mod.load("params.yaml")
    size = p.sizes["tiny"]
    pp = params_mod.PretrainParams(**{**p.pretrain.__dict__, "checkpoint_interval": 10})
    resume_dir = d / ".resume/x"
    # Interrupt after the first checkpoint by making step 15's loss non-finite ...
    original = GPT.forward
    calls = {"n": 0}

    def poisoned(self, idx, targets=None):
        logits, loss = original(self, idx, targets)
        if self.training:
            calls["n"] += 1
            if calls["n"] >= 15:
                loss = loss * float("nan")
        return logits, loss

    monkeypatch.setattr(GPT, "forward", poisoned)
    with pytest.raises(FloatingPointError, match=r"loss became nan at step \d+"):
        pretrain(paths(d / "out", d / "m.json", resume_dir), "tiny", size, "wiki", pp, 0)
    assert json.loads((resume_dir / "latest.json").read_text())["name"] == "step-000000010"
    assert not (d / "out").exists() and not (d / "m.json").exists(), "nothing half-done is left as output"
    monkeypatch.setattr(GPT, "forward", original)
    # ... a different seed must not pick that checkpoint up.
    metrics = pretrain(paths(d / "out", d / "m.json", resume_dir), "tiny", size, "wiki", pp, 1)
    assert metrics["resumed_from_step"] == 0
    metrics = pretrain(paths(d / "out2", d / "m2.json", d / ".resume/y"), "tiny", size, "wiki", pp, 0)
    assert metrics["resumed_from_step"] == 0


def test_a_failed_write_is_one_line_and_leaves_no_output(tmp_path, monkeypatch):
    d = prepared(tmp_path / "w", max_steps=20)
    monkeypatch.chdir(d)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    result = CliRunner().invoke(main, ["pretrain"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "error" in line]
    assert len(errors) == 1 and "Permission denied" in errors[0]
    leftovers = [p for p in (d / "models").rglob("*") if p.is_file()] if (d / "models").exists() else []
    assert leftovers == []


def test_compile_param_trains_through_the_compiled_module(tmp_path, monkeypatch):
    # Compiling for real takes most of a minute on this CPU; what matters here is the wiring:
    # with pretrain.compile the loop runs the module torch.compile returns, and saves the model.
    import torch

    d = prepared(tmp_path / "c", max_steps=12)
    monkeypatch.chdir(d)
    p = params_mod.load("params.yaml")
    pp = params_mod.PretrainParams(**{**p.pretrain.__dict__, "compile": True})
    compiled = []

    class Recorder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner, self.calls = inner, 0

        def forward(self, *args):
            self.calls += 1
            return self.inner(*args)

    def fake_compile(module):
        compiled.append(Recorder(module))
        return compiled[-1]

    monkeypatch.setattr(torch, "compile", fake_compile)
    pretrain(paths(d / "out", d / "m.json"), "tiny", p.sizes["tiny"], "wiki", pp, 0)
    # 12 training steps, and eval_batches forward passes per validation: one at every snapshot
    # (step 0 included) and at the end, which is itself the last snapshot
    validations = len(snapshot_steps(12, p.pretrain.snapshots))
    assert len(compiled) == 1 and compiled[0].calls == 12 + p.pretrain.eval_batches * validations
    assert (d / "out/model.safetensors").exists()
