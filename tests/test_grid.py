import shlex
from pathlib import Path

from click.testing import CliRunner

from emergence.cli import main
from emergence.grid import Experiment, budget_grid, experiment_id, few_shot_grid, queue_command, study_grid, token_label

ROOT = Path(__file__).resolve().parents[1]

# The original study's 18 experiment IDs, written out by hand.
STUDY_18 = """
T-W-F-ALL T-W-Z-ALL T-WN-F-ALL T-WN-Z-ALL
S-W-F-ALL S-W-Z-ALL S-WN-F-ALL S-WN-Z-ALL
B-W-F-ALL B-W-Z-ALL B-WN-F-ALL B-WN-Z-ALL
M-W-F-ALL M-W-Z-ALL M-WN-F-ALL M-WN-Z-ALL
B-WN-F-100 B-WN-Z-100
""".split()
# The controls, per size: the positive control (wiki+qa) in both modes, full finetuning from scratch.
CONTROLS = [f"{s}-{c}" for s in "TSBM" for c in ("WQ-F-ALL", "WQ-Z-ALL", "R-F-ALL")]


def test_the_study_grid_is_the_18_experiments_and_the_controls_with_their_ids():
    exps = study_grid()
    assert sorted(e.id for e in exps) == sorted(STUDY_18 + CONTROLS)
    assert sorted(e.id for e in study_grid(data=("wiki", "wiki+nq"))) == sorted(STUDY_18)
    assert Experiment("tiny", "none", "full", "all", 0).params()["pretrain_data"] == "none"
    by_id = {e.id: e for e in exps}
    assert by_id["B-WN-Z-100"] == Experiment("base", "wiki+nq", "frozen", 100, 0)
    assert by_id["M-W-F-ALL"] == Experiment("medium", "wiki", "full", "all", 0)
    for e in exps:
        assert experiment_id(e.size, e.data, e.mode, e.samples) == e.id


def test_seeds_multiply_the_grid_and_name_each_run():
    exps = study_grid(data=("wiki", "wiki+nq"), seeds=(0, 1, 2))
    assert len(exps) == 54 and len({e.name for e in exps}) == 54
    assert [e.name for e in exps[:2]] == ["T-W-F-ALL-s0", "T-W-Z-ALL-s0"]
    assert exps[-1].name == "B-WN-Z-100-s2"  # seed outermost: a stopped queue holds whole grids
    assert len(study_grid(seeds=(0, 1, 2))) == (18 + 12) * 3


def test_filters_and_few_shot_curve():
    cpu = study_grid(sizes=("tiny", "small"), seeds=(0, 1, 2))
    assert len(cpu) == 2 * (2 + 2 + 2 + 1) * 3 and {e.size for e in cpu} == {"tiny", "small"}
    verdict_runs = study_grid(sizes=("tiny", "small"), data=("wiki", "wiki+qa", "none"), seeds=(0,))
    assert [e.id for e in verdict_runs] == ["T-W-F-ALL", "T-W-Z-ALL", "T-WQ-F-ALL", "T-WQ-Z-ALL", "T-R-F-ALL",
                                            "S-W-F-ALL", "S-W-Z-ALL", "S-WQ-F-ALL", "S-WQ-Z-ALL", "S-R-F-ALL"]
    assert [e.id for e in study_grid(sizes=("base",), data=("wiki+nq",), modes=("frozen",))] == ["B-WN-Z-ALL", "B-WN-Z-100"]
    curve = few_shot_grid("small", data=("wiki",))
    assert [e.id for e in curve] == ["S-W-F-10", "S-W-Z-10", "S-W-F-50", "S-W-Z-50", "S-W-F-100", "S-W-Z-100",
                                     "S-W-F-500", "S-W-Z-500", "S-W-F-ALL", "S-W-Z-ALL"]


def test_queue_command_sets_every_identity_param():
    cmd = queue_command(Experiment("base", "wiki+nq", "frozen", 100, 2))
    assert shlex.join(cmd) == ("dvc exp run --queue --name B-WN-Z-100-s2 -S model=base -S pretrain_data=wiki+nq "
                               "-S freeze=true -S finetune_samples=100 -S pretrain_tokens=preset -S seed=2")


