"""`emergence bench`: how fast this machine runs each stage, and how close pretraining gets to
the machine's own matmul peak (MFU).

Every throughput is a median over `repeats` timed repeats after `warmup` untimed calls; the min
and max of the repeats are its spread. The peak is the exception: a maximum (below). A repeat
runs the timed call enough times to last at least `min_repeat_s` (calibrated on the last
warm-up call), so that a millisecond step is not timed with one perf_counter pair. On CUDA every
timed region starts and ends with torch.cuda.synchronize(); on CPU no CUDA call is ever made.

What is timed:

- peak: the fastest FLOP rate this machine was seen to reach, not a datasheet number, so an MFU
  says how much of what this machine's matmul does a step uses. It is measured on n x n x n
  matmuls in the training dtype (float32 on CPU, bfloat16 on CUDA; n = 1024 1536 2048 on CPU,
  4096 8192 on CUDA, PEAK_SIZES), 2 n^3 FLOPs a call, `repeats` repeats of each size a round,
  in the torch threads setting the shapes run in. A round runs before the first pretraining
  shape and after each one, so the peak is measured throughout the run, not only at its start,
  and `peak_flops` is the maximum over every repeat of every size of every round: on a busy
  machine a median (or one measurement at the start) under-measures the peak, and MFUs above 1
  followed. If a pretraining step's FLOP rate (median, min or max) still outruns the matmul
  peak, the peak is raised to that rate: MFUs are computed once, at the end, against the final
  peak, so none is above 1. `peak_source` says which it is ("matmul", or e.g. "ref-b's step
  rate"), `peak_note` why it was raised (None if not), `peak_matmul_flops` the matmul's own
  maximum, `peak_by_n` each size's maximum, `peak_spread` the [min, max] of every matmul repeat,
  `peak_n` the size that reached the maximum, `peak_rounds` how many rounds ran.
- pretraining shapes (`tiny small base medium` from params.yaml, vocabulary
  params.tokenizer.vocab_size; `ref-a`, `ref-b`, fixed reference shapes): one full pretraining
  step as pretrain.py runs it -- learning rate from lr_at, a batch from a TokenWindows over a
  random uint16 token array, forward under device.autocast, backward, clip_grad_norm_, AdamW
  from pretrain.make_optimizer, zero_grad, the running-loss sum. `page_faults_per_step` counts
  this process's minor page faults per timed step: with glibc's default malloc every tensor
  above its mmap threshold (32 MB at most; e.g. ref-a's 4096 x 4096 logits) is mapped and
  unmapped, so faulted in afresh, every step -- a CPU cost that is not FLOPs.
- `finetune`: one span-QA optimisation step (finetune.py's) on synthetic windows of
  FINETUNE_LENGTH tokens with the tiny preset, full (every parameter trains) and frozen (LM
  forward without autograd, only the head learns -- finetune.py's path when the hidden-state
  cache does not fit; `cached_examples_per_s` is the path when it does: head only).
- `eval`: evaluate.predict (windows, batched forward, span decoding) over the QA-SRL
  validation questions of a small embedded world, tiny preset, untrained weights.
- `tokenize`: data.tokens.encode_split over a JSONL of `tokenize_mb` MB of embedded-world
  documents, with a BPE trained by data.tokens.train_tokenizer on the same documents.

Which entries: `shapes` names them. An empty list (or None) means the default set: on CPU
`ref-a ref-b tiny small finetune eval tokenize`; on CUDA `base medium` are added after `small`.
`all` means every pretraining shape and the three stage entries. `finetune` yields two result
keys, `finetune_full` and `finetune_frozen`.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

try:
    import resource  # Unix only: minor page faults, the cost glibc's mmap/munmap of big tensors adds
except ImportError:  # pragma: no cover - Windows
    resource = None

from emergence import params as params_mod
from emergence.data.world import generate_world
from emergence.data.qa import qasrl_to_examples
from emergence.data.tokens import PAD, SEP, SPECIAL_TOKENS, encode_split, train_tokenizer
from emergence.device import autocast, pick_device
from emergence.evaluate import predict
from emergence.finetune import finetune_step, freeze_lm
from emergence.model import GPT, GPTConfig, SpanQA
from emergence.params import ModelSize, Params
from emergence.pretrain import TokenWindows, lr_at, make_optimizer, train_step
from emergence.windows import Window, collate

STAGES = ("finetune", "eval", "tokenize")
FINETUNE_LENGTH = 48        # tokens per synthetic finetuning window (the embedded world's are ~30-60)
TOKEN_ARRAY = 2_000_000     # random tokens the pretraining windows are drawn from (4 MB of uint16)
COMPILE_BACKEND = "inductor"  # torch.compile's default; tests swap in "eager" (graph capture only)


@dataclass(frozen=True)
class BenchShape:
    """A model and batch shape to time one pretraining step of."""
    vocab_size: int
    size: ModelSize  # lr / warmup_steps / max_steps only feed lr_at; they do not change the cost

    def config(self) -> GPTConfig:
        s = self.size
        return GPTConfig(vocab_size=self.vocab_size, context=s.context, n_layer=s.n_layer,
                         n_head=s.n_head, d_model=s.d_model)


def _ref(n_layer: int, n_head: int, d_model: int, context: int, vocab_size: int, batch_size: int) -> BenchShape:
    size = ModelSize(n_layer=n_layer, n_head=n_head, d_model=d_model, context=context,
                     batch_size=batch_size, max_steps=1000, lr=1e-3, warmup_steps=10,
                     hub_batch_size=batch_size, hub_passes=1.0)
    return BenchShape(vocab_size, size)


REFERENCE_SHAPES = {
    "ref-a": _ref(n_layer=2, n_head=2, d_model=128, context=128, vocab_size=4096, batch_size=32),
    "ref-b": _ref(n_layer=4, n_head=4, d_model=256, context=256, vocab_size=8192, batch_size=16),
}


def known_shapes(params: Params) -> dict[str, BenchShape]:
    """Every named pretraining shape: the reference shapes and params.yaml's presets."""
    presets = {name: BenchShape(params.tokenizer.vocab_size, size) for name, size in params.sizes.items()}
    return {**REFERENCE_SHAPES, **presets}


