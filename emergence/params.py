"""params.yaml -> frozen dataclasses, validated once.

No other module reads params.yaml. Every rule a user can break ends in a ParamsError whose
message names the key, the bad value and what is allowed; the CLI turns it into one line and
exit code 2 before any stage starts or writes anything.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml

from emergence.errors import UserError

SIZES = ("tiny", "small", "base", "medium")
# wiki+nq: the ablation with question-answer lines; wiki+qa: the positive control, whose text also
# holds the QA training questions; none: no pretraining (the random init; full finetuning from it
# is the scratch control)
PRETRAIN_DATA = ("wiki", "wiki+nq", "wiki+qa", "none")
SOURCES = ("embedded", "hub", "local")
QASRL_VERSIONS = ("1.0", "2.0")
TASKS = ("qasrl", "squad")  # what the span head is trained and scored on
DEVICES = ("auto", "cpu", "cuda")
SPLITS = ("train", "validation")
MAX_UNSEEN_VERBS = 12  # of the 29 verbs that head main clauses only (emergence/data/world/questions.py)
BACKENDS = ("local", "docker", "modal")
# Modal's GPU types (`modal.gpu` may add a count, "A10G:2"); Modal checks again on its side.
MODAL_GPUS = ("T4", "L4", "A10", "A10G", "A100", "A100-40GB", "A100-80GB", "L40S", "H100", "H100!", "H200", "B200")
MODAL_MAX_TIMEOUT = 24 * 3600  # Modal's limit for one function call


class ParamsError(UserError, ValueError):
    """A bad value in params.yaml or on the command line."""


@dataclass(frozen=True)
class SplitCounts:
    train: int
    validation: int

    def as_dict(self) -> dict[str, int]:
        return {"train": self.train, "validation": self.validation}


@dataclass(frozen=True)
class EmbeddedParams:
    seed: int  # the world's own seed: runs that differ only in `seed` share one world
    documents: SplitCounts
    nq: SplitCounts
    qasrl_sentences: SplitCounts
    unseen_verbs: int = 0  # verbs kept out of QA-SRL train (validation and stories still use them)


@dataclass(frozen=True)
class TokenizerParams:
    vocab_size: int
    min_frequency: int
    train_sample_mb: float  # BPE merges are learned from this much of wiki/train, spread evenly


@dataclass(frozen=True)
class ModelSize:
    n_layer: int
    n_head: int
    d_model: int
    context: int
    batch_size: int      # embedded world: sequences per step ...
    max_steps: int       # ... and steps (this CPU's budgets)
    lr: float
    warmup_steps: int
    hub_batch_size: int  # hub/local: sequences per step ...
    hub_passes: float    # ... and passes over the pretraining tokens (see pretrain.budget)


@dataclass(frozen=True)
class PretrainParams:
    weight_decay: float
    beta1: float
    beta2: float
    grad_clip: float
    min_lr_ratio: float
    eval_interval: int
    eval_batches: int
    checkpoint_interval: int
    micro_batches: int
    compile: bool
    device: str
    snapshots: int  # weights kept at this many log-spaced steps (0 included) for probing over time


@dataclass(frozen=True)
class FinetuneParams:
    max_length: int
    doc_stride: int
    batch_size: int
    lr_full: float
    lr_frozen: float
    epochs: int
    min_steps: int
    warmup_steps: int
    checkpoint_interval: int


@dataclass(frozen=True)
class EvalParams:
    top_k: int
    max_answer_length: int


@dataclass(frozen=True)
class DockerParams:
    image: str  # the tag `docker build -t` gave the project's image; never pulled


@dataclass(frozen=True)
class StageTimeouts:
    """Seconds one call of each subcommand may run on Modal."""
    download: int
    tokenize: int
    pretrain: int
    finetune: int
    eval: int
    probe: int
    run: int
    bench: int


@dataclass(frozen=True)
class ModalParams:
    gpu: str
    volume: str
    timeouts: StageTimeouts


@dataclass(frozen=True)
class ProbeParams:
    question_aware: bool  # the bilinear span head that reads the <|sep|> state, beside the linear one
    roles: bool           # the edge-probing role classifier, layer by layer and across snapshots


@dataclass(frozen=True)
class Params:
    model: str
    pretrain_data: str
    freeze: bool
    finetune_samples: int | str  # "all" or a positive int
    pretrain_tokens: int | str  # "preset" (the size's own budget) or a token count
    seed: int
    seeds: tuple[int, ...]  # what `emergence grid` expands over; `seed` is the current run's
    source: str
    local_dir: str
    qasrl_version: str
    task: str
    embedded: EmbeddedParams
    tokenizer: TokenizerParams
    sizes: dict[str, ModelSize]
    pretrain: PretrainParams
    finetune: FinetuneParams
    eval: EvalParams
    probe: ProbeParams
    backend: str  # where stages run; not a stage dependency (outputs do not depend on it)
    docker: DockerParams
    modal: ModalParams

    def size(self, name: str | None = None) -> ModelSize:
        return self.sizes[name or self.model]


# --- generic checking ------------------------------------------------------------------------

def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _check_scalar(value, tp, key: str):
    """Accept value for the scalar type tp, or raise ParamsError naming key."""
    # bool is a subclass of int in Python; a `true` where a number belongs is a mistake.
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, tp)
    if not ok:
        raise ParamsError(f"{key}: expected {_type_name(tp)}, got {value!r}")
    return value


def _build(cls, data, key: str):
    """Build dataclass cls from a mapping, rejecting missing and unknown keys."""
    if not isinstance(data, dict):
        raise ParamsError(f"{key or 'params'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ParamsError(f"{key}.{unknown[0]}: unknown key (allowed: {', '.join(names)})".lstrip("."))
    values = {}
    for name in names:
        sub = f"{key}.{name}" if key else name
        if name not in data:
            raise ParamsError(f"{sub}: missing key")
        values[name] = _convert(data[name], hints[name], sub)
    return cls(**values)


def _convert(value, tp, key: str):
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    origin = typing.get_origin(tp)
    if origin is dict:
        _, value_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ParamsError(f"{key}: expected a mapping, got {value!r}")
        return {k: _convert(v, value_tp, f"{key}.{k}") for k, v in value.items()}
    if origin is tuple:  # homogeneous, written as a YAML list
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, (list, tuple)):
            raise ParamsError(f"{key}: expected a list, got {value!r}")
        return tuple(_convert(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return value  # checked by the field's own rule below
    return _check_scalar(value, tp, key)


def _choice(key: str, value, allowed) -> None:
    if value not in allowed:
        raise ParamsError(f"{key}: {value!r} is not one of {', '.join(map(str, allowed))}")


def _positive(key: str, value) -> None:
    if value <= 0:
        raise ParamsError(f"{key}: must be > 0, got {value!r}")


def parse_samples(value) -> int | str:
    """`all` or a positive integer; strings of digits (from the CLI or `-S`) are accepted."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value == "all":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParamsError(f"finetune_samples: {value!r} is not 'all' or a positive integer")
    return value


