"""Next-token pretraining of one GPT preset on one data condition.

Random windows from the token memmaps, AdamW (weight decay on 2-D weights only), linear warmup
then cosine decay, gradient clipping, a periodic validation loss on fixed windows of wiki
validation (the same windows for both data conditions and every seed, so losses compare).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from emergence import layout
from emergence.data.tokens import Progress, open_tokens
from emergence.device import autocast, peak_memory, pick_device
from emergence.errors import CorruptInput
from emergence.files import (
    read_json,
    save_checkpoint,
    save_tensors,
    write_csv,
    write_json,
)
from emergence.model import GPT, GPTConfig, weights_for_saving
from emergence.params import ModelSize, PretrainParams
from emergence.train_loop import Resume, TrainLoop

# The token files each pretraining condition samples from. `none` trains no step: its model is the
# random initialisation (bitwise the step-0 snapshot of the same size and seed); wiki is opened
# only for the validation loss and the budget.
CORPORA_OF = {"wiki": ("wiki",), "wiki+nq": ("wiki", "nq"), "wiki+qa": ("wiki", "qa"), "none": ("wiki",)}


class TokenWindows:
    """Batches of (input, next-token target) windows at random offsets of one or more corpora.

    A window is drawn from corpus i with probability proportional to its length, so wiki+nq
    mixes the two in the proportion of their sizes. The numpy generator is the only source of
    randomness, so a seed fixes every batch.
    """

    def __init__(self, arrays: list[np.ndarray], context: int, batch_size: int, seed: int):
        self.arrays = arrays
        self.context = context
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        for a in arrays:
            if len(a) <= context + 1:
                raise CorruptInput(f"a corpus of {len(a)} tokens is too short for windows of {context}")
        sizes = np.array([len(a) - context - 1 for a in arrays], dtype=np.float64)
        self.weights = sizes / sizes.sum()

    def batch(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        which = self.rng.choice(len(self.arrays), size=self.batch_size, p=self.weights)
        rows = []
        for i in which:
            a = self.arrays[i]
            start = int(self.rng.integers(0, len(a) - self.context - 1))
            rows.append(a[start:start + self.context + 1])
        xy = torch.from_numpy(np.stack(rows).astype(np.int64))
        if device.type == "cuda":
            xy = xy.pin_memory().to(device, non_blocking=True)
        return xy[:, :-1], xy[:, 1:]


def lr_at(step: int, size: ModelSize, min_ratio: float) -> float:
    """Linear warmup to size.lr, then cosine decay to size.lr * min_ratio at max_steps."""
    if step < size.warmup_steps:
        return size.lr * (step + 1) / size.warmup_steps
    progress = (step - size.warmup_steps) / max(1, size.max_steps - size.warmup_steps)
    return size.lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def make_optimizer(model: torch.nn.Module, pp: PretrainParams, lr: float, device: torch.device):
    """AdamW that decays only 2-D weights (matrices, embeddings), not biases or LayerNorm gains."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": pp.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(pp.beta1, pp.beta2), fused=device.type == "cuda")