def default_names(device: torch.device) -> list[str]:
    big = ["base", "medium"] if device.type == "cuda" else []
    return ["ref-a", "ref-b", "tiny", "small", *big, *STAGES]


# --- FLOPs ----------------------------------------------------------------------------------

def flops_params(model: GPT) -> int:
    """N of the FLOPs estimate, nanoGPT's convention (`get_num_params(non_embedding=True)`):
    every parameter once -- the tied token embedding once, as it is the output matmul -- minus
    the position table, a lookup with no matmul."""
    return model.num_params() - model.wpe.weight.numel()


def flops_per_token(model: GPT) -> int:
    """Training FLOPs per token, nanoGPT / PaLM appendix B: 6 N + 12 L H Q T.

    6 N: forward (2 N) and backward (4 N) through every weight, N = flops_params(model).
    12 L H Q T: the attention scores and their weighted sum over a full context T (L layers, H
    heads of width Q), forward and backward, counted as if not causal (the usual convention).
    """
    cfg = model.cfg
    head_dim = cfg.d_model // cfg.n_head
    return 6 * flops_params(model) + 12 * cfg.n_layer * cfg.n_head * head_dim * cfg.context


# --- timing ---------------------------------------------------------------------------------

def _synchronizer(device: torch.device) -> Callable[[], None]:
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


@dataclass
class Timing:
    seconds: list[float]   # per call, one value per repeat
    first_call_s: float    # the first warm-up call (includes torch.compile's compilation)
    calls_per_repeat: int
    faults_per_call: float  # minor page faults of this process per timed call (0 where unknown)

    def median(self) -> float:
        return statistics.median(self.seconds)


