"""Span-QA training on top of a pretrained LM: full finetuning or a frozen linear probe.

full:   every parameter trains.
frozen: the LM is fixed (requires_grad=False, eval mode, no autograd) and only the
        Linear(d_model, 2) head learns, so the score measures what the pretrained
        representations already hold. The LM's hidden states are computed once and reused
        for every epoch (when they fit in memory), since they cannot change.

Few-shot: a seeded permutation of the answerable training questions is drawn once and the
first N are taken, so every smaller subset is contained in every larger one and a learning
curve adds examples instead of swapping them. Steps = max(min_steps, epochs * ceil(windows /
batch_size)), so 10 examples still see min_steps updates.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch

from emergence import layout
from emergence.data.qa import QAExample, read_examples, training_answer
from emergence.data.tokens import Progress, load_tokenizer
from emergence.device import autocast, peak_memory, pick_device
from emergence.files import (
    load_checkpoint,
    save_checkpoint,
    sha256_file,
    write_csv,
    write_json,
)
from emergence.model import (
    GPT,
    GPTConfig,
    SpanQA,
    load_weights,
    span_loss,
    weights_for_saving,
)
from emergence.params import FinetuneParams
from emergence.train_loop import Resume, TrainLoop
from emergence.windows import collate, length_sorted_batches, make_windows, pad_id

FEATURE_CACHE_BYTES = 2 * 1024**3  # frozen mode caches hidden states up to this size


def load_lm(pretrain_dir: Path) -> tuple[GPT, dict]:
    state, config = load_checkpoint(pretrain_dir)
    lm = GPT(GPTConfig(**config["model"]))
    load_weights(lm, state, str(Path(pretrain_dir) / "model.safetensors"))
    return lm, config


def load_qa_model(finetune_dir: Path) -> tuple[SpanQA, dict]:
    state, config = load_checkpoint(finetune_dir)
    model = SpanQA(GPT(GPTConfig(**config["model"])))
    load_weights(model, state, str(Path(finetune_dir) / "model.safetensors"))
    return model, config


def few_shot_subset(examples: list[QAExample], samples: int | str, seed: int) -> list[QAExample]:
    """The first `samples` answerable questions of one seeded permutation (nested subsets)."""
    answerable = [ex for ex in examples if training_answer(ex) is not None]
    if samples == "all":
        return answerable
    if samples > len(answerable):
        raise ValueError(f"finetune_samples: {samples} is more than the {len(answerable)} answerable training questions")
    order = np.random.default_rng(seed).permutation(len(answerable))
    return [answerable[i] for i in order[:samples]]


def freeze_lm(model: SpanQA) -> None:
    for p in model.lm.parameters():
        p.requires_grad_(False)
    model.lm.eval()


def count_params(model: torch.nn.Module) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, trainable


def schedule(n_windows: int, fp: FinetuneParams) -> tuple[int, int]:
    """(batch size, steps): `epochs` passes over the windows, but never fewer than min_steps."""
    batch_size = min(fp.batch_size, n_windows)
    return batch_size, max(fp.min_steps, fp.epochs * math.ceil(n_windows / batch_size))


def head_lr(lr: float, step: int, steps: int, warmup_steps: int) -> float:
    """Linear warmup over warmup_steps, then linear decay to zero at `steps`."""
    return lr * min(1.0, (step + 1) / warmup_steps) * (1 - step / steps)


class ShuffledRows:
    """Batches of row indices from seeded shuffled passes over n rows; when a pass has too few
    rows left for a batch, the rows are reshuffled and a new pass starts. Its state (the
    generator, the pass's order and the cursor in it) is what a resume checkpoint keeps."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.order, self.cursor, self.batch_size = self.rng.permutation(n), 0, batch_size

    def next(self) -> torch.Tensor:
        if self.cursor + self.batch_size > len(self.order):
            self.order, self.cursor = self.rng.permutation(len(self.order)), 0
        rows = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return torch.from_numpy(rows)

    def state(self) -> dict:
        return {"order": self.order.tolist(), "cursor": self.cursor}

    def load_state(self, state: dict) -> None:
        self.order, self.cursor = np.array(state["order"]), state["cursor"]


def finetune_step(model: SpanQA, optimizer: torch.optim.Optimizer, inputs: dict[str, torch.Tensor],
                  idx: torch.Tensor, lr: float, freeze: bool, device: torch.device,
                  cache: torch.Tensor | None = None) -> torch.Tensor:
    """One optimisation step on rows `idx` of the collated inputs; returns the loss on the device.
    A frozen LM runs without autograd, or is skipped for its cached hidden states."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    # Trim the batch to its own longest window: the columns after it are padding in every row,
    # which causal attention never lets a real token see, so dropping them changes no result
    # but saves their compute (the collated tensors are padded to the longest window of all).
    T = int(inputs["length"][idx].max())
    mask = inputs["context_mask"][idx, :T].to(device)
    start_pos, end_pos, sep = (inputs[k][idx].to(device) for k in ("start", "end", "sep"))
    with autocast(device):
        if cache is not None:
            hidden = cache[idx, :T].to(device)
        else:
            with torch.set_grad_enabled(not freeze):
                hidden = model.features(inputs["ids"][idx, :T].to(device))
        start, end = model.span_logits(hidden, sep)
    loss = span_loss(start.float(), end.float(), mask, start_pos, end_pos)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


def finetune(paths: layout.FinetunePaths, freeze: bool, samples: int | str, fp: FinetuneParams, seed: int,
             device_name: str = "auto", progress: Progress | None = None, task: str = "qasrl") -> dict:
    """Train the span head (and, unless frozen, the LM); write checkpoint, metrics and curve.

    With paths.resume, a resume checkpoint is saved every fp.checkpoint_interval steps and picked
    up by the next call with the same settings and the same pretrained weights (see resume.py).
    """
    tokens_dir, pretrain_dir, qa_train, resume_dir = paths.tokens, paths.pretrained, paths.qa_train, paths.resume
    t_start = time.perf_counter()
    mode = "frozen" if freeze else "full"
    device = pick_device(device_name)
    tok = load_tokenizer(tokens_dir)
    examples, stats = read_examples(task, qa_train)
    subset = few_shot_subset(examples, samples, seed)
    windows = make_windows(subset, tok, fp.max_length, fp.doc_stride, labelled_only=True)

    lm, pre_config = load_lm(pretrain_dir)
    torch.manual_seed(seed)
    model = SpanQA(lm).to(device)
    if freeze:
        freeze_lm(model)
    total, trainable = count_params(model)
    d = lm.cfg.d_model
    if freeze:
        assert trainable == 2 * d + 2, f"frozen probe must train exactly the head, got {trainable} parameters"
    params = [p for p in model.parameters() if p.requires_grad]
    lr = fp.lr_frozen if freeze else fp.lr_full
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)

    batch_size, steps = schedule(len(windows), fp)
    pad = pad_id(tok)
    collated = collate(windows, pad)
    cache = frozen_features(model, windows, collated, pad, device) if freeze else None

    batches = ShuffledRows(len(windows), batch_size, seed)
    fingerprint = {"finetune": dataclasses.asdict(fp), "seed": seed, "samples": samples, "freeze": freeze,
                   "task": task,
                   "pretrained": sha256_file(Path(pretrain_dir) / "model.safetensors")}

    def step(i: int) -> torch.Tensor:
        return finetune_step(model, optimizer, collated, batches.next(), head_lr(lr, i, steps, fp.warmup_steps),
                             freeze, device, cache)

    loop = TrainLoop(steps, step, device, what="finetuning", fix=f"lower finetune.lr_{mode}",
                     label=f"finetune {mode}", progress=progress,
                     resume=Resume(resume_dir, fp.checkpoint_interval, fingerprint, model, optimizer, batches.rng,
                                   batches.state) if resume_dir else None)
    saved = loop.restore()
    if saved:
        batches.load_state(saved)
    model.train(not freeze)
    curve = loop.run()
    seconds = time.perf_counter() - t_start

    metrics = {
        "task": task,
        "mode": mode,
        "samples": samples,
        "n_questions": len(subset),
        "n_windows": len(windows),
        "steps": steps,
        "examples_seen": steps * batch_size,
        "train_loss": curve[-1]["train_loss"],
        "total_params": total,
        "trainable_params": trainable,
        "finetune_seconds": round(seconds, 2),
        "qa_answers_unfound": stats["n_answers_unfound"],
        "qa_questions_unanswerable": stats["n_questions_unanswerable"],
        **peak_memory(device),
        "seed": seed,
    }
    config = {
        "model": lm.cfg.to_dict(),
        "size": pre_config["size"],
        "data": pre_config["data"],
        "freeze": freeze,
        "samples": samples,
        "task": task,
        "seed": seed,
        "pretrain_val_loss": pre_config["val_loss"],
        "pretrain_tokens_seen": pre_config.get("tokens_seen"),
        # no timings: config.json is inside a DVC-cached output (they live in the metrics file)
        **{k: metrics[k] for k in ("total_params", "trainable_params")},
    }
    save_checkpoint(paths.out, weights_for_saving(model), config)
    write_csv(paths.loss_curve, curve)
    write_json(paths.metrics, metrics)
    loop.finish()
    return {**metrics, "resumed_from_step": loop.start_step}


@torch.no_grad()
def frozen_features(model: SpanQA, windows, collated: dict, pad: int, device: torch.device) -> torch.Tensor | None:
    """The frozen head's input features for every window, or None when they would not fit in
    FEATURE_CACHE_BYTES (then each step runs the frozen LM on its batch)."""
    if len(windows) * collated["ids"].shape[1] * model.lm.cfg.d_model * 4 > FEATURE_CACHE_BYTES:
        return None
    return lm_features(model, windows, pad, device)


def lm_features(model: SpanQA, windows, pad: int, device: torch.device, batch: int = 256) -> torch.Tensor:
    """The head's input features (N, T, C) for every window, padded to the longest, computed
    once (the frozen LM cannot change). Windows are run in order of length so each batch pads
    little; positions past a window's end stay zero and are masked out of the loss."""
    model.lm.eval()
    length = max(len(w.ids) for w in windows)
    out = torch.zeros(len(windows), length, model.lm.cfg.d_model)
    for rows in length_sorted_batches(windows, batch):
        ids = collate([windows[i] for i in rows], pad)["ids"]
        with autocast(device):
            hidden = model.features(ids.to(device)).float().cpu()
        out[rows, : hidden.shape[1]] = hidden
    return out