def test_grid_command_prints_one_command_per_line(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["grid", "--sizes", "tiny,small"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 14 * 3  # 7 per size, params.yaml's seeds: [0, 1, 2]
    assert lines[0].startswith("dvc exp run --queue --name T-W-F-ALL-s0 -S model=tiny")
    result = CliRunner().invoke(main, ["grid", "--few-shot", "tiny", "--modes", "frozen", "--data", "wiki", "--seeds", "5"])
    assert [line.split()[5] for line in result.output.splitlines()] == [
        "T-W-Z-10-s5", "T-W-Z-50-s5", "T-W-Z-100-s5", "T-W-Z-500-s5", "T-W-Z-ALL-s5"]
    result = CliRunner().invoke(main, ["grid", "--seeds", "1,1"])
    assert result.exit_code == 2 and "seeds: 1 appears twice" in result.output
    result = CliRunner().invoke(main, ["grid", "--sizes", "huge"])
    assert result.exit_code == 2 and "'huge' is not one of" in result.output


def test_grid_queue_runs_each_command_and_reports_failures(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    fake = tmp_path / "bin" / "dvc"  # records its arguments; refuses one name, as DVC does for an existing one
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@" >> "$DVC_LOG"\ncase "$*" in *T-W-Z-ALL-s1*) exit 255;; esac\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setenv("DVC_LOG", str(tmp_path / "log"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["grid", "--sizes", "tiny", "--data", "wiki", "--seeds", "0,1", "--queue"])
    calls = (tmp_path / "log").read_text().splitlines()
    assert len(calls) == 4 and calls[0].startswith("exp run --queue --name T-W-F-ALL-s0")
    assert result.exit_code == 1
    assert "queued 3 of 4" in result.output and "dvc queue start -j 1" in result.output
    assert "could not queue T-W-Z-ALL-s1" in result.output


def test_budget_axis_ids_order_and_params():
    exps = budget_grid("tiny", [10_000_000, 1_000_000, 2_500_000], data=("wiki", "none"), seeds=(0,))
    assert [e.name for e in exps] == ["T-W-F-ALL-1M-s0", "T-W-Z-ALL-1M-s0", "T-W-F-ALL-2500K-s0", "T-W-Z-ALL-2500K-s0",
                                      "T-W-F-ALL-10M-s0", "T-W-Z-ALL-10M-s0"]  # cheapest first; `none` trains no step
    assert exps[-1].params()["pretrain_tokens"] == 10_000_000
    assert experiment_id("tiny", "wiki", "frozen", "all") == "T-W-Z-ALL"  # the preset adds nothing
    assert [token_label(t) for t in (10**9, 1500, 1234)] == ["1G", "1500", "1234"]


def test_grid_budgets_and_shared_settings(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["grid", "--sizes", "tiny", "--data", "wiki", "--modes", "frozen", "--budgets",
                                       "1M,10M", "--seeds", "0", "--set", "embedded.documents.train=20000"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"dvc exp run --queue --name T-W-Z-ALL-{b}-s0 -S model=tiny -S pretrain_data=wiki -S freeze=true "
        f"-S finetune_samples=all -S pretrain_tokens={n} -S seed=0 -S embedded.documents.train=20000"
        for b, n in (("1M", 1_000_000), ("10M", 10_000_000))]
    for args, message in ((["--set", "embedded.documents.train=-1"], "embedded.documents.train: must be > 0"),
                          (["--set", "embedded.docs=1"], "embedded.docs: unknown key"),
                          (["--budgets", "0"], "pretrain_tokens: '0' is not")):
        bad = CliRunner().invoke(main, ["grid", "--sizes", "tiny", "--budgets", "1M", *args])
        assert bad.exit_code == 2 and message in bad.output and bad.output.count("\n") == 1, bad.output
    both = CliRunner().invoke(main, ["grid", "--few-shot", "tiny", "--budgets", "1M"])
    assert both.exit_code == 2 and "two different grids" in both.output
