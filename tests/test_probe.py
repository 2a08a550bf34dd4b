"""The controls: snapshots across pretraining, layer-wise and across-time probes."""

import json

import pytest
import torch
from safetensors.torch import load_file

from conftest import micro_corpus
from emergence import params as params_mod
from emergence.evaluate import evaluate
from emergence.finetune import finetune
from emergence.layout import EvalPaths, FinetunePaths, PretrainPaths, ProbePaths
from emergence.model import GPT, GPTConfig, weights_for_saving
from emergence.pretrain import pretrain, snapshot_steps
from emergence.probe import probe

SIZE = params_mod.ModelSize(n_layer=2, n_head=2, d_model=16, context=64, batch_size=8, max_steps=40, lr=3e-3,
                            warmup_steps=4, hub_batch_size=8, hub_passes=1.0)
PP = params_mod.PretrainParams(weight_decay=0.1, beta1=0.9, beta2=0.95, grad_clip=1.0, min_lr_ratio=0.1,
                               eval_interval=20, eval_batches=2, checkpoint_interval=10, micro_batches=1,
                               compile=False, device="cpu", snapshots=4)
FP = params_mod.FinetuneParams(max_length=64, doc_stride=16, batch_size=16, lr_full=1e-3, lr_frozen=1e-2,
                               epochs=1, min_steps=15, warmup_steps=3, checkpoint_interval=100)
EP = params_mod.EvalParams(top_k=10, max_answer_length=20)


def test_snapshot_steps_are_zero_then_a_geometric_ladder_to_the_end():
    assert snapshot_steps(500, 5) == [0, 5, 23, 108, 500]     # 5 * 100^(k/3), rounded
    assert snapshot_steps(500, 2) == [0, 500]
    assert snapshot_steps(4, 5) == [0, 1, 2, 3, 4]            # coinciding steps are kept once
    assert snapshot_steps(1, 5) == [0, 1]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    root = micro_corpus(tmp_path_factory.mktemp("probe"), {"train": 40, "validation": 10})
    pretrain(PretrainPaths(tokens=root / "tokens", out=root / "pre", metrics=root / "pre.json", resume=root / "resume"),
             "tiny", SIZE, "wiki", PP, seed=3)
    return root


def test_pretraining_keeps_snapshots_and_step_0_is_the_seeded_init(pretrained):
    config = json.loads((pretrained / "pre/config.json").read_text())
    steps = snapshot_steps(40, 4)
    assert steps == [0, 1, 6, 40]
    assert config["snapshots"] == {str(s): s * 8 * 64 for s in steps}
    kept = sorted(p.name for p in (pretrained / "pre/checkpoints").iterdir())
    assert kept == [f"step-{s:09d}.safetensors" for s in steps[:-1]]  # the last is model.safetensors
    torch.manual_seed(3)
    init = weights_for_saving(GPT(GPTConfig(**config["model"])))
    snap0 = load_file(str(pretrained / "pre/checkpoints/step-000000000.safetensors"))
    assert set(snap0) == set(init) and all(torch.equal(snap0[k], init[k]) for k in init)
    snap6 = load_file(str(pretrained / "pre/checkpoints/step-000000006.safetensors"))
    assert not torch.equal(snap6["wte.weight"], snap0["wte.weight"])  # training moved it


@pytest.mark.slow
def test_probes_cover_every_layer_and_snapshot_and_the_last_layer_is_the_frozen_probe(pretrained):
    root = pretrained
    qa_train, qa_validation = root / "raw/qasrl/train.jsonl", root / "raw/qasrl/validation.jsonl"
    m = probe(ProbePaths(tokens=root / "tokens", pretrained=root / "pre", qa_train=qa_train,
                         qa_validation=qa_validation, metrics=root / "metrics/probe.json"),
              "qasrl", FP, EP, seed=0, device_name="cpu")
    assert list(m["f1_by_layer"]) == ["0", "1", "2"]
    assert list(m["f1_by_tokens_seen"]) == [str(s * 8 * 64) for s in snapshot_steps(40, 4)]
    assert m["random_init_f1"] == m["f1_by_tokens_seen"]["0"]
    assert m["frozen_f1"] == m["f1_by_layer"]["2"] == m["f1_by_tokens_seen"][str(40 * 8 * 64)]
    assert m["gain_over_random_init"] == round(m["frozen_f1"] - m["random_init_f1"], 3)
    assert m["lexical_f1"] == m["f1_by_layer"]["0"] and "selectivity" not in m
    assert m["probe_params"] == 2 * 16 + 2 and all(0 <= v <= 100 for v in m["f1_by_layer"].values())
    assert json.loads((root / "metrics/probe.json").read_text()) == m
    assert (root / "metrics/probe-layers.csv").read_text().splitlines()[0] == "layer,f1"
    assert (root / "metrics/probe-time.csv").read_text().splitlines()[0] == "step,tokens_seen,f1"

    # The probe on the last layer is the frozen finetune stage, step for step: same F1.
    finetune(FinetunePaths(tokens=root / "tokens", pretrained=root / "pre", qa_train=qa_train, out=root / "ft",
                           metrics=root / "ft.json"), True, "all", FP, 0, "cpu")
    ev = evaluate(EvalPaths(tokens=root / "tokens", finetuned=root / "ft", qa_validation=qa_validation,
                            metrics=root / "ev.json", predictions=root / "pred.json"), FP, EP, 0, "embedded", "cpu")
    assert ev["f1"] == m["frozen_f1"]