TOKEN_SUFFIX = {"K": 10**3, "M": 10**6, "G": 10**9}


def parse_tokens(value) -> int | str:
    """`preset` or a positive token count: an integer, or digits with K/M/G ("250K", "10M",
    "2.5M"). Whole counts only, so "1.5K" is 1500 but "1.0005K" is an error."""
    given = value
    if isinstance(value, str) and value != "preset":
        text = value.strip().upper().replace("_", "")
        scale = TOKEN_SUFFIX.get(text[-1:], 1)
        number = text[:-1] if text[-1:] in TOKEN_SUFFIX else text
        try:
            exact = float(number) * scale
        except ValueError:
            exact = -1.0
        value = int(exact) if exact == int(exact) else -1
    if value == "preset":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParamsError(f"pretrain_tokens: {given!r} is not 'preset' or a positive token count (e.g. 10M)")
    return value


def check_seeds(seeds) -> tuple[int, ...]:
    """A non-empty list of distinct non-negative integers (`seeds`, or `emergence grid --seeds`)."""
    if not seeds:
        raise ParamsError("seeds: empty (give at least one, e.g. [0, 1, 2])")
    for seed in seeds:
        if seed < 0:
            raise ParamsError(f"seeds: {seed} is negative (seeds are non-negative integers)")
        if list(seeds).count(seed) > 1:
            raise ParamsError(f"seeds: {seed} appears twice (seeds must be distinct)")
    return tuple(seeds)


