"""Where every file of the study goes: the one module that knows the tree. Paths are relative
to the project root, where dvc.yaml runs the commands.

    data/source.json                          fingerprint
    data/raw/<corpus>/<split>.jsonl           download (and data/raw/manifest.json)
    data/tokens/tokenizer.json, meta.json,    tokenize
                <corpus>/<split>.bin
    models/pretrain/<size>-<data>/            pretrain    (+ checkpoints/: the weights at a few steps)
    metrics/pretrain/<size>-<data>.json                   (+ -loss.csv, -val.csv)
    models/finetune/<run>/                    finetune    (<run>: finetune_name)
    metrics/finetune/<run>.json                           (+ -loss.csv)
    metrics/eval.json                         eval        (+ metrics/predictions.json)
    metrics/probe.json                        probe       (+ probe-layers.csv, probe-time.csv)
    .resume/<stage>/<name>/                   resume checkpoints: never DVC outputs, removed when
                                              the stage completes

Each training or scoring stage takes its paths as one frozen object built here (`pretrain_paths`
and its siblings; tests build them on temporary folders), and `stage_files` is the table of every
stage's inputs and outputs that the backends sync and dvc.yaml lists (tests/test_backends.py
checks the two agree). What is inside a checkpoint folder (model.safetensors, config.json) is
the checkpoint format's business (files.py), inside a resume folder resume.py's.

Imports only the standard library and params: the report, the backends and the tests read it
without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emergence.params import Params

RAW = Path("data/raw")
SOURCE_FINGERPRINT = Path("data/source.json")
TOKENS = Path("data/tokens")
MODELS = Path("models")
METRICS = Path("metrics")
RESUME = Path(".resume")
PARAMS = Path("params.yaml")      # the default params file
PRETRAINED = MODELS / "pretrain"  # one folder a pretrained LM
FINETUNED = MODELS / "finetune"   # one folder a finetuned span-QA model

MANIFEST = "manifest.json"        # in the raw folder: the download's source, seed and record counts
TOKENIZER = "tokenizer.json"      # in the tokens folder: the BPE
TOKENS_META = "meta.json"         # in the tokens folder: vocabulary size, id dtype, token counts
SNAPSHOTS = "checkpoints"         # in a pretrained model's folder: step-<N>.safetensors
EVAL = METRICS / "eval.json"      # fixed paths, so `dvc metrics diff` compares runs
PREDICTIONS = METRICS / "predictions.json"
PROBE = METRICS / "probe.json"
REPORT = METRICS / "report.md"    # `emergence report`
REPORT_RECORDS = "runs.json"      # in the report's folder, beside its plots: the records it was built from

# Curves sit beside their metrics file: <stem><suffix>.
LOSS_CURVE = "-loss.csv"
VAL_CURVE = "-val.csv"
LAYERS_CURVE = "-layers.csv"
TIME_CURVE = "-time.csv"


def curve(metrics: Path, suffix: str) -> Path:
    return metrics.with_name(metrics.stem + suffix)


def report_dir(report: Path) -> Path:
    """The folder of a report's plots and records: named after the report file (metrics/report/)."""
    return Path(report).with_suffix("")


def raw_file(raw: Path, corpus: str, split: str) -> Path:
    return Path(raw) / corpus / f"{split}.jsonl"


def token_file(tokens: Path, corpus: str, split: str) -> Path:
    return Path(tokens) / corpus / f"{split}.bin"


def snapshot_file(directory: Path, step: int) -> Path:
    return Path(directory) / f"step-{step:09d}.safetensors"


def pretrain_name(size: str, data: str) -> str:
    return f"{size}-{data}"


def finetune_name(size: str, data: str, freeze: bool, samples: int | str) -> str:
    """`freeze` is spelled as DVC interpolates a boolean (false/true), so dvc.yaml builds the same path."""
    return f"{size}-{data}-freeze-{str(freeze).lower()}-{samples}"


# --- each stage's paths --------------------------------------------------------------------

@dataclass(frozen=True)
class PretrainPaths:
    tokens: Path                # the tokens folder (every corpus's train split, wiki's validation)
    out: Path                   # the model folder
    metrics: Path               # metrics JSON; the curves go beside it
    resume: Path | None = None  # resume checkpoints; None: none are kept

    @property
    def loss_curve(self) -> Path:
        return curve(self.metrics, LOSS_CURVE)

    @property
    def val_curve(self) -> Path:
        return curve(self.metrics, VAL_CURVE)

    @property
    def snapshots(self) -> Path:
        return self.out / SNAPSHOTS

    @property
    def training_snapshots(self) -> Path:
        """Where snapshots go while training: beside the resume checkpoint (DVC empties the model
        folder before it reruns a stage, which would lose them on resume), else the model folder."""
        return self.resume / "snapshots" if self.resume else self.snapshots

    @property
    def inputs(self) -> tuple[Path, ...]:
        return (self.tokens,)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return (self.out, self.metrics, self.loss_curve, self.val_curve)


@dataclass(frozen=True)
class FinetunePaths:
    tokens: Path                # the tokens folder (its tokenizer)
    pretrained: Path            # the pretrained model folder
    qa_train: Path              # the task's training questions
    out: Path                   # the finetuned model folder
    metrics: Path               # metrics JSON; the loss curve goes beside it
    resume: Path | None = None

    @property
    def tokenizer(self) -> Path:
        return self.tokens / TOKENIZER

    @property
    def loss_curve(self) -> Path:
        return curve(self.metrics, LOSS_CURVE)

    @property
    def inputs(self) -> tuple[Path, ...]:
        return (self.pretrained, self.qa_train, self.tokenizer)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return (self.out, self.metrics, self.loss_curve)