def time_calls(fn: Callable[[], object], device: torch.device, repeats: int, warmup: int,
               min_repeat_s: float) -> Timing:
    """Seconds per call of fn: `warmup` untimed calls (at least one, which also calibrates how
    many calls make a repeat last min_repeat_s), then `repeats` timed repeats."""
    if repeats < 1:
        raise ValueError(f"repeats: must be >= 1, got {repeats}")
    sync = _synchronizer(device)
    first = last = 0.0
    for i in range(max(1, warmup)):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        last = time.perf_counter() - t0
        if i == 0:
            first = last
    calls = max(1, min(10_000, math.ceil(min_repeat_s / max(last, 1e-9))))
    seconds = []
    faults = _minor_faults()
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        seconds.append((time.perf_counter() - t0) / calls)
    faults = (_minor_faults() - faults) / (repeats * calls)
    return Timing(seconds, first, calls, faults)


def _rate(units: float, timing: Timing, key: str, time_key: str = "step_ms") -> dict:
    """units per second: median, and the min/max over repeats; the median call in ms."""
    rates = [units / s for s in timing.seconds]
    return {key: round(units / timing.median(), 2), f"{key}_min": round(min(rates), 2),
            f"{key}_max": round(max(rates), 2), time_key: round(timing.median() * 1e3, 4)}


# --- peak -----------------------------------------------------------------------------------

PEAK_SIZES = {"cpu": (1024, 1536, 2048), "cuda": (4096, 8192)}  # run_bench's default peak_n


@torch.no_grad()
def measure_peak(device: torch.device, dtype: torch.dtype, sizes: Sequence[int], repeats: int, warmup: int,
                 min_repeat_s: float) -> dict[int, list[float]]:
    """One round of the peak: for each n in sizes, the FLOP/s of every timed repeat of one
    n x n x n matmul (2 n^3 FLOPs) in dtype."""
    rates = {}
    for n in sizes:
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        c = torch.empty(n, n, device=device, dtype=dtype)
        timing = time_calls(lambda: torch.mm(a, b, out=c), device, repeats, warmup, min_repeat_s)
        rates[n] = [2.0 * n ** 3 / s for s in timing.seconds]
        del a, b, c
    return rates


def summarise_peak(rounds: list[dict[int, list[float]]]) -> dict:
    """The matmul peak over every round and size measured: its maximum (a rate this machine's
    matmul did reach; a median under-measures a busy machine), the size that reached it, and
    the [min, max] of every repeat."""
    best = {}
    for rates in rounds:
        for n, values in rates.items():
            best[n] = max(best.get(n, 0.0), *values)
    every = [r for rates in rounds for values in rates.values() for r in values]
    top = max(every)
    return {"peak_flops": top, "peak_spread": [min(every), top], "peak_n": max(best, key=best.get),
            "peak_matmul_flops": top, "peak_by_n": {str(n): rate for n, rate in best.items()},
            "peak_rounds": len(rounds), "peak_source": "matmul", "peak_note": None}


def finalise_mfu(result: dict, matmul_peak: float) -> dict:
    """Set mfu, mfu_min and mfu_max of every pretraining entry of result (those with a
    flops_per_token) against one final peak, in place; returns result.

    The final peak is the larger of matmul_peak and the fastest FLOP rate any entry reached
    (flops_per_token times tokens_per_s, _min or _max): a step that outruns the matmul shows the
    matmul under-measured the peak, so the peak is raised to that step's rate rather than an MFU
    reported above 1. peak_flops, peak_source ("matmul" or "<entry>'s step rate") and peak_note
    (None, or why the peak was raised) say which it was.
    """
    entries = {name: e for name, e in result.items() if isinstance(e, dict) and "flops_per_token" in e}
    peak, source = matmul_peak, None
    for name, entry in entries.items():
        fastest = max(entry["tokens_per_s"], entry["tokens_per_s_min"], entry["tokens_per_s_max"])
        rate = entry["flops_per_token"] * fastest
        if rate > peak:
            peak, source = rate, name
    for entry in entries.values():
        fpt = entry["flops_per_token"]
        entry["mfu"] = round(fpt * entry["tokens_per_s"] / peak, 4)
        entry["mfu_min"] = round(fpt * entry["tokens_per_s_min"] / peak, 4)
        entry["mfu_max"] = round(fpt * entry["tokens_per_s_max"] / peak, 4)
    result["peak_flops"] = peak
    result["peak_source"] = "matmul" if source is None else f"{source}'s step rate"
    result["peak_note"] = None if source is None else (
        f"peak raised from the matmul's {matmul_peak / 1e9:,.1f} to {peak / 1e9:,.1f} GFLOP/s, "
        f"{source}'s fastest step rate: the matmul under-measured this machine's peak (a busy machine?), "
        f"so every MFU is against the raised peak")
    return result


