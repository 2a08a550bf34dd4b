"""`emergence`: one subcommand per pipeline stage. Each parses its flags, loads params, calls
one function with its paths from emergence.layout and prints the result; no other module prints.
Nothing imports this module but the `emergence` entry point and the tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import itertools
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from emergence import layout
from emergence import params as params_mod
from emergence.errors import SetupError, UserError
from emergence.params import BACKENDS, PRETRAIN_DATA, SIZES, ParamsError
from emergence.run_flags import chain_options

console = Console(stderr=True)


# --- plumbing ------------------------------------------------------------------------------

def keep_freed_memory() -> None:
    """Stop glibc from returning large freed blocks to the OS after every tensor.

    By default glibc maps every allocation above its mmap threshold (at most 32 MB) afresh and
    unmaps it on free, so a training step whose logits and their gradients are tens of MB pays
    tens of thousands of page faults per step (measured with `emergence bench`: ref-a's step
    went from ~400 to ~250 ms). Raising both thresholds to 1 GiB keeps those blocks for reuse;
    the process then holds on to its peak memory, which a training run does anyway.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)


# A failed write for these reasons is the environment's, not a bug: one line, like a UserError.
ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def user_errors(fn):
    """Errors a user can cause (emergence.errors.UserError, or a write refused by the file
    system) end in one line naming cause and fix and a non-zero exit; anything else is a bug and
    keeps its traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            # The reader went away (`emergence grid | head`): not an error of ours. Point stdout
            # at /dev/null so the interpreter's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except UserError as err:
            console.print(f"[red]error:[/] {err}", highlight=False, soft_wrap=True)
            sys.exit(2 if isinstance(err, ParamsError) else 1)
        except OSError as err:
            if err.errno not in ENVIRONMENT_ERRNOS:
                raise
            console.print(f"[red]error:[/] {err}", highlight=False, soft_wrap=True)
            sys.exit(1)
    return wrapper


@contextlib.contextmanager
def progress_bars():
    """A rich progress bar per task name; the callback the stage functions take."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=False) as bars:
        tasks: dict[str, int] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done, total=total)

        yield update


