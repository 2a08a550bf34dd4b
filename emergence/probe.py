"""Frozen probes of one pretrained model: where in the network, and when in pretraining, the
information appears, asked three ways.

The span probes are the frozen probe of finetune.py -- the same seed, head initialisation,
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
- question-aware (params `probe.question_aware`): the same schedule with QuestionAwareSpanQA,
  a bilinear head that reads the state at <|sep|>, on the last layer of every snapshot. The
  linear head can use the question only through what the LM wrote into the context tokens; if
  this head scores far higher, the roles are in the states but a linear span head cannot pick
  the one the question asks for.
- roles (params `probe.roles`, edge probing; emergence/roles.py): the asked-for argument's role
  classified from span-pooled states of the sentence alone, on every layer of the finished
  model and the last layer of every snapshot, beside the majority-class baseline.

Span-probe F1 is also split by whether QA training saw the question's verb (evaluate.verb_groups),
and every snapshot carries its validation loss, so each probe can be read against tokens seen
and against the loss.

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
from emergence.evaluate import frozen_probe, probe_training_set, verb_groups
from emergence.files import write_csv, write_json
from emergence.finetune import load_lm
from emergence.model import GPT, load_weights
from emergence.params import EvalParams, FinetuneParams, ProbeParams
from emergence.roles import role_probe


def load_snapshot(lm: GPT, path: Path) -> GPT:
    """A copy of lm's architecture holding the weights of one pretraining snapshot."""
    snap = GPT(lm.cfg)
    if not path.exists():
        raise MissingInput(f"{path}: snapshot not found (rerun `emergence pretrain`)")
    load_weights(snap, load_file(str(path)), str(path))
    return snap