# --- pretraining ----------------------------------------------------------------------------

def bench_pretrain(shape: BenchShape, params: Params, device: torch.device, repeats: int, warmup: int,
                   min_repeat_s: float, compile: bool = False) -> dict:
    """Tokens/s of one pretraining step of shape. No MFU yet: finalise_mfu sets it once the
    peak is final."""
    size = shape.size
    rng = np.random.default_rng(params.seed)
    tokens = rng.integers(0, shape.vocab_size, size=max(TOKEN_ARRAY, 4 * (size.context + 1)), dtype=np.uint16)
    windows = TokenWindows([tokens], size.context, size.batch_size, params.seed)
    torch.manual_seed(params.seed)
    model = GPT(shape.config()).to(device)
    optimizer = make_optimizer(model, params.pretrain, size.lr, device)
    runner = torch.compile(model, backend=COMPILE_BACKEND) if compile else model
    running = torch.zeros((), device=device)
    counter = iter(range(1 << 62))

    def step():
        lr = lr_at(next(counter), size, params.pretrain.min_lr_ratio)
        running.add_(train_step(runner, optimizer, windows, lr, params.pretrain.grad_clip, device).float())

    timing = time_calls(step, device, repeats, warmup, min_repeat_s)
    if not math.isfinite(running.item()):
        raise FloatingPointError("benchmark pretraining loss is not finite")
    tokens_per_step = size.batch_size * size.context
    fpt = flops_per_token(model)
    result = _rate(tokens_per_step, timing, "tokens_per_s")
    result.update({
        "params": model.num_params(),
        "flops_params": flops_params(model),
        "flops_per_token": fpt,
        "tokens_per_step": tokens_per_step,
        "steps_per_repeat": timing.calls_per_repeat,
        "page_faults_per_step": round(timing.faults_per_call),
        "shape": {"n_layer": size.n_layer, "n_head": size.n_head, "d_model": size.d_model,
                  "context": size.context, "vocab_size": shape.vocab_size, "batch_size": size.batch_size},
    })
    if compile:
        result["compile_s"] = round(timing.first_call_s, 2)
    return result


# --- finetuning -----------------------------------------------------------------------------

def synthetic_windows(n: int, length: int, vocab_size: int, sep: int, seed: int) -> list[Window]:
    """n labelled windows of `length` random tokens: question (a quarter), <|sep|>, context,
    with an answer span of 1-3 tokens somewhere in the context."""
    rng = np.random.default_rng(seed)
    q = length // 4
    out = []
    for i in range(n):
        ids = rng.integers(3, vocab_size, size=length).tolist()
        ids[q] = sep
        offsets = (None,) * (q + 1) + tuple((4 * k, 4 * k + 3) for k in range(length - q - 1))
        start = int(rng.integers(q + 1, length - 3))
        out.append(Window(example=i, ids=tuple(ids), offsets=offsets, start=start,
                          end=start + int(rng.integers(0, 3))))
    return out