@dataclass(frozen=True)
class EvalPaths:
    tokens: Path
    finetuned: Path             # the finetuned model folder
    qa_validation: Path
    metrics: Path
    predictions: Path
    qa_train: Path | None = None  # for the positive control on a fully finetuned LM; None: skipped

    @property
    def tokenizer(self) -> Path:
        return self.tokens / TOKENIZER

    @property
    def inputs(self) -> tuple[Path, ...]:
        return (self.finetuned, *([self.qa_train] if self.qa_train else []), self.qa_validation, self.tokenizer)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return (self.metrics, self.predictions)


@dataclass(frozen=True)
class ProbePaths:
    tokens: Path
    pretrained: Path            # the pretrained model folder, with its snapshots
    qa_train: Path
    qa_validation: Path
    metrics: Path               # metrics JSON; the layer and time curves go beside it

    @property
    def tokenizer(self) -> Path:
        return self.tokens / TOKENIZER

    @property
    def snapshots(self) -> Path:
        return self.pretrained / SNAPSHOTS

    @property
    def layers_curve(self) -> Path:
        return curve(self.metrics, LAYERS_CURVE)

    @property
    def time_curve(self) -> Path:
        return curve(self.metrics, TIME_CURVE)

    @property
    def inputs(self) -> tuple[Path, ...]:
        return (self.pretrained, self.qa_train, self.qa_validation, self.tokenizer)

    @property
    def outputs(self) -> tuple[Path, ...]:
        return (self.metrics, self.layers_curve, self.time_curve)


def pretrained_dir(size: str, data: str) -> Path:
    return PRETRAINED / pretrain_name(size, data)


def pretrain_paths(size: str, data: str) -> PretrainPaths:
    name = pretrain_name(size, data)
    return PretrainPaths(tokens=TOKENS, out=pretrained_dir(size, data), metrics=METRICS / "pretrain" / f"{name}.json",
                         resume=RESUME / "pretrain" / name)


def finetune_paths(size: str, data: str, freeze: bool, samples: int | str, task: str) -> FinetunePaths:
    name = finetune_name(size, data, freeze, samples)
    return FinetunePaths(tokens=TOKENS, pretrained=pretrained_dir(size, data), qa_train=raw_file(RAW, task, "train"),
                         out=FINETUNED / name, metrics=METRICS / "finetune" / f"{name}.json",
                         resume=RESUME / "finetune" / name)


def eval_paths(size: str, data: str, freeze: bool, samples: int | str, task: str) -> EvalPaths:
    return EvalPaths(tokens=TOKENS, finetuned=FINETUNED / finetune_name(size, data, freeze, samples),
                     qa_validation=raw_file(RAW, task, "validation"), metrics=EVAL, predictions=PREDICTIONS,
                     qa_train=raw_file(RAW, task, "train"))


def probe_paths(size: str, data: str, task: str) -> ProbePaths:
    return ProbePaths(tokens=TOKENS, pretrained=pretrained_dir(size, data), qa_train=raw_file(RAW, task, "train"),
                      qa_validation=raw_file(RAW, task, "validation"), metrics=PROBE)


# --- the table of every stage's inputs and outputs -----------------------------------------

@dataclass(frozen=True)
class StageFiles:
    """What a subcommand reads and writes, relative to the project root."""
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def stage_files(command: str, p: Params, flags: dict) -> StageFiles | None:
    """The files `emergence <command>` reads and writes with params `p` (which already carry the
    command's flag overrides); dvc.yaml lists the same paths. `run`, the whole chain without DVC,
    depends on its flags (`flags`: click's values) and on what is already here. None for a
    command that is not a stage."""
    pre = pretrain_paths(p.model, p.pretrain_data)
    fin = finetune_paths(p.model, p.pretrain_data, p.freeze, p.finetune_samples, p.task)
    ev = eval_paths(p.model, p.pretrain_data, p.freeze, p.finetune_samples, p.task)
    probe = probe_paths(p.model, p.pretrain_data, p.task)
    table: dict[str, tuple[tuple[Path, ...], tuple[Path, ...]]] = {
        "fingerprint": ((), (SOURCE_FINGERPRINT,)),
        "download": ((SOURCE_FINGERPRINT,), (RAW,)),
        "tokenize": ((RAW / "wiki", RAW / "nq", fin.qa_train), (TOKENS,)),
        "pretrain": (pre.inputs, pre.outputs),
        "finetune": (fin.inputs, fin.outputs),
        "eval": (ev.inputs, ev.outputs),
        "probe": (probe.inputs, probe.outputs),
    }
    if command == "run":  # reuses data/ (and the LM with --skip-pretrain) when present
        reused = tuple(path for path in (RAW, TOKENS) if path.exists())
        reused += (pre.out,) if flags.get("skip_pretrain") else ()
        produced = (RAW, TOKENS) + (() if flags.get("skip_pretrain") else pre.outputs)
        if not flags.get("skip_finetune"):
            produced += fin.outputs + ev.outputs
        if flags.get("with_probe"):
            produced += probe.outputs
        table["run"] = (reused, produced)
    if command not in table:
        return None
    inputs, outputs = table[command]
    return StageFiles(tuple(map(str, inputs)), tuple(map(str, outputs)))
