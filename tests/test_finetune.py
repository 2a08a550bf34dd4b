import json

import pytest
import torch
from safetensors.torch import load_file

from conftest import micro_corpus
from emergence import params as params_mod
from emergence.layout import EvalPaths, FinetunePaths
from emergence.data import tokens
from emergence.data.qa import qasrl_to_examples, read_qasrl
from emergence.evaluate import evaluate
from emergence.finetune import few_shot_subset, finetune, load_lm
from emergence.files import save_checkpoint
from emergence.model import GPT, GPTConfig, weights_for_saving

FP = params_mod.FinetuneParams(max_length=64, doc_stride=16, batch_size=16, lr_full=1e-3, lr_frozen=1e-2,
                               epochs=1, min_steps=15, warmup_steps=3, checkpoint_interval=5)
EP = params_mod.EvalParams(top_k=10, max_answer_length=20)


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    """Raw data, tokens and an untrained micro LM saved as a pretrain checkpoint."""
    root = micro_corpus(tmp_path_factory.mktemp("micro"), {"train": 80, "validation": 20})
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=400, context=64, n_layer=1, n_head=2, d_model=16)
    save_checkpoint(root / "pre", weights_for_saving(GPT(cfg)),
                    {"model": cfg.to_dict(), "size": "tiny", "data": "wiki", "total_params": 0, "val_loss": 5.0})
    return root


def results_only(metrics: dict) -> dict:
    """Metrics without the measurements of the run itself (time, memory, resume note)."""
    return {k: v for k, v in metrics.items() if k not in ("finetune_seconds", "peak_rss_mb", "resumed_from_step")}


def paths(micro, name, resume=None) -> FinetunePaths:
    return FinetunePaths(tokens=micro / "tokens", pretrained=micro / "pre", qa_train=micro / "raw/qasrl/train.jsonl",
                         out=micro / name, metrics=micro / f"{name}.json", resume=resume)


def run(micro, name, freeze, samples, seed=0):
    return finetune(paths(micro, name), freeze, samples, FP, seed)


def test_frozen_trains_exactly_the_head_and_leaves_every_lm_weight_bitwise_unchanged(micro):
    metrics = run(micro, "frozen", True, "all")
    assert metrics["trainable_params"] == 2 * 16 + 2
    before = load_file(str(micro / "pre" / "model.safetensors"))
    after = load_file(str(micro / "frozen" / "model.safetensors"))
    for name, tensor in before.items():
        assert torch.equal(after[f"lm.{name}"], tensor), name
    head_init = torch.zeros(2)  # the head's bias starts at zero and must have moved
    assert not torch.equal(after["head.bias"], head_init)


def test_full_finetuning_changes_the_lm(micro):
    metrics = run(micro, "full", False, 30)
    assert metrics["trainable_params"] == metrics["total_params"]
    before = load_file(str(micro / "pre" / "model.safetensors"))
    after = load_file(str(micro / "full" / "model.safetensors"))
    assert not torch.equal(after["lm.blocks.0.attn.qkv.weight"], before["blocks.0.attn.qkv.weight"])


def test_few_shot_subsets_are_deterministic_and_nested(micro):
    examples, _ = qasrl_to_examples(read_qasrl(micro / "raw/qasrl/train.jsonl"))
    sizes = [10, 50, 100, 200]
    subsets = [[ex.id for ex in few_shot_subset(examples, n, seed=3)] for n in sizes]
    assert [len(s) for s in subsets] == sizes
    for small, large in zip(subsets, subsets[1:]):
        assert large[: len(small)] == small
    assert subsets[0] == [ex.id for ex in few_shot_subset(examples, 10, seed=3)]
    assert subsets[0] != [ex.id for ex in few_shot_subset(examples, 10, seed=4)]
    with pytest.raises(ValueError, match="more than the"):
        few_shot_subset(examples, 10**6, seed=0)