def bench_finetune(params: Params, device: torch.device, repeats: int, warmup: int,
                   min_repeat_s: float) -> dict[str, dict]:
    """Examples/s of finetune.py's step, full and frozen, tiny preset, batch finetune.batch_size."""
    fp = params.finetune
    shape = BenchShape(params.tokenizer.vocab_size, params.size("tiny"))
    # The BPE trainer gives the special tokens the first ids, in SPECIAL_TOKENS order.
    pad, sep = SPECIAL_TOKENS.index(PAD), SPECIAL_TOKENS.index(SEP)
    length = min(FINETUNE_LENGTH, shape.size.context)
    windows = synthetic_windows(8 * fp.batch_size, length, shape.vocab_size, sep, params.seed)
    collated = collate(windows, pad)
    rng = np.random.default_rng(params.seed)
    results = {}
    for freeze in (False, True):
        torch.manual_seed(params.seed)
        model = SpanQA(GPT(shape.config())).to(device)
        if freeze:
            freeze_lm(model)
        lr = fp.lr_frozen if freeze else fp.lr_full
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
        model.train(not freeze)

        def step(cache=None):
            idx = torch.from_numpy(rng.choice(len(windows), size=fp.batch_size, replace=False))
            finetune_step(model, optimizer, collated, idx, lr, freeze, device, cache)

        timing = time_calls(step, device, repeats, warmup, min_repeat_s)
        result = _rate(fp.batch_size, timing, "examples_per_s")
        result.update({"batch_size": fp.batch_size, "length": length,
                       "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad)})
        if freeze:
            with torch.no_grad(), autocast(device):
                cache = model.lm.hidden_states(collated["ids"].to(device)).float().cpu()
            cached = time_calls(lambda: step(cache), device, repeats, warmup, min_repeat_s)
            result["cached_examples_per_s"] = round(fp.batch_size / cached.median(), 2)
        results["finetune_frozen" if freeze else "finetune_full"] = result
    return results


# --- eval and tokenize: a small embedded world ----------------------------------------------

class _World:
    """Documents, QA examples and a trained tokenizer, built once per run_bench call."""

    def __init__(self, params: Params, workdir: Path):
        world = generate_world(params.seed, {"train": 300}, {"train": 1}, {"validation": 100})
        self.documents = world["wiki"]["train"]
        self.examples, _ = qasrl_to_examples(world["qasrl"]["validation"])
        texts = [d["text"] for d in self.documents] + [ex.context for ex in self.examples]
        self.tok = train_tokenizer(iter(texts), params.tokenizer.vocab_size, params.tokenizer.min_frequency)
        self.workdir = workdir


def bench_eval(world: _World, params: Params, device: torch.device, repeats: int, warmup: int,
               min_repeat_s: float) -> dict:
    shape = BenchShape(params.tokenizer.vocab_size, params.size("tiny"))
    torch.manual_seed(params.seed)
    model = SpanQA(GPT(shape.config())).to(device)
    timing = time_calls(lambda: predict(model, world.examples, world.tok, params.finetune, params.eval, device),
                        device, repeats, warmup, min_repeat_s)
    result = _rate(len(world.examples), timing, "examples_per_s", "call_ms")
    result["examples"] = len(world.examples)
    return result


def bench_tokenize(world: _World, repeats: int, warmup: int, min_repeat_s: float, megabytes: float) -> dict:
    src = world.workdir / "wiki.jsonl"
    with open(src, "w") as f:
        written, i = 0, 0
        while written < megabytes * 1e6:
            line = json.dumps(world.documents[i % len(world.documents)], ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode())
            i += 1
    dst = world.workdir / "wiki.bin"
    n_bytes = src.stat().st_size
    n_tokens = encode_split(world.tok, src, "wiki", dst)
    timing = time_calls(lambda: encode_split(world.tok, src, "wiki", dst), torch.device("cpu"),
                        repeats, warmup, min_repeat_s)
    result = _rate(n_bytes / 1e6, timing, "mb_per_s", "call_ms")
    result["tokens_per_s"] = round(n_tokens / timing.median(), 1)
    result["megabytes"] = round(n_bytes / 1e6, 3)
    result["vocab_size"] = world.tok.get_vocab_size()
    return result


# --- entry ----------------------------------------------------------------------------------

def resolve_names(shapes: list[str] | None, table: dict[str, BenchShape], device: torch.device) -> list[str]:
    names = list(shapes or default_names(device))
    if "all" in names:
        names = [*table, *STAGES]
    known = [*table, *STAGES, "all"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown benchmark shape {unknown[0]!r} (known: {', '.join(known)})")
    return list(dict.fromkeys(names))  # drop repeats, keep order


def run_bench(shapes: list[str] | None, device_name: str = "auto", repeats: int = 5, warmup: int = 2,
              params: Params | None = None, *, compile: bool = False,
              extra_shapes: dict[str, BenchShape] | None = None, min_repeat_s: float = 0.2,
              peak_n: int | Sequence[int] | None = None, tokenize_mb: float = 4.0) -> dict:
    """Time the named entries on one device; returns a JSON-serialisable dict (see module doc).

    shapes: pretraining shape names (`ref-a ref-b tiny small base medium`, plus extra_shapes),
        `finetune`, `eval`, `tokenize`, or `all`; empty/None for the device's default set.
    params: the validated params (presets, optimizer settings, seed); None reads params.yaml
        from the working directory.
    compile: also time each pretraining shape with the model wrapped in torch.compile, under
        the key `<shape>+compile` (with `compile_s`, the first step's wall time).
    extra_shapes: more named BenchShapes (tests use a micro one).
    min_repeat_s: a timed repeat runs the call enough times to last at least this long.
    peak_n: the peak matmul's size, or sizes (default PEAK_SIZES: 1024 1536 2048 on CPU, 4096
        8192 on CUDA).

    Keys: device, dtype, threads, torch, peak_flops (FLOP/s, the final peak), peak_spread ([min,
    max] of every matmul repeat), peak_n (the size that reached the matmul's maximum),
    peak_matmul_flops, peak_by_n, peak_rounds, peak_source, peak_note (see module doc);
    per pretraining shape: tokens_per_s (+ _min, _max), mfu (+ _min, _max), step_ms (median),
    params (every parameter once), flops_params, flops_per_token, page_faults_per_step, ...;
    finetune_full and finetune_frozen: examples_per_s (+ _min, _max), step_ms; eval:
    examples_per_s (+ _min, _max), call_ms; tokenize: mb_per_s (+ _min, _max), call_ms.
    MFU = flops_per_token * tokens_per_s / peak_flops, FLOPs as in flops_per_token; never above 1.
    """
    if params is None:
        params = params_mod.load("params.yaml")
    device = pick_device(device_name)
    table = {**known_shapes(params), **(extra_shapes or {})}
    names = resolve_names(shapes, table, device)
    cuda = device.type == "cuda"
    dtype = torch.bfloat16 if cuda else torch.float32
    sizes = (peak_n,) if isinstance(peak_n, int) else tuple(peak_n or PEAK_SIZES["cuda" if cuda else "cpu"])
    threads = torch.get_num_threads()
    head = {
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "dtype": str(dtype).removeprefix("torch."),
        "threads": threads,
        "torch": torch.__version__,
        "repeats": repeats,
        "warmup": warmup,
    }
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    if cuda:  # as pretrain.py sets them
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    rounds: list[dict[int, list[float]]] = []
    entries: dict = {}

    def same_threads():  # the peak and every shape in one torch threads setting
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

    def peak_round():
        same_threads()
        rounds.append(measure_peak(device, dtype, sizes, repeats, warmup, min_repeat_s))
        if cuda:
            torch.cuda.empty_cache()

    try:
        peak_round()
        with tempfile.TemporaryDirectory(prefix="emergence-bench-") as tmp:
            world = None
            for name in names:
                if name in table:
                    for key, compiled in [(name, False), *([(f"{name}+compile", True)] if compile else [])]:
                        same_threads()
                        entries[key] = bench_pretrain(table[name], params, device, repeats, warmup, min_repeat_s,
                                                     compile=compiled)
                        if cuda:
                            torch.cuda.empty_cache()  # the shape's model is gone; give its memory back
                        peak_round()  # between shapes: the running maximum sees every quiet moment
                elif name == "finetune":
                    entries.update(bench_finetune(params, device, repeats, warmup, min_repeat_s))
                else:
                    world = world or _World(params, Path(tmp))
                    if name == "eval":
                        entries["eval"] = bench_eval(world, params, device, repeats, warmup, min_repeat_s)
                    else:
                        entries["tokenize"] = bench_tokenize(world, repeats, warmup, min_repeat_s, tokenize_mb)
    finally:
        if cuda:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    summary = summarise_peak(rounds)
    return finalise_mfu({**head, **summary, **entries}, summary["peak_matmul_flops"])
