"""Controls for the frozen probe: where in the network, and when in pretraining, the span
information appears.

Every probe here is the frozen probe of finetune.py -- the same seed, head initialisation,
batch order, learning-rate schedule and step count on every answerable training question --
trained on different features:

- layer-wise: the residual stream after k blocks (k = 0 is the embeddings), through the final
  LayerNorm, for every k; k = n_layer is exactly the frozen probe's input;
- across pretraining time: the last layer of every snapshot pretraining kept (log-spaced
  steps); the step-0 snapshot is the untrained network, so its F1 is the random-init control,
  and selectivity = frozen F1 - random-init F1 says how much of the probe's score the
  pretraining put there rather than the head and the architecture.

metrics/probe.json sits at a fixed path (like eval.json) so `dvc metrics diff` compares runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from emergence.data.qa import read_examples
from emergence.data.tokens import Progress, load_tokenizer
from emergence.errors import MissingInput
from emergence.evaluate import predict, score_run
from emergence.files import write_csv, write_json
from emergence.finetune import (
    few_shot_subset,
    finetune_step,
    freeze_lm,
    frozen_features,
    head_lr,
    load_lm,
    next_rows,
    schedule,
)
from emergence.model import GPT, SpanQA, load_weights
from emergence.params import EvalParams, FinetuneParams
from emergence.pretrain import SNAPSHOTS, peak_memory, pick_device
from emergence.windows import collate, make_windows, pad_id


def probe_f1(lm: GPT, layer: int | None, train: dict, val_examples: list, tok, fp: FinetuneParams,
             ep: EvalParams, seed: int, device: torch.device) -> float:
    """Train a frozen probe on `layer` of `lm` (None: the last) and return its validation F1.
    `train` holds the training windows and their collated tensors."""
    windows, full = train["windows"], train["full"]
    torch.manual_seed(seed)  # the head's initialisation, as in finetune()
    model = SpanQA(lm, layer).to(device)
    freeze_lm(model)
    model.train(False)
    cache = frozen_features(model, windows, full, pad_id(tok), device)
    batch_size, steps = schedule(len(windows), fp)
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=fp.lr_frozen, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    order, cursor = rng.permutation(len(windows)), 0
    for step in range(steps):
        order, cursor, rows = next_rows(order, cursor, batch_size, rng)
        finetune_step(model, optimizer, full, torch.from_numpy(rows),
                      head_lr(fp.lr_frozen, step, steps, fp.warmup_steps), True, device, cache)
    return score_run(predict(model, val_examples, tok, fp, ep, device), val_examples)["f1"]


def load_snapshot(lm: GPT, path: Path) -> GPT:
    """A copy of lm's architecture holding the weights of one pretraining snapshot."""
    snap = GPT(lm.cfg)
    if not path.exists():
        raise MissingInput(f"{path}: snapshot not found (rerun `emergence pretrain`)")
    load_weights(snap, load_file(str(path)), str(path))
    return snap


def probe(tokens_dir: Path, pretrain_dir: Path, qa_train: Path, qa_validation: Path, metrics_path: Path,
          task: str, fp: FinetuneParams, ep: EvalParams, seed: int, device_name: str = "auto",
          progress: Progress | None = None) -> dict:
    """Layer-wise and across-time frozen probes of one pretrained model; writes metrics/probe.json
    and two CSV curves beside it, and returns the metrics."""
    t_start = time.perf_counter()
    device = pick_device(device_name)
    tok = load_tokenizer(tokens_dir)
    train_examples, _ = read_examples(task, qa_train)
    windows = make_windows(few_shot_subset(train_examples, "all", seed), tok, fp.max_length, fp.doc_stride,
                           labelled_only=True)
    train = {"windows": windows, "full": collate(windows, pad_id(tok))}
    val_examples, _ = read_examples(task, qa_validation)
    lm, config = load_lm(pretrain_dir)
    lm.to(device)
    if "snapshots" not in config:
        raise MissingInput(f"{pretrain_dir}/config.json lists no snapshots: it predates them "
                                "(rerun `emergence pretrain`)")
    n_layer = lm.cfg.n_layer
    snapshots = {int(step): tokens for step, tokens in config["snapshots"].items()}
    last = max(snapshots)
    total = n_layer + 1 + len(snapshots) - 1
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(f"probe {what}", done, total)

    f1_by_layer = {}
    for layer in range(n_layer + 1):
        f1_by_layer[str(layer)] = probe_f1(lm, layer, train, val_examples, tok, fp, ep, seed, device)
        tick("layers")
    f1_by_tokens = {}
    for step, tokens in sorted(snapshots.items()):
        if step == last:  # the finished model: its last layer is already probed
            f1_by_tokens[str(tokens)] = f1_by_layer[str(n_layer)]
            continue
        snap = load_snapshot(lm, Path(pretrain_dir) / SNAPSHOTS / f"step-{step:09d}.safetensors").to(device)
        f1_by_tokens[str(tokens)] = probe_f1(snap, None, train, val_examples, tok, fp, ep, seed, device)
        tick("snapshots")

    frozen = f1_by_layer[str(n_layer)]
    random_init = f1_by_tokens[str(snapshots[0])]
    metrics = {
        "task": task,
        "size": config["size"],
        "data": config["data"],
        "seed": seed,
        "n_layer": n_layer,
        "total_params": config["total_params"],
        "probe_params": 2 * lm.cfg.d_model + 2,
        "frozen_f1": frozen,
        "random_init_f1": random_init,
        "selectivity": round(frozen - random_init, 3),
        "best_layer": int(max(f1_by_layer, key=lambda k: (f1_by_layer[k], -int(k)))),
        "f1_by_layer": f1_by_layer,
        "f1_by_tokens_seen": f1_by_tokens,
        "probe_seconds": round(time.perf_counter() - t_start, 2),
        **peak_memory(device),
    }
    stem = Path(metrics_path).with_suffix("")
    write_csv(Path(f"{stem}-layers.csv"), [{"layer": int(k), "f1": v} for k, v in f1_by_layer.items()])
    write_csv(Path(f"{stem}-time.csv"), [{"step": s, "tokens_seen": t, "f1": f1_by_tokens[str(t)]}
                                         for s, t in sorted(snapshots.items())])
    write_json(metrics_path, metrics)
    return metrics
