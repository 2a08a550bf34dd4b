"""The whole chain through the real entry point, on a micro configuration."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from emergence.cli import main

from conftest import micro_params


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(micro_params()))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
def test_download_tokenize_pretrain_finetune_eval(project):
    invoke("download")
    assert json.loads((project / "data/raw/manifest.json").read_text())["records"]["qasrl/validation"] > 30
    invoke("tokenize")
    assert (project / "data/tokens/wiki/train.bin").stat().st_size > 0
    invoke("pretrain")
    pre = json.loads((project / "metrics/pretrain/tiny-wiki.json").read_text())
    assert pre["val_loss"] < 6.2 and pre["val_perplexity"] < pre["unigram_val_perplexity"]
    curve = (project / "metrics/pretrain/tiny-wiki-loss.csv").read_text().splitlines()
    assert curve[0] == "step,tokens,train_loss,lr"
    first, last = float(curve[1].split(",")[2]), float(curve[-1].split(",")[2])
    assert last < first - 1.0  # the loss falls
    assert (project / "models/pretrain/tiny-wiki/model.safetensors").exists()

    out = invoke("probe").output
    probed = json.loads((project / "metrics/probe.json").read_text())
    assert list(probed["f1_by_layer"]) == ["0", "1", "2"] and "by tokens seen" in out
    assert probed["gain_over_random_init"] == round(probed["frozen_f1"] - probed["random_init_f1"], 3)

    invoke("finetune", "--mode", "frozen", "--samples", "50")
    ft = json.loads((project / "metrics/finetune/tiny-wiki-freeze-true-50.json").read_text())
    assert ft["trainable_params"] == 2 * 32 + 2 and ft["n_questions"] == 50
    assert ft["peak_rss_mb"] > 50 and pre["peak_rss_mb"] > 50  # torch alone takes more

    invoke("eval", "--freeze", "true", "--samples", "50")
    ev = json.loads((project / "metrics/eval.json").read_text())
    assert ev["mode"] == "frozen" and ev["samples"] == 50 and ev["trainable_params"] == 66
    assert "finetuned_probe_f1" not in ev
    assert 0 <= ev["f1"] <= 100 and ev["n_questions"] == len(
        (project / "data/raw/qasrl/validation.jsonl").read_text().splitlines())
    assert set(ev["baseline_f1"]) == {"random_span", "nearest_phrase", "first_phrase", "question_type"}
    assert set(ev["baseline_exact_match"]) == set(ev["baseline_f1"])
    assert ev["f1_questions_lo"] <= ev["f1"] <= ev["f1_questions_hi"]
    assert 0 <= ev["ceiling_f1"] <= 100 and 0 <= ev["ceiling_exact_match"] <= 100
    assert all(not isinstance(v, dict) or all(not isinstance(x, dict) for x in v.values()) for v in ev.values())
    preds = json.loads((project / "metrics/predictions.json").read_text())
    assert len(preds) == ev["n_questions"]
    assert all(set(v) == {"prediction", "answers", "question"} for v in preds.values())

    # The second task: SQuAD-shaped paragraphs, each several windows long, through the same LM.
    params = yaml.safe_load((project / "params.yaml").read_text())
    (project / "params.yaml").write_text(yaml.safe_dump({**params, "task": "squad"}))
    invoke("finetune", "--mode", "full")
    ft = json.loads((project / "metrics/finetune/tiny-wiki-freeze-false-all.json").read_text())
    squad_val = (project / "data/raw/squad/validation.jsonl").read_text().splitlines()
    # labelled windows outnumber questions only where contexts span overlapping windows
    assert ft["task"] == "squad" and ft["n_windows"] > ft["n_questions"]
    invoke("eval", "--mode", "full")
    ev = json.loads((project / "metrics/eval.json").read_text())
    assert ev["task"] == "squad" and ev["n_questions"] == len(squad_val) and 0 <= ev["f1"] <= 100
    assert set(ev["baseline_f1"]) == {"random_span", "first_phrase", "question_type"}  # no predicate in a paragraph
    assert ev["f1_questions_lo"] <= ev["f1"] <= ev["f1_questions_hi"] and 0 <= ev["ceiling_f1"] <= 100
    # the positive control on a fully finetuned LM; a frozen run has none (it is the probe itself)
    assert 0 <= ev["finetuned_probe_f1"] <= 100


@pytest.mark.slow
def test_the_control_conditions_none_and_wiki_qa(project):
    """`none` is the random init, bitwise the step-0 snapshot of the same size and seed; wiki+qa
    pretrains on wiki and the QA training questions as text."""
    from safetensors.torch import load_file

    for stage in ("download", "tokenize"):
        invoke(stage)
    invoke("pretrain", "--data", "wiki")
    invoke("pretrain", "--data", "none")
    none = json.loads((project / "metrics/pretrain/tiny-none.json").read_text())
    assert none["steps"] == 0 and none["tokens_seen"] == 0 and none["train_loss"] is None
    init = load_file(str(project / "models/pretrain/tiny-none/model.safetensors"))
    step0 = load_file(str(project / "models/pretrain/tiny-wiki/checkpoints/step-000000000.safetensors"))
    assert init.keys() == step0.keys() and all((init[k] == step0[k]).all() for k in init)
    wiki = json.loads((project / "metrics/pretrain/tiny-wiki.json").read_text())
    assert none["val_loss"] > wiki["val_loss"]
    invoke("pretrain", "--data", "wiki+qa")
    qa = json.loads((project / "metrics/pretrain/tiny-wiki+qa.json").read_text())
    assert qa["steps"] == wiki["steps"] and qa["val_loss"] != wiki["val_loss"]
    invoke("finetune", "--data", "none", "--mode", "full", "--samples", "40")   # the scratch control
    invoke("eval", "--data", "none", "--mode", "full", "--samples", "40")
    assert json.loads((project / "metrics/eval.json").read_text())["data"] == "none"


@pytest.mark.slow
def test_run_chain_and_list_saved_through_the_installed_script(project):
    exe = shutil.which("emergence", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed"
    subprocess.run([exe, "run", "--config-name", "tiny", "--finetune-samples", "40"], check=True,
                   capture_output=True)
    ev = json.loads((project / "metrics/eval.json").read_text())
    assert ev["mode"] == "full" and ev["samples"] == 40
    out = subprocess.run([exe, "run", "--skip-pretrain", "--freeze-llm", "--finetune-samples", "40"],
                         check=True, capture_output=True, text=True)
    assert "pretrain tiny-wiki" not in out.stderr  # reused, not retrained
    assert json.loads((project / "metrics/eval.json").read_text())["mode"] == "frozen"
    listing = subprocess.run([exe, "list-saved"], check=True, capture_output=True, text=True).stdout
    assert "tiny" in listing and "wiki" in listing
    missing = subprocess.run([exe, "run", "--config-name", "small", "--skip-pretrain"], capture_output=True, text=True)
    assert missing.returncode == 2 and "no saved model at models/pretrain/small-wiki" in missing.stderr


@pytest.mark.slow
def test_local_source_runs_the_whole_chain_on_hub_layout_files(project, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing may reach a network
    monkeypatch.setenv("HF_HOME", str(project / "hf"))
    invoke("hub-fixture", "mirror", "--copies", "6")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params.update(source="local", local_dir=str(project / "mirror"))
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    for stage in ("download", "tokenize", "pretrain", "finetune", "eval", "probe"):
        invoke(stage)
    manifest = json.loads((project / "data/raw/manifest.json").read_text())
    assert manifest["source"] == "local" and manifest["records"]["wiki/train"] == 3 * 6
    ev = json.loads((project / "metrics/eval.json").read_text())
    assert ev["source"] == "local" and ev["n_questions"] == 8 * 6
    # real QA-SRL records carry no role: the role probe labels them from the question's slots
    probe = json.loads((project / "metrics/probe.json").read_text())
    assert probe["role_n_roles"] >= 2 and "question_aware_f1" in probe and "f1_by_verb" in ev
    # SQuAD from the hub layout (nested `answers`) through finetune and eval
    (project / "params.yaml").write_text(yaml.safe_dump({**params, "task": "squad"}))
    invoke("finetune")
    invoke("eval")
    invoke("probe")
    ev = json.loads((project / "metrics/eval.json").read_text())
    squad_val = [json.loads(line) for line in (project / "data/raw/squad/validation.jsonl").read_text().splitlines()]
    assert ev["task"] == "squad" and ev["n_questions"] == len(squad_val) > 0
    # SQuAD has neither predicates nor roles: no verb split, no role probe, the span probes still run
    probe = json.loads((project / "metrics/probe.json").read_text())
    assert "f1_by_verb" not in ev and "role_accuracy" not in probe and probe["task"] == "squad"
    assert "question_aware_f1" in probe
    assert set(squad_val[0]["answers"]) == {"text", "answer_start"}
