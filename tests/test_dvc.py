"""dvc.yaml against the code and DVC itself: every stage depends on the code it runs, and a
changed local mirror re-runs the pipeline from download on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, micro_params
from project_imports import code_closure

# The module each stage's command hands its work to (cli.py parses flags and calls it; cli.py and
# backends/ decide only where a stage runs and are not dependencies of its outputs).
ENTRY = {
    "fingerprint": "emergence.data.download",
    "download": "emergence.data.download",
    "tokenize": "emergence.data.tokens",
    "pretrain": "emergence.pretrain",
    "finetune": "emergence.finetune",
    "eval": "emergence.evaluate",
    "probe": "emergence.probe",
}


def test_every_stage_depends_on_all_the_code_it_imports():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert set(stages) == set(ENTRY), "a new stage needs its entry module in ENTRY"
    for name, stage in stages.items():
        code_deps = {d for d in stage["deps"] if d.startswith("emergence/")}
        assert code_deps == code_closure(ENTRY[name]), name


def test_the_import_walk_sees_lazy_imports():
    # probe imports evaluate, which imports scoring: all three must be found, and nothing outside
    closure = code_closure("emergence.probe")
    assert {"emergence/probe.py", "emergence/evaluate.py", "emergence/scoring.py", "emergence/model.py"} <= closure
    assert "emergence/cli.py" not in closure and not any(p.startswith("emergence/backends") for p in closure)


def test_a_package_init_is_a_dependency_when_it_holds_code():
    # generate_world lives in the world package's __init__: download must depend on it
    closure = code_closure("emergence.data.download")
    assert {"emergence/data/world/__init__.py", "emergence/data/world/lexicon.py"} <= closure
    # evaluate imports `from emergence import scoring`: emergence/__init__ holds only the version
    assert "emergence/__init__.py" not in code_closure("emergence.evaluate")


# --- a changed mirror re-runs download, through `dvc repro` ----------------------------------

def _dvc(repo: Path, *args: str) -> str:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run([str(Path(bin_dir) / "dvc"), *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.slow
def test_dvc_repro_reruns_download_when_the_mirror_changes(tmp_path):
    from emergence.data.hub_fixture import write_hub_fixture
    from test_hub import _rewrite_qasrl_sentence

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    mirror = write_hub_fixture(tmp_path / "mirror")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "dvc.yaml", repo / "dvc.yaml")
    shutil.copytree(ROOT / "emergence", repo / "emergence")   # the code deps DVC hashes
    params = micro_params()
    params.update(source="local", local_dir=str(mirror))
    (repo / "params.yaml").write_text(yaml.safe_dump(params))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    _dvc(repo, "init", "-q")
    _dvc(repo, "config", "core.analytics", "false")

    def validation_text() -> str:
        return (repo / "data/raw/qasrl/validation.jsonl").read_text()

    _dvc(repo, "repro", "download")
    assert "Lyon" in validation_text()
    assert "Stage 'download' didn't change" in _dvc(repo, "repro", "download")   # nothing changed: no re-run

    _rewrite_qasrl_sentence(mirror, "Lyon", "Paris")       # the mirror changes in place
    out = _dvc(repo, "repro", "download")
    assert "Running stage 'download'" in out
    assert "Paris" in validation_text() and "Lyon" not in validation_text()
    assert json.loads((repo / "data/source.json").read_text())["files"]

    _rewrite_qasrl_sentence(mirror, "Paris", "Lyon")       # and back: the run cache may restore, correctly
    _dvc(repo, "repro", "download")
    assert "Lyon" in validation_text()
