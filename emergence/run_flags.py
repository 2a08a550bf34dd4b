"""The flags of `emergence run`, the whole chain for one configuration without DVC (the original
study script's flags). cli.py's `run` takes them, and the Modal study script
(`modal run emergence/backends/modal_app.py ...`) checks them here before anything goes to Modal,
without importing the CLI.
"""

from __future__ import annotations

import click

from emergence import params as params_mod


def chain_options(fn):
    """Adds the flags of `emergence run` to a click command (or the function it is made from)."""
    fn = click.option("--probe", "with_probe", is_flag=True, help="Also run the layer-wise and across-time probes.")(fn)
    fn = click.option("--skip-finetune", is_flag=True, help="Stop after pretraining.")(fn)
    fn = click.option("--skip-pretrain", is_flag=True, help="Reuse the saved model of this size and data.")(fn)
    fn = click.option("--task", type=click.Choice(params_mod.TASKS), help="QA task for the head (default: `task`).")(fn)
    fn = click.option("--finetune-samples", help="`all` or a positive integer.")(fn)
    fn = click.option("--freeze-llm", is_flag=True, default=None, help="Frozen LM: train only the linear head.")(fn)
    fn = click.option("--pretrain-data", type=click.Choice(params_mod.PRETRAIN_DATA), help="Pretraining data.")(fn)
    return click.option("--config-name", type=click.Choice(params_mod.SIZES), help="Model preset.")(fn)


def check_chain_args(argv: list[str]) -> None:
    """Parse `argv` as `emergence run` does: click's error (or a ParamsError for a bad
    --finetune-samples) for a flag or value it would refuse."""
    command = chain_options(click.Command("run"))
    with command.make_context("run", list(argv)) as ctx:
        if ctx.params["finetune_samples"] is not None:
            params_mod.parse_samples(ctx.params["finetune_samples"])
