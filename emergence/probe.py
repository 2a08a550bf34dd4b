"""Controls for the frozen probe: where in the network, and when in pretraining, the span
information appears.

Every probe here is the frozen probe of finetune.py -- the same seed, head initialisation,
batch order, learning-rate schedule and step count on every answerable training question --
trained on different features:

- layer-wise: the residual stream after k blocks (k = 0 is the embeddings), through the final
  LayerNorm, for every k; k = n_layer is exactly the frozen probe's input;
- across pretraining time: the last layer of every snapshot pretraining kept (log-spaced
  steps); the step-0 snapshot is the untrained network, so its F1 is the random-init control,
  and the gain over random init = frozen F1 - random-init F1 says how much of the probe's
  score the pretraining put there rather than the head and the architecture. (Not the
  literature's "selectivity", which compares a probe with itself on a control task.) Layer 0,
  the embeddings, is the lexical baseline: what word identity alone gives the probe.

metrics/probe.json sits at a fixed path (like eval.json) so `dvc metrics diff` compares runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from safetensors.torch import load_file

from emergence import layout
from emergence.data.qa import read_examples
from emergence.data.tokens import Progress, load_tokenizer
from emergence.device import peak_memory, pick_device
from emergence.errors import MissingInput
from emergence.evaluate import linear_probe_f1, probe_training_set
from emergence.files import write_csv, write_json
from emergence.finetune import load_lm
from emergence.model import GPT, load_weights
from emergence.params import EvalParams, FinetuneParams


def load_snapshot(lm: GPT, path: Path) -> GPT:
    """A copy of lm's architecture holding the weights of one pretraining snapshot."""
    snap = GPT(lm.cfg)
    if not path.exists():
        raise MissingInput(f"{path}: snapshot not found (rerun `emergence pretrain`)")
    load_weights(snap, load_file(str(path)), str(path))
    return snap


def probe(paths: layout.ProbePaths, task: str, fp: FinetuneParams, ep: EvalParams, seed: int,
          device_name: str = "auto", progress: Progress | None = None) -> dict:
    """Layer-wise and across-time frozen probes of one pretrained model; writes metrics/probe.json
    and two CSV curves beside it, and returns the metrics."""
    t_start = time.perf_counter()
    device = pick_device(device_name)
    tok = load_tokenizer(paths.tokens)
    train = probe_training_set(task, paths.qa_train, tok, fp, seed)
    val_examples, _ = read_examples(task, paths.qa_validation)
    lm, config = load_lm(paths.pretrained)
    lm.to(device)
    if "snapshots" not in config:
        raise MissingInput(f"{paths.pretrained}/config.json lists no snapshots: it predates them "
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
        f1_by_layer[str(layer)] = linear_probe_f1(lm, layer, train, val_examples, tok, fp, ep, seed, device)
        tick("layers")
    f1_by_tokens = {}
    for step, tokens in sorted(snapshots.items()):
        if step == last:  # the finished model: its last layer is already probed
            f1_by_tokens[str(tokens)] = f1_by_layer[str(n_layer)]
            continue
        snap = load_snapshot(lm, layout.snapshot_file(paths.snapshots, step)).to(device)
        f1_by_tokens[str(tokens)] = linear_probe_f1(snap, None, train, val_examples, tok, fp, ep, seed, device)
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
        "gain_over_random_init": round(frozen - random_init, 3),
        "lexical_f1": f1_by_layer["0"],
        "best_layer": int(max(f1_by_layer, key=lambda k: (f1_by_layer[k], -int(k)))),
        "f1_by_layer": f1_by_layer,
        "f1_by_tokens_seen": f1_by_tokens,
        "probe_seconds": round(time.perf_counter() - t_start, 2),
        **peak_memory(device),
    }
    write_csv(paths.layers_curve, [{"layer": int(k), "f1": v} for k, v in f1_by_layer.items()])
    write_csv(paths.time_curve, [{"step": s, "tokens_seen": t, "f1": f1_by_tokens[str(t)]}
                                 for s, t in sorted(snapshots.items())])
    write_json(paths.metrics, metrics)
    return metrics