def probe(paths: layout.ProbePaths, task: str, fp: FinetuneParams, ep: EvalParams, pp: ProbeParams, seed: int,
          device_name: str = "auto", progress: Progress | None = None) -> dict:
    """Every frozen probe of one pretrained model (module docstring); writes metrics/probe.json
    and two CSV curves beside it, and returns the metrics."""
    t_start = time.perf_counter()
    device = pick_device(device_name)
    tok = load_tokenizer(paths.tokens)
    train_examples, _ = read_examples(task, paths.qa_train)
    train = probe_training_set(train_examples, tok, fp, seed)
    val_examples, _ = read_examples(task, paths.qa_validation)
    verbs = verb_groups(val_examples, {ex.predicate for ex in train_examples})
    lm, config = load_lm(paths.pretrained)
    lm.to(device)
    if "snapshots" not in config or "snapshot_val_loss" not in config:
        raise MissingInput(f"{paths.pretrained}/config.json lists no snapshots or their validation losses: it "
                           "predates them (rerun `emergence pretrain`)")
    roles = pp.roles and any(ex.role for ex in train_examples)  # SQuAD has no roles
    n_layer = lm.cfg.n_layer
    snapshots = {int(step): tokens for step, tokens in config["snapshots"].items()}
    last = max(snapshots)
    total = n_layer + 1 + len(snapshots) - 1 + (len(snapshots) if pp.question_aware else 0) + roles * len(snapshots)
    done = 0

    def span_probe(net: GPT, layer: int | None, head: str = "linear") -> dict:
        nonlocal done
        result = frozen_probe(net, layer, train, val_examples, tok, fp, ep, seed, device, head, verbs)
        done += 1
        if progress:
            progress(f"probe {head}", done, total)
        return result

    def role_probe_at(net: GPT, layers: list[int]) -> dict:
        nonlocal done
        result = role_probe(net, layers, train_examples, val_examples, tok, seed, device)
        done += 1
        if progress:
            progress("probe roles", done, total)
        return result

    by_layer = {layer: span_probe(lm, layer) for layer in range(n_layer + 1)}
    final_roles = role_probe_at(lm, list(range(n_layer + 1))) if roles else None
    # One snapshot in memory at a time: every probe of it, then the next (medium's would not all fit).
    linear, aware, roles_at = {}, {}, {}
    for step in sorted(snapshots):
        net = lm if step == last else load_snapshot(lm, layout.snapshot_file(paths.snapshots, step)).to(device)
        linear[step] = by_layer[n_layer] if step == last else span_probe(net, None)
        if pp.question_aware:
            aware[step] = span_probe(net, None, "question-aware")
        if roles:
            roles_at[step] = (final_roles if step == last else role_probe_at(net, [n_layer]))["by_layer"][str(n_layer)]
    frozen, random_init = linear[last]["f1"], linear[0]["f1"]
    time_rows = {step: {"step": step, "tokens_seen": tokens, "val_loss": config["snapshot_val_loss"][str(step)],
                        "f1": linear[step]["f1"]} for step, tokens in sorted(snapshots.items())}
    layer_rows = {layer: {"layer": layer, "f1": r["f1"]} for layer, r in by_layer.items()}
    metrics = {
        "task": task,
        "size": config["size"],
        "data": config["data"],
        "seed": seed,
        "n_layer": n_layer,
        "total_params": config["total_params"],
        "probe_params": by_layer[n_layer]["probe_params"],
        "frozen_f1": frozen,
        "random_init_f1": random_init,
        "gain_over_random_init": round(frozen - random_init, 3),
        "lexical_f1": by_layer[0]["f1"],
        "best_layer": max(by_layer, key=lambda k: (by_layer[k]["f1"], -k)),
        "f1_by_layer": {str(k): r["f1"] for k, r in by_layer.items()},
        "f1_by_tokens_seen": {str(snapshots[k]): r["f1"] for k, r in linear.items()},
        "val_loss_by_tokens_seen": {str(snapshots[k]): r["val_loss"] for k, r in time_rows.items()},
    }
    if verbs is not None:
        metrics["frozen_f1_by_verb"] = by_layer[n_layer]["f1_by_verb"]
    if pp.question_aware:
        metrics |= {
            "question_aware_f1": aware[last]["f1"],
            "question_aware_random_init_f1": aware[0]["f1"],
            "question_aware_gain_over_random_init": round(aware[last]["f1"] - aware[0]["f1"], 3),
            "question_aware_params": aware[last]["probe_params"],
            "question_aware_f1_by_tokens_seen": {str(snapshots[k]): r["f1"] for k, r in aware.items()},
        }
        if verbs is not None:
            metrics["question_aware_f1_by_verb"] = aware[last]["f1_by_verb"]
        for step, r in aware.items():
            time_rows[step]["question_aware_f1"] = r["f1"]
    if roles:
        final, at_last = final_roles, roles_at
        metrics |= {
            "role_accuracy": at_last[last]["accuracy"],
            "role_macro_f1": at_last[last]["macro_f1"],
            "role_random_init_accuracy": at_last[0]["accuracy"],
            "role_random_init_macro_f1": at_last[0]["macro_f1"],
            "role_lexical_accuracy": final["by_layer"]["0"]["accuracy"],
            "role_lexical_macro_f1": final["by_layer"]["0"]["macro_f1"],
            "role_majority_accuracy": final["majority"]["accuracy"],
            "role_majority_macro_f1": final["majority"]["macro_f1"],
            "role_accuracy_by_layer": {k: v["accuracy"] for k, v in final["by_layer"].items()},
            "role_macro_f1_by_layer": {k: v["macro_f1"] for k, v in final["by_layer"].items()},
            "role_accuracy_by_tokens_seen": {str(snapshots[k]): v["accuracy"] for k, v in at_last.items()},
            "role_macro_f1_by_tokens_seen": {str(snapshots[k]): v["macro_f1"] for k, v in at_last.items()},
            "role_probe_params": final["probe_params"],
            "role_n_train": final["n_train"],
            "role_n_validation": final["n_validation"],
            "role_n_roles": final["n_roles"],
        }
        for step, r in at_last.items():
            time_rows[step] |= {"role_accuracy": r["accuracy"], "role_macro_f1": r["macro_f1"]}
        for layer, row in layer_rows.items():
            row |= {f"role_{k}": v for k, v in final["by_layer"][str(layer)].items()}
    metrics |= {"probe_seconds": round(time.perf_counter() - t_start, 2), **peak_memory(device)}
    write_csv(paths.layers_curve, list(layer_rows.values()))
    write_csv(paths.time_curve, list(time_rows.values()))
    write_json(paths.metrics, metrics)
    return metrics