def train_step(model: GPT, optimizer: torch.optim.Optimizer, windows: TokenWindows, lr: float,
               grad_clip: float, device: torch.device, micro_batches: int = 1) -> torch.Tensor:
    """One optimisation step on one batch; returns the loss, still on the device (reading it
    would force a host-device sync, so the caller reads it only at log points).

    With micro_batches > 1 the batch runs forward and backward in that many slices whose
    gradients add up (each loss scaled by its share), so a batch too large for the device's
    memory still trains as one batch.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
    x, y = windows.batch(device)
    total = torch.zeros((), device=device)
    for xs, ys in zip(x.chunk(micro_batches), y.chunk(micro_batches)):
        with autocast(device):
            _, loss = model(xs, ys)
        loss = loss * (len(xs) / len(x))
        loss.backward()
        total += loss.detach().float()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


@torch.no_grad()
def estimate_loss(model: GPT, windows: list[tuple[torch.Tensor, torch.Tensor]], device) -> float:
    was_training = model.training
    model.eval()
    losses = []
    for x, y in windows:
        with autocast(device):
            _, loss = model(x, y)
        losses.append(loss.float())
    model.train(was_training)
    return torch.stack(losses).mean().item()


def unigram_cross_entropy(train: np.ndarray, validation: np.ndarray, vocab_size: int,
                          chunk: int = 1 << 24) -> float:
    """Cross-entropy (nats/token) of validation under add-one-smoothed train unigram counts:
    the floor any model that learned something about context must beat. Counted in chunks,
    so a memmapped corpus is streamed rather than held in memory."""
    counts = np.ones(vocab_size, dtype=np.float64)
    for i in range(0, len(train), chunk):
        counts += np.bincount(train[i:i + chunk], minlength=vocab_size)
    logp = np.log(counts / counts.sum())
    nll = sum(float(-logp[validation[i:i + chunk]].sum()) for i in range(0, len(validation), chunk))
    return nll / len(validation)


def snapshot_steps(max_steps: int, n: int) -> list[int]:
    """n steps at which weights are kept for probing across pretraining time: 0 (the random
    init, which is the random-init control) and a geometric ladder from max_steps/100 to
    max_steps, so early learning, where most changes, is sampled densely. Fewer than n when
    rounding makes steps coincide."""
    if n == 2:
        return [0, max_steps]
    low = max(1, max_steps // 100)
    ladder = [round(low * (max_steps / low) ** (i / (n - 2))) for i in range(n - 1)]  # ends at max_steps
    return sorted({0, *ladder})


def save_snapshot(directory: Path, step: int, model: GPT) -> None:
    save_tensors(layout.snapshot_file(directory, step), weights_for_saving(model))


HUB_WARMUP_FRACTION = 0.02  # of the hub budget's steps


def budget(size: ModelSize, source: str, train_tokens: int, tokens: int | str = "preset") -> ModelSize:
    """The preset with this run's budget filled in.

    The embedded world takes `batch_size` and `max_steps` as written. Real corpora (hub, local)
    are sized by the corpus: `hub_passes` passes over its `train_tokens` at `hub_batch_size`
    sequences a step, with 2% of the steps as warmup -- one pass over WikiText-103 for base and
    medium is the study's intent, whatever the tokenizer makes of it.

    A token count (`pretrain_tokens`, the budget axis) replaces either: as many steps of the
    source's batch size as reach it, the warmup kept as written (embedded) or at 2% (hub).
    """
    if source != "embedded":
        steps = math.ceil(size.hub_passes * train_tokens / (size.hub_batch_size * size.context))
        size = dataclasses.replace(size, batch_size=size.hub_batch_size, max_steps=max(1, steps))
    if tokens != "preset":
        size = dataclasses.replace(size, max_steps=math.ceil(tokens / (size.batch_size * size.context)))
    if source != "embedded":
        size = dataclasses.replace(size, warmup_steps=max(1, round(HUB_WARMUP_FRACTION * size.max_steps)))
    return size


class Stopwatch:
    """Seconds spent training: counted from start() on, except inside paused()."""

    def __init__(self):
        self.start()

    def start(self, seconds_before: float = 0.0) -> None:
        self.total, self.since = seconds_before, time.perf_counter()

    @contextlib.contextmanager
    def paused(self):
        self.total += time.perf_counter() - self.since
        try:
            yield
        finally:
            self.since = time.perf_counter()

    def seconds(self) -> float:
        return self.total + time.perf_counter() - self.since


def pretrain(paths: layout.PretrainPaths, size_name: str, size: ModelSize, data: str, pp: PretrainParams,
             seed: int, progress: Progress | None = None, source: str = "embedded",
             tokens: int | str = "preset") -> dict:
    """Train, then write the checkpoint, metrics JSON and loss-curve CSVs. Returns the metrics
    (plus `resumed_from_step`, which is not written: a resumed run's files equal a straight one's).

    With paths.resume, a resume checkpoint is saved there every pp.checkpoint_interval steps and
    picked up by the next call with the same settings; it is removed once the run completes.
    """
    tokens_dir, out_dir, resume_dir = paths.tokens, paths.out, paths.resume
    meta = read_json(tokens_dir / layout.TOKENS_META)
    dtype = meta["dtype"]
    device = pick_device(pp.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    train_arrays = [open_tokens(layout.token_file(tokens_dir, c, "train"), dtype) for c in CORPORA_OF[data]]
    wiki_val = open_tokens(layout.token_file(tokens_dir, "wiki", "validation"), dtype)
    train_tokens = sum(len(a) for a in train_arrays)
    size = budget(size, source, train_tokens, tokens)
    if data == "none":
        size = dataclasses.replace(size, max_steps=0)
    train = TokenWindows(train_arrays, size.context, size.batch_size, seed)
    # Fixed validation windows (their own seed): the same for both data conditions and every
    # training seed, so validation losses compare; sizes share them when context and batch match.
    val_source = TokenWindows([wiki_val], size.context, size.batch_size, seed=12345)
    val_windows = [val_source.batch(device) for _ in range(pp.eval_batches)]

    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=meta["vocab_size"], context=size.context, n_layer=size.n_layer,
                    n_head=size.n_head, d_model=size.d_model)
    model = GPT(cfg).to(device)
    # The compiled module shares its parameters with `model`, which is what gets saved.
    runner = torch.compile(model) if pp.compile else model
    optimizer = make_optimizer(model, pp, size.lr, device)
    n_params = model.num_params()

    tokens_per_step = size.batch_size * size.context
    how_not_what = ("device", "compile", "checkpoint_interval", "micro_batches")  # speed or memory, not the result
    fingerprint = {"size": dataclasses.asdict(size), "data": data, "seed": seed, "tokens": meta["tokens"],
                   "pretrain": {k: v for k, v in dataclasses.asdict(pp).items() if k not in how_not_what}}
    # Snapshots go beside the resume checkpoint while training (DVC empties the output folder
    # before it reruns a stage, which would lose them on resume) and into it when the run completes.
    keep = snapshot_steps(size.max_steps, pp.snapshots) if size.max_steps else [0]
    snap_dir = paths.training_snapshots
    val_curve: list[dict] = []
    clock = Stopwatch()  # training time, validation not counted

    def step(i: int) -> torch.Tensor:
        return train_step(runner, optimizer, train, lr_at(i, size, pp.min_lr_ratio), pp.grad_clip, device,
                          pp.micro_batches)

    def row(done: int, loss: float) -> dict:  # lr: the last step's
        return {"step": done, "tokens": done * tokens_per_step, "train_loss": round(loss, 5),
                "lr": lr_at(done - 1, size, pp.min_lr_ratio)}

    def validate(done: int) -> dict:
        return {"step": done, "tokens": done * tokens_per_step,
                "val_loss": round(estimate_loss(runner, val_windows, device), 5)}

    def after_step(done: int) -> None:
        # every snapshot gets its validation loss: the probes are plotted against it
        if done % pp.eval_interval == 0 or done == size.max_steps or done in keep:
            with clock.paused():
                val_curve.append(validate(done))
        if done in keep and done < size.max_steps:  # the last is model.safetensors itself
            save_snapshot(snap_dir, done, model)

    loop = TrainLoop(size.max_steps, step, device, what="pretraining", row=row, after_step=after_step,
                     fix=f"lower sizes.{size_name}.lr or check the token files",
                     label=f"pretrain {size_name}-{data}", progress=progress,
                     resume=Resume(resume_dir, pp.checkpoint_interval, fingerprint, model, optimizer, train.rng,
                                   lambda: {"val_curve": val_curve, "train_seconds": clock.seconds()})
                     if resume_dir else None)
    saved = loop.restore()
    if saved:
        val_curve[:] = saved["val_curve"]
    else:
        shutil.rmtree(snap_dir, ignore_errors=True)  # a different run's, or a finished one's
    if loop.start_step == 0:
        save_snapshot(snap_dir, 0, model)
        val_curve.append(validate(0))  # the random init's loss, the curve's first point
    clock.start(saved["train_seconds"] if saved else 0.0)
    curve = loop.run()
    train_seconds = clock.seconds()

    val_loss = val_curve[-1]["val_loss"]
    unigram = unigram_cross_entropy(train_arrays[0], wiki_val, meta["vocab_size"])
    metrics = {
        "size": size_name,
        "data": data,
        "total_params": n_params,
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "train_loss": curve[-1]["train_loss"] if curve else None,
        "val_loss": val_loss,
        "val_perplexity": round(math.exp(val_loss), 3),
        "unigram_val_perplexity": round(math.exp(unigram), 3),
        "steps": size.max_steps,
        "tokens_seen": size.max_steps * tokens_per_step,
        # how many times the run read its training text: above ~3 a bigger budget mostly repeats
        "passes_over_data": round(size.max_steps * tokens_per_step / train_tokens, 3),
        "tokens_per_s": round(size.max_steps * tokens_per_step / train_seconds, 1) if size.max_steps else 0.0,
        "train_seconds": round(train_seconds, 2),
        "device": device.type,
        **peak_memory(device),
        "seed": seed,
    }
    config = {
        "model": cfg.to_dict(),
        "size": size_name,
        "data": data,
        "total_params": n_params,
        "val_loss": val_loss,
        "seed": seed,
        # no timings here: this file is inside a DVC-cached output, whose hash must depend only on
        # the weights' inputs (timings live in the metrics file)
        "tokens_seen": metrics["tokens_seen"],
        # step -> tokens seen, for every kept snapshot; the last step's weights are model.safetensors
        "snapshots": {str(k): k * tokens_per_step for k in keep},
        "snapshot_val_loss": {str(r["step"]): r["val_loss"] for r in val_curve if r["step"] in keep},
    }
    if snap_dir != paths.snapshots:
        shutil.rmtree(paths.snapshots, ignore_errors=True)
        shutil.copytree(snap_dir, paths.snapshots)
    save_checkpoint(out_dir, weights_for_saving(model), config)
    write_csv(paths.loss_curve, curve)
    write_csv(paths.val_curve, val_curve)
    write_json(paths.metrics, metrics)
    loop.finish()
    return {**metrics, "resumed_from_step": loop.start_step}