def validate(p: Params) -> Params:
    """Rules beyond types. Returns p unchanged when everything holds."""
    _choice("model", p.model, SIZES)
    _choice("pretrain_data", p.pretrain_data, PRETRAIN_DATA)
    _choice("source", p.source, SOURCES)
    _choice("qasrl_version", p.qasrl_version, QASRL_VERSIONS)
    _choice("task", p.task, TASKS)
    _choice("pretrain.device", p.pretrain.device, DEVICES)
    _choice("backend", p.backend, BACKENDS)
    parse_samples(p.finetune_samples)
    check_seeds(p.seeds)
    if p.source == "local" and not p.local_dir:
        raise ParamsError("local_dir: empty, but source is 'local' (set it to the mirror's folder)")
    missing = [s for s in SIZES if s not in p.sizes]
    if missing:
        raise ParamsError(f"sizes.{missing[0]}: missing preset (need {', '.join(SIZES)})")
    for name, size in p.sizes.items():
        for field in dataclasses.fields(ModelSize):
            _positive(f"sizes.{name}.{field.name}", getattr(size, field.name))
        if size.context < p.finetune.max_length:
            raise ParamsError(f"finetune.max_length: {p.finetune.max_length} is longer than sizes.{name}.context={size.context}")
        if size.d_model % size.n_head:
            raise ParamsError(f"sizes.{name}.d_model: {size.d_model} is not divisible by n_head={size.n_head}")
    if p.embedded.seed < 0:
        raise ParamsError(f"embedded.seed: must be >= 0, got {p.embedded.seed}")
    if not 0 <= p.embedded.unseen_verbs <= MAX_UNSEEN_VERBS:
        raise ParamsError(f"embedded.unseen_verbs: {p.embedded.unseen_verbs} is outside [0, {MAX_UNSEEN_VERBS}] "
                          "(QA training needs most verbs)")
    for section in ("embedded.documents", "embedded.nq", "embedded.qasrl_sentences"):
        counts = getattr(p.embedded, section.split(".")[1])
        for split in SPLITS:
            _positive(f"{section}.{split}", getattr(counts, split))
    _positive("tokenizer.train_sample_mb", p.tokenizer.train_sample_mb)
    if p.pretrain.snapshots < 2:
        raise ParamsError(f"pretrain.snapshots: {p.pretrain.snapshots} is fewer than 2 (the random init and the end)")
    if p.tokenizer.vocab_size < 260:
        raise ParamsError(f"tokenizer.vocab_size: {p.tokenizer.vocab_size} is below the 256 bytes + special tokens")
    for key in ("max_length", "batch_size", "epochs", "min_steps", "checkpoint_interval"):
        _positive(f"finetune.{key}", getattr(p.finetune, key))
    if not 0 <= p.finetune.doc_stride < p.finetune.max_length // 2:
        raise ParamsError(f"finetune.doc_stride: {p.finetune.doc_stride} must be in [0, max_length/2)")
    for key in ("lr_full", "lr_frozen"):
        _positive(f"finetune.{key}", getattr(p.finetune, key))
    _positive("eval.top_k", p.eval.top_k)
    _positive("eval.max_answer_length", p.eval.max_answer_length)
    for key in ("eval_interval", "eval_batches", "checkpoint_interval", "micro_batches", "grad_clip"):
        _positive(f"pretrain.{key}", getattr(p.pretrain, key))
    validate_backends(p)
    return p


def validate_backends(p: Params) -> None:
    if not re.fullmatch(r"[\w][\w.:/@-]*", p.docker.image):
        raise ParamsError(f"docker.image: {p.docker.image!r} is not an image tag (e.g. emergence:latest)")
    gpu, _, count = p.modal.gpu.partition(":")
    if gpu.upper() not in MODAL_GPUS or (count and not (count.isdigit() and int(count) > 0)):
        raise ParamsError(f"modal.gpu: {p.modal.gpu!r} is not one of {', '.join(MODAL_GPUS)} (optionally :count)")
    if not re.fullmatch(r"[\w.-]{1,63}", p.modal.volume):
        raise ParamsError(f"modal.volume: {p.modal.volume!r} is not a Volume name (letters, digits, . _ -; at most 63)")
    for field in dataclasses.fields(StageTimeouts):
        seconds = getattr(p.modal.timeouts, field.name)
        if not 10 <= seconds <= MODAL_MAX_TIMEOUT:
            raise ParamsError(f"modal.timeouts.{field.name}: {seconds} s is outside Modal's 10..{MODAL_MAX_TIMEOUT} s")


def from_dict(data: dict) -> Params:
    params = _build(Params, data, "")
    params = dataclasses.replace(params, finetune_samples=parse_samples(params.finetune_samples),
                                 pretrain_tokens=parse_tokens(params.pretrain_tokens))
    return validate(params)


def apply_settings(data: dict, settings) -> dict:
    """`dvc exp run -S` style KEY=VALUE settings (dotted keys, YAML values) applied to a copy of
    the params mapping; a key that is not there is an error, as it would be for DVC's params."""
    data = copy.deepcopy(data)
    for setting in settings:
        key, eq, text = setting.partition("=")
        if not eq or not key:
            raise ParamsError(f"{setting!r}: not KEY=VALUE")
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            raise ParamsError(f"{key}: unknown key")
        node[leaf] = yaml.safe_load(text)
    return data


def load(path: str | Path = "params.yaml", settings=(), **overrides) -> Params:
    """Read, apply KEY=VALUE `settings` and overrides (CLI flags for one run; None means 'not
    given') and validate."""
    path = Path(path)
    if not path.exists():
        raise ParamsError(f"{path}: not found (run from the project root, or pass --params)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML ({err.__class__.__name__})") from None
    data = apply_settings(dict(data or {}), settings)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return from_dict(data)