def test_same_seed_gives_identical_weights_and_metrics(micro):
    a = run(micro, "a", False, 40)
    b = run(micro, "b", False, 40)
    assert results_only(a) == results_only(b)
    wa, wb = load_file(str(micro / "a/model.safetensors")), load_file(str(micro / "b/model.safetensors"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    # the DVC-cached output is byte-identical, config.json included (no timings in it)
    assert [(micro / d / "config.json").read_bytes() for d in "ab"] == [(micro / "a/config.json").read_bytes()] * 2
    assert (micro / "a/model.safetensors").read_bytes() == (micro / "b/model.safetensors").read_bytes()
    ea, eb = (evaluate(EvalPaths(tokens=micro / "tokens", finetuned=micro / run,
                                 qa_validation=micro / "raw/qasrl/validation.jsonl", metrics=micro / f"e{run}.json",
                                 predictions=micro / f"p{run}.json"), FP, EP, 0, "embedded") for run in "ab")
    assert ea["f1"] == eb["f1"] and ea["exact_match"] == eb["exact_match"]
    assert (micro / "pa.json").read_bytes() == (micro / "pb.json").read_bytes()


def test_a_checkpoint_that_does_not_match_its_config_is_named(micro, tmp_path):
    cfg = json.loads((micro / "pre" / "config.json").read_text())
    cfg["model"]["d_model"] = 32
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    (tmp_path / "model.safetensors").write_bytes((micro / "pre" / "model.safetensors").read_bytes())
    with pytest.raises(ValueError, match=r"model.safetensors: tensor \S+ has shape"):
        load_lm(tmp_path)


@pytest.mark.parametrize("freeze", [False, True])
def test_an_interrupted_finetune_resumes_to_the_same_weights_and_metrics(micro, monkeypatch, freeze):
    import emergence.finetune as ft

    straight = run(micro, f"straight-{freeze}", freeze, 40)
    original, calls = ft.finetune_step, {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 8:  # after the checkpoint at step 5, before the one at 10
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    resume_dir = micro / f"resume-{freeze}"
    monkeypatch.setattr(ft, "finetune_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        finetune(paths(micro, "r", resume_dir), freeze, 40, FP, 0)
    assert json.loads((resume_dir / "latest.json").read_text())["name"] == "step-000000005"
    monkeypatch.setattr(ft, "finetune_step", original)
    resumed = finetune(paths(micro, "r", resume_dir), freeze, 40, FP, 0)
    assert resumed.pop("resumed_from_step") == 5 and not resume_dir.exists()
    assert results_only(resumed) == results_only(straight)
    assert (micro / "r/model.safetensors").read_bytes() == (micro / f"straight-{freeze}/model.safetensors").read_bytes()


def test_a_step_on_a_batch_trimmed_to_its_longest_window_equals_the_padded_step(micro):
    # finetune_step trims the batch to its own longest window; the padding it drops is invisible
    # to causal attention and masked from the loss, so the step is the same as without trimming.
    from emergence.finetune import finetune_step
    from emergence.model import SpanQA
    from emergence.windows import collate, make_windows, pad_id
    tok = tokens.load_tokenizer(micro / "tokens")
    examples, _ = qasrl_to_examples(read_qasrl(micro / "raw/qasrl/train.jsonl"))
    windows = make_windows(examples, tok, 64, 16, labelled_only=True)
    rows = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))[:8]  # the shortest 8
    padded = collate(windows, pad_id(tok))                        # padded to the longest of all
    trimmed_by_hand = collate([windows[i] for i in rows], pad_id(tok))
    assert trimmed_by_hand["ids"].shape[1] < padded["ids"].shape[1]
    losses, heads = [], []
    for inputs, idx in ((padded, torch.tensor(rows)), (trimmed_by_hand, torch.arange(8))):
        lm, _ = load_lm(micro / "pre")
        torch.manual_seed(0)
        model = SpanQA(lm)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        losses.append(finetune_step(model, opt, inputs, idx, 1e-3, False, torch.device("cpu")).item())
        heads.append(model.head.weight.detach().clone())
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    assert torch.allclose(heads[0], heads[1], atol=1e-7)
