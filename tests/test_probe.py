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
PROBES = params_mod.ProbeParams(question_aware=True, roles=True)


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
              "qasrl", FP, EP, PROBES, seed=0, device_name="cpu")
    assert list(m["f1_by_layer"]) == ["0", "1", "2"]
    assert list(m["f1_by_tokens_seen"]) == [str(s * 8 * 64) for s in snapshot_steps(40, 4)]
    assert m["random_init_f1"] == m["f1_by_tokens_seen"]["0"]
    assert m["frozen_f1"] == m["f1_by_layer"]["2"] == m["f1_by_tokens_seen"][str(40 * 8 * 64)]
    assert m["gain_over_random_init"] == round(m["frozen_f1"] - m["random_init_f1"], 3)
    assert m["lexical_f1"] == m["f1_by_layer"]["0"] and "selectivity" not in m
    assert m["probe_params"] == 2 * 16 + 2 and all(0 <= v <= 100 for v in m["f1_by_layer"].values())
    assert json.loads((root / "metrics/probe.json").read_text()) == m
    assert (root / "metrics/probe-layers.csv").read_text().splitlines()[0] == "layer,f1,role_accuracy,role_macro_f1"
    assert (root / "metrics/probe-time.csv").read_text().splitlines()[0] == \
        "step,tokens_seen,val_loss,f1,question_aware_f1,role_accuracy,role_macro_f1"

    # every snapshot has its validation loss, the random init's near ln(vocab) = ln(400) = 5.99
    config = json.loads((root / "pre/config.json").read_text())
    seen = list(m["f1_by_tokens_seen"])
    assert list(m["val_loss_by_tokens_seen"]) == seen
    assert list(m["val_loss_by_tokens_seen"].values()) == list(config["snapshot_val_loss"].values())
    assert 5.5 < m["val_loss_by_tokens_seen"]["0"] < 6.5 and m["val_loss_by_tokens_seen"][seen[-1]] < 5.5
    # the question-aware probe: every snapshot, its own random-init control, 2C^2 + 4C + 2 parameters
    assert list(m["question_aware_f1_by_tokens_seen"]) == seen
    assert m["question_aware_random_init_f1"] == m["question_aware_f1_by_tokens_seen"]["0"]
    assert m["question_aware_f1"] == m["question_aware_f1_by_tokens_seen"][seen[-1]]
    assert m["question_aware_params"] == 2 * 16 * 16 + 4 * 16 + 2
    # the role probe: every layer of the finished model, the last layer of every snapshot
    assert list(m["role_accuracy_by_layer"]) == ["0", "1", "2"] and list(m["role_accuracy_by_tokens_seen"]) == seen
    assert m["role_accuracy"] == m["role_accuracy_by_layer"]["2"] == m["role_accuracy_by_tokens_seen"][seen[-1]]
    assert m["role_lexical_accuracy"] == m["role_accuracy_by_layer"]["0"]
    assert m["role_random_init_accuracy"] == m["role_accuracy_by_tokens_seen"]["0"]
    assert 0 < m["role_majority_accuracy"] < 100 and m["role_n_roles"] >= 3
    # span scores split by whether QA training saw the verb (two verbs are held out of it)
    assert set(m["frozen_f1_by_verb"]) == set(m["question_aware_f1_by_verb"]) == {"seen", "unseen"}

    # The probe on the last layer is the frozen finetune stage, step for step: same F1.
    finetune(FinetunePaths(tokens=root / "tokens", pretrained=root / "pre", qa_train=qa_train, out=root / "ft",
                           metrics=root / "ft.json"), True, "all", FP, 0, "cpu")
    ev = evaluate(EvalPaths(tokens=root / "tokens", finetuned=root / "ft", qa_validation=qa_validation,
                            metrics=root / "ev.json", predictions=root / "pred.json", qa_train=qa_train),
                  FP, EP, 0, "embedded", "cpu")
    assert ev["f1"] == m["frozen_f1"] and ev["f1_by_verb"] == m["frozen_f1_by_verb"]


# --- the question-aware head, on features where the answer depends on the question ------------

def synthetic_task(n: int, seed: int):
    """Rows of 8 tokens: question tokens 0-1, <|sep|> at 2, context 3-7. Two context tokens carry
    the unit directions e0 and e1 (at random positions), the rest e2; the <|sep|> state is e0 or
    e1, and the answer is the token carrying the same direction. No weighting of a context token
    alone can find it: each row holds both candidates, and only the question says which."""
    g = torch.Generator().manual_seed(seed)
    hidden = torch.zeros(n, 8, 4)
    hidden[:, 3:, 2] = 1.0
    answer = torch.empty(n, dtype=torch.long)
    for i in range(n):
        a, b = (3 + torch.randperm(5, generator=g)[:2]).tolist()
        hidden[i, a], hidden[i, b] = torch.eye(4)[0], torch.eye(4)[1]
        asked = int(torch.randint(2, (1,), generator=g))
        hidden[i, 2] = torch.eye(4)[asked]
        answer[i] = (a, b)[asked]
    mask = torch.zeros(n, 8, dtype=torch.bool)
    mask[:, 3:] = True
    inputs = {"context_mask": mask, "start": answer, "end": answer, "length": torch.full((n,), 8),
              "sep": torch.full((n,), 2), "ids": torch.zeros(n, 8, dtype=torch.long)}
    return hidden, inputs


def test_the_question_aware_head_learns_what_the_linear_head_cannot():
    from emergence.finetune import finetune_step, freeze_lm
    from emergence.model import QuestionAwareSpanQA, SpanQA
    train, inputs = synthetic_task(512, seed=0)
    test, test_inputs = synthetic_task(256, seed=1)
    accuracy = {}
    for name, head in (("linear", SpanQA), ("question-aware", QuestionAwareSpanQA)):
        torch.manual_seed(0)
        model = head(GPT(GPTConfig(vocab_size=8, context=8, n_layer=1, n_head=1, d_model=4)))
        freeze_lm(model)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.05, weight_decay=0.0)
        rows = torch.Generator().manual_seed(0)
        for _ in range(300):
            finetune_step(model, optimizer, inputs, torch.randint(512, (64,), generator=rows), 0.05, True,
                          torch.device("cpu"), cache=train)
        with torch.no_grad():
            start, _ = model.span_logits(test, test_inputs["sep"])
        start = start.masked_fill(~test_inputs["context_mask"], float("-inf"))
        accuracy[name] = (start.argmax(1) == test_inputs["start"]).float().mean().item()
    assert accuracy["question-aware"] > 0.95
    assert accuracy["linear"] < 0.6   # about chance between the two candidates