def show(title: str, metrics: dict, keys: list[str] | None = None) -> None:
    table = Table(title=title, show_header=False)
    for key in keys or list(metrics):
        value = metrics[key]
        if not isinstance(value, dict):
            table.add_row(key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    console.print(table)


def without_resume_note(metrics: dict, stage: str) -> dict:
    """Say when a stage picked up a resume checkpoint; that note is not a metric."""
    resumed = metrics.pop("resumed_from_step")
    if resumed:
        console.print(f"resumed from step {resumed} (checkpoint in {layout.RESUME / stage})")
    return metrics


def load_params(ctx: click.Context, **overrides) -> params_mod.Params:
    """Params for this command. When they (or --backend) send the stage to docker or modal, the
    same command line runs there and this process exits with its status."""
    p = params_mod.load(ctx.obj["params"], backend=ctx.obj["backend"], **overrides)
    check_samples_available(p)
    if p.backend != "local":
        from emergence.backends import run_elsewhere
        sys.exit(run_elsewhere(p, ctx.info_name, ctx.params, ctx.meta["emergence.argv"], ctx.obj["params"]))
    return p


def check_samples_available(p: params_mod.Params) -> None:
    """A few-shot size above the QA training set is an error before any work (exit 2), decided
    from the download manifest's counts as soon as data/raw exists; nothing is clamped, so an
    experiment's ID always says how many questions it trained on."""
    manifest = layout.RAW / layout.MANIFEST
    if p.finetune_samples == "all" or not manifest.is_file():
        return
    available = json.loads(manifest.read_text()).get("records", {}).get(f"{p.task}/train")
    if available is not None and p.finetune_samples > available:
        raise ParamsError(f"finetune_samples: {p.finetune_samples:,} is more than the {available:,} {p.task} training "
                          f"questions in {layout.RAW} ({layout.MANIFEST}); use `all` or a number up to {available:,}")


params_option = click.option("--params", "params_path", default="params.yaml", show_default=True,
                             type=click.Path(dir_okay=False), help="The params file to read.")


class StageGroup(click.Group):
    """Keeps the command line as given, so a stage sent to another backend runs the same one."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["emergence.argv"] = list(args)
        return super().parse_args(ctx, args)


@click.group(cls=StageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@params_option
@click.option("--backend", type=click.Choice(BACKENDS),
              help="Where stages run: this process, the project's Docker image, or Modal (default: `backend`).")
@click.pass_context
def main(ctx: click.Context, params_path: str, backend: str | None) -> None:
    """Does semantic-role understanding emerge from next-token pretraining?

    Each subcommand is one stage of the DVC pipeline in dvc.yaml; `dvc repro` runs them in
    order. Flags override params.yaml for one run.
    """
    ctx.ensure_object(dict)
    ctx.obj["params"] = params_path
    ctx.obj["backend"] = backend
    keep_freed_memory()


# --- stages --------------------------------------------------------------------------------

@main.command()
@click.pass_context
@user_errors
def fingerprint(ctx):
    """Write data/source.json: the sha256 of every file a `source: local` download reads.

    Always runs here, whatever the backend: it reads this machine's mirror."""
    p = params_mod.load(ctx.obj["params"], backend="local")
    from emergence.data.download import fingerprint as run_fingerprint
    out = run_fingerprint(p, layout.SOURCE_FINGERPRINT)
    console.print(f"{layout.SOURCE_FINGERPRINT}: source {p.source}" +
                  (f", {len(out['files'])} files under {p.local_dir}" if "files" in out else ""))


@main.command()
@click.option("--source", type=click.Choice(params_mod.SOURCES), help="Override `source`.")
@click.pass_context
@user_errors
def download(ctx, source):
    """Write the source's raw corpora under data/raw/."""
    p = load_params(ctx, source=source)
    from emergence.data.download import download as run_download
    t0 = time.perf_counter()
    manifest = run_download(p, layout.RAW)
    show(f"download ({p.source}) in {time.perf_counter() - t0:.1f}s", manifest["records"])


@main.command()
@click.pass_context
@user_errors
def tokenize(ctx):
    """Train the BPE on wiki/train and encode every split to data/tokens/."""
    p = load_params(ctx)
    from emergence.data.tokens import tokenize as run_tokenize
    t0 = time.perf_counter()
    with progress_bars() as bars:
        meta = run_tokenize(layout.RAW, layout.TOKENS, p.tokenizer.vocab_size, p.tokenizer.min_frequency, bars,
                            p.tokenizer.train_sample_mb, p.task)
    show(f"tokenize in {time.perf_counter() - t0:.1f}s (vocab {meta['vocab_size']}, {meta['dtype']})", meta["tokens"])


def do_pretrain(p: params_mod.Params) -> dict:
    from emergence.pretrain import pretrain as run_pretrain
    size, data = p.model, p.pretrain_data
    with progress_bars() as bars:
        metrics = run_pretrain(layout.pretrain_paths(size, data), size, p.size(size), data, p.pretrain, p.seed, bars,
                               source=p.source, tokens=p.pretrain_tokens)
    show(f"pretrain {layout.pretrain_name(size, data)}", without_resume_note(metrics, "pretrain"))
    return metrics


def lm_options(fn):
    """The flags that pick one pretrained LM, shared by pretrain and probe."""
    fn = click.option("--data", type=click.Choice(PRETRAIN_DATA), help="Pretraining data (default: `pretrain_data`).")(fn)
    return click.option("--size", type=click.Choice(SIZES), help="Model preset (default: `model`).")(fn)


@main.command()
@lm_options
@click.pass_context
@user_errors
def pretrain(ctx, size, data):
    """Pretrain one GPT preset on one data condition."""
    do_pretrain(load_params(ctx, model=size, pretrain_data=data))


def finetune_name(p: params_mod.Params) -> str:
    return layout.finetune_name(p.model, p.pretrain_data, p.freeze, p.finetune_samples)


def do_finetune(p: params_mod.Params) -> dict:
    from emergence.finetune import finetune as run_finetune
    paths = layout.finetune_paths(p.model, p.pretrain_data, p.freeze, p.finetune_samples, p.task)
    with progress_bars() as bars:
        metrics = run_finetune(paths, p.freeze, p.finetune_samples, p.finetune, p.seed, p.pretrain.device, bars,
                               task=p.task)
    show(f"finetune {finetune_name(p)}", without_resume_note(metrics, "finetune"))
    return metrics


def do_eval(p: params_mod.Params) -> dict:
    from emergence.evaluate import evaluate as run_eval
    paths = layout.eval_paths(p.model, p.pretrain_data, p.freeze, p.finetune_samples, p.task)
    metrics = run_eval(paths, p.finetune, p.eval, p.seed, p.source, p.pretrain.device, task=p.task)
    show(f"eval {finetune_name(p)}", metrics)
    table = Table(title="floors on the same questions")
    table.add_column("baseline")
    table.add_column("F1", justify="right")
    table.add_column("EM", justify="right")
    for name, f1 in metrics["baseline_f1"].items():
        table.add_row(name, f"{f1:.1f}", f"{metrics['baseline_exact_match'][name]:.1f}")
    console.print(table)
    return metrics


def do_probe(p: params_mod.Params) -> dict:
    from emergence.probe import probe as run_probe
    with progress_bars() as bars:
        metrics = run_probe(layout.probe_paths(p.model, p.pretrain_data, p.task), p.task, p.finetune, p.eval,
                            p.probe, p.seed, p.pretrain.device, bars)
    show(f"probe {layout.pretrain_name(p.model, p.pretrain_data)}",
         {k: v for k, v in metrics.items() if not isinstance(v, dict)})
    table = Table(title="frozen-probe F1 by layer (0 = embeddings) and by tokens seen (0 = random init)")
    table.add_column("layer")
    table.add_column("F1", justify="right")
    table.add_column("tokens seen", justify="right")
    table.add_column("F1", justify="right")
    rows = itertools.zip_longest(metrics["f1_by_layer"].items(), metrics["f1_by_tokens_seen"].items(),
                                 fillvalue=("", None))
    for (layer, f1), (tokens, t_f1) in rows:
        table.add_row(layer, "" if f1 is None else f"{f1:.1f}", f"{int(tokens):,}" if tokens else "",
                      "" if t_f1 is None else f"{t_f1:.1f}")
    console.print(table)
    return metrics


def run_options(fn):
    """The flags that pick one configuration, shared by finetune and eval."""
    fn = click.option("--samples", help="`all` or a positive integer (default: `finetune_samples`).")(fn)
    fn = click.option("--freeze", type=bool, default=None,
                      help="true: frozen LM, linear probe (default: `freeze`). dvc.yaml passes this.")(fn)
    fn = click.option("--mode", type=click.Choice(["full", "frozen"]), help="Same as --freeze false/true.")(fn)
    fn = click.option("--data", type=click.Choice(PRETRAIN_DATA), help="Pretraining data of the LM.")(fn)
    fn = click.option("--size", type=click.Choice(SIZES), help="Model preset of the LM.")(fn)
    return fn


def params_for_run(ctx, size, data, mode, freeze, samples) -> params_mod.Params:
    if mode is not None and freeze is not None and freeze != (mode == "frozen"):
        raise ParamsError(f"--mode {mode} contradicts --freeze {str(freeze).lower()}")
    if mode is not None:
        freeze = mode == "frozen"
    return load_params(ctx, model=size, pretrain_data=data, freeze=freeze, finetune_samples=samples)


@main.command()
@run_options
@click.pass_context
@user_errors
def finetune(ctx, size, data, mode, freeze, samples):
    """Train the span-QA head on QA-SRL train: full finetuning or frozen linear probe."""
    do_finetune(params_for_run(ctx, size, data, mode, freeze, samples))


@main.command(name="eval")
@run_options
@click.pass_context
@user_errors
def eval_(ctx, size, data, mode, freeze, samples):
    """Score the finetuned model on QA-SRL validation -> metrics/eval.json."""
    do_eval(params_for_run(ctx, size, data, mode, freeze, samples))


@main.command()
@lm_options
@click.pass_context
@user_errors
def probe(ctx, size, data):
    """Controls: frozen probes on every layer and on every pretraining snapshot -> metrics/probe.json."""
    do_probe(load_params(ctx, model=size, pretrain_data=data))


# --- outside DVC ---------------------------------------------------------------------------

@main.command()
@chain_options
@click.pass_context
@user_errors
def run(ctx, config_name, pretrain_data, freeze_llm, finetune_samples, task, skip_pretrain, skip_finetune,
        with_probe):
    """The whole chain for one configuration, without DVC (the original study script's flags)."""
    p = load_params(ctx, model=config_name, pretrain_data=pretrain_data, freeze=freeze_llm,
                    finetune_samples=finetune_samples, task=task)
    lm = layout.pretrained_dir(p.model, p.pretrain_data)
    if skip_pretrain and not (lm / "config.json").exists():
        raise ParamsError(f"--skip-pretrain: no saved model at {lm} (run once without --skip-pretrain)")
    from emergence.data.download import download as run_download
    from emergence.data.tokens import tokenize as run_tokenize
    # Reuse data/ unless it came from another source or seed (DVC does this bookkeeping in
    # `dvc repro`; here a manifest check is enough).
    manifest_file = layout.RAW / layout.MANIFEST
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    fresh = (manifest.get("source"), manifest.get("seed")) != (p.source, p.embedded.seed if p.source == "embedded" else None)
    if fresh:
        run_download(p, layout.RAW)
    if fresh or not (layout.TOKENS / layout.TOKENS_META).exists():
        with progress_bars() as bars:
            run_tokenize(layout.RAW, layout.TOKENS, p.tokenizer.vocab_size, p.tokenizer.min_frequency, bars,
                         p.tokenizer.train_sample_mb, p.task)
    if not skip_pretrain:
        do_pretrain(p)
    if not skip_finetune:
        do_finetune(p)
        do_eval(p)
    if with_probe:
        do_probe(p)


@main.command()
@click.argument("shapes", nargs=-1)
@click.option("--device", "device_name", type=click.Choice(params_mod.DEVICES), default="auto", show_default=True)
@click.option("--repeats", default=5, show_default=True, help="Timed repeats after warm-up; the median is reported.")
@click.option("--warmup", default=2, show_default=True)
@click.option("--compile", "use_compile", is_flag=True, help="Also measure each shape under torch.compile.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the results here as JSON.")
@click.pass_context
@user_errors
def bench(ctx, shapes, device_name, repeats, warmup, use_compile, json_path):
    """Measure the device's matmul peak, pretraining tokens/s and MFU per model shape, and
    finetune/eval examples/s and tokenization MB/s.

    SHAPES: any of ref-a ref-b tiny small base medium finetune eval tokenize, or `all`
    (default: the reference shapes, tiny, small and the stages; base and medium on a GPU).
    """
    p = load_params(ctx)
    from emergence.bench import run_bench
    result = run_bench(list(shapes), device_name, repeats, warmup, p, compile=use_compile)
    table = Table(title=f"emergence bench: {result['device']}, {result['dtype']}, {result['threads']} threads, "
                        f"peak {result['peak_flops'] / 1e9:,.1f} GFLOP/s "
                        f"[{result['peak_spread'][0] / 1e9:,.1f}-{result['peak_spread'][1] / 1e9:,.1f}]")
    for col in ("measure", "median", "min-max", "MFU", "MFU min-max", "params"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    for name, entry in result.items():
        if not isinstance(entry, dict) or name == "shape":
            continue
        rate_key = next((k for k in ("mb_per_s", "examples_per_s", "tokens_per_s") if k in entry), None)
        if rate_key is None:
            continue
        unit = {"tokens_per_s": "tok/s", "examples_per_s": "ex/s", "mb_per_s": "MB/s"}[rate_key]
        spread = (f"{entry[rate_key + '_min']:,.1f}-{entry[rate_key + '_max']:,.1f}"
                  if rate_key + "_min" in entry else "")
        mfu = f"{entry['mfu']:.1%}" if "mfu" in entry else ""
        mfu_spread = f"{entry['mfu_min']:.1%}-{entry['mfu_max']:.1%}" if "mfu_min" in entry else ""
        table.add_row(name, f"{entry[rate_key]:,.1f} {unit}", spread, mfu, mfu_spread,
                      f"{entry['params']:,}" if "params" in entry else "")
    Console(width=max(120, Console().width)).print(table)
    if result.get("peak_note"):
        console.print(f"note: {result['peak_note']}")
    if json_path:
        from emergence.files import write_json
        write_json(json_path, result)


@main.command(name="hub-fixture")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--copies", default=20, show_default=True, help="Repeat every split's content this often.")
@user_errors
def hub_fixture(directory, copies):
    """Write tiny parquet copies of the hub repos to DIRECTORY, for `-S source=local -S local_dir=DIRECTORY`."""
    from emergence.data.hub_fixture import write_hub_fixture
    write_hub_fixture(Path(directory), n=copies)
    console.print(f"wrote hub-layout copies under {directory}/ (Salesforce/wikitext, google-research-datasets/nq_open, "
                  "luheng/qa_srl, biu-nlp/qa_srl2018, rajpurkar/squad)")


@main.command(name="reference", hidden=True)
def reference():
    """Print docs/reference.md: every command's --help and params.yaml, so the docs cannot drift
    (tests/test_docs.py compares the committed file with this output)."""
    out = ["# Reference", "", "Generated by `emergence reference > docs/reference.md`; do not edit by hand.", "",
           "## Commands", ""]
    # fixed width and help names, so the text does not depend on the terminal or on what ran before
    settings = {"terminal_width": 88, "max_content_width": 88, "help_option_names": ["-h", "--help"]}
    ctx = click.Context(main, info_name="emergence", **settings)
    out += ["### emergence", "", "```", main.get_help(ctx), "```", ""]
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx, **settings)
        out += [f"### emergence {name}", "", "```", command.get_help(sub), "```", ""]
    params_text = Path(layout.PARAMS).read_text() if Path(layout.PARAMS).exists() else ""
    out += ["## params.yaml", "", "Every key, its values and what reads it, as committed:", "", "```yaml",
            params_text.rstrip(), "```", ""]
    click.echo("\n".join(out), nl=False)


@main.command(name="list-saved")
@user_errors
def list_saved():
    """Table of the pretrained models under models/pretrain/."""
    table = Table(title="saved pretrained models")
    for col in ("size", "data", "parameters", "val loss", "saved"):
        table.add_column(col, justify="right" if col in ("parameters", "val loss") else "left")
    configs = sorted(layout.PRETRAINED.glob("*/config.json"))
    for path in configs:
        cfg = json.loads(path.read_text())
        saved = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        table.add_row(cfg["size"], cfg["data"], f"{cfg['total_params']:,}", f"{cfg['val_loss']:.4f}", saved)
    Console().print(table if configs else f"no saved models under {layout.PRETRAINED}/")


# --- the study across runs -----------------------------------------------------------------

def comma_list(allowed):
    """A click callback: `a,b` -> ("a", "b"), each checked against `allowed`."""
    def parse(ctx, param, value):
        if value is None:
            return tuple(allowed)
        items = tuple(v.strip() for v in value.split(",") if v.strip())
        for item in items:
            if item not in allowed:
                raise click.BadParameter(f"{item!r} is not one of {', '.join(allowed)}")
        return items
    return parse


def parse_seeds(value: str) -> tuple[int, ...]:
    try:
        seeds = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise ParamsError(f"--seeds: {value!r} is not a comma-separated list of integers") from None
    return params_mod.check_seeds(seeds)


@main.command()
@click.option("--sizes", callback=comma_list(SIZES), help="Comma-separated sizes (default: all four).")
@click.option("--data", callback=comma_list(PRETRAIN_DATA), help="Comma-separated pretraining data (default: both).")
@click.option("--modes", callback=comma_list(("full", "frozen")), help="full,frozen (default: both).")
@click.option("--few-shot", type=click.Choice(SIZES), help="Instead: the few-shot curve (10, 50, 100, 500, all) of this size.")
@click.option("--budgets", help="Instead: the budget axis, every --sizes × --data × --modes on all questions "
              "pretrained on each of these token counts (e.g. 1M,3M,10M).")
@click.option("--seeds", "seeds_text", help="Comma-separated seeds (default: `seeds` in params).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A params.yaml value for every experiment of the grid (repeatable), e.g. embedded.documents.train=20000.")
@click.option("--queue", is_flag=True, help="Queue the experiments with DVC instead of only printing the commands.")
@click.pass_context
@user_errors
def grid(ctx, sizes, data, modes, few_shot, budgets, seeds_text, settings, queue):
    """Print (or --queue) the study's experiments as `dvc exp run --queue` commands, one per line.

    The study's 18: 4 sizes × wiki/wiki+nq × full/frozen on all questions, plus B-WN-F-100 and
    B-WN-Z-100; each once per seed, named <ID>-s<seed>. With --budgets, the budget axis instead
    (IDs end in the budget: T-W-Z-ALL-10M-s0).
    """
    import shlex
    import subprocess

    from emergence.grid import budget_grid, few_shot_grid, queue_command, study_grid
    p = load_params(ctx)
    seeds = parse_seeds(seeds_text) if seeds_text else p.seeds
    if few_shot and budgets:
        raise click.UsageError("--few-shot and --budgets are two different grids: give one")
    if budgets:
        counts = [params_mod.parse_tokens(b) for b in budgets.split(",") if b.strip()]
        exps = [e for size in sizes for e in budget_grid(size, counts, data, modes, seeds)]
    elif few_shot:
        exps = few_shot_grid(few_shot, data, modes, seeds)
    else:
        exps = study_grid(sizes, data, modes, seeds)
    params_mod.load(ctx.obj["params"], settings=settings)  # a bad --set stops here, exit 2
    failed = []
    for exp in exps:
        cmd = queue_command(exp, settings)
        click.echo(shlex.join(cmd))
        if queue:
            try:
                done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
            except FileNotFoundError:
                raise SetupError("dvc: not found on PATH (activate the project's environment: source .venv/bin/activate)") from None
            if done.returncode:
                failed.append(exp.name)
    if queue:
        console.print(f"queued {len(exps) - len(failed)} of {len(exps)} experiments; run them with "
                      "`dvc queue start -j 1`, follow with `dvc queue status`, then `emergence report`")
        if failed:
            raise SetupError(f"dvc could not queue {', '.join(failed)} (its message is above; "
                             "an existing experiment of the same name is one cause: `dvc exp remove NAME`)")


@main.command()
@click.option("--out", default=str(layout.REPORT), show_default=True, type=click.Path(dir_okay=False),
              help="The report; its plots go to the folder of the same name (metrics/report/).")
@click.option("--no-experiments", is_flag=True, help="Read the workspace's metrics only, not DVC experiments.")
@click.option("--all-commits", is_flag=True, help="Read the experiments of every commit, not only of HEAD.")
@user_errors
def report(out, no_experiments, all_commits):
    """Every run's metrics (workspace and DVC experiments) -> metrics/report.md with PNG plots:
    the headline table and verdict, data, few-shot, losses, costs, controls, scaling."""
    from emergence.report import rich_table, write_report
    from emergence.runs import collect
    records = collect(".", experiments=not no_experiments, all_commits=all_commits)
    result = write_report(records, out)
    terminal = Console(width=max(160, Console().width))
    for section in result.sections[1:-1] + result.sections[:1]:  # no Sources; the headline last, where the eye lands
        for table in section.tables:
            terminal.print(rich_table(table))
    terminal.print(f"[bold]Verdict: {result.verdict.overall}[/] ({result.verdict.reason})", highlight=False)
    console.print(f"wrote {out} and its plots in {layout.report_dir(out)}/")


if __name__ == "__main__":
    main()
