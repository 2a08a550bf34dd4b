"""The study's experiment grid: experiment IDs, the list of experiments, and the
`dvc exp run --queue` command for each.

ID scheme (the original study's, with two control conditions): size initial (T/S/B/M) -
pretraining data (W wiki, WN wiki+nq; WQ wiki+qa, the positive control whose text also holds
the QA training questions; R none, the random init) - mode (F full finetuning, Z frozen LM) -
finetuning questions (ALL or the number), e.g. `T-W-F-ALL`, `B-WN-Z-100`, `T-R-F-ALL` (full
finetuning from scratch), and, on the budget axis only, the pretraining tokens when they are not
the size's preset: `T-W-Z-ALL-10M`. A DVC experiment is one ID at one seed, named `<ID>-s<seed>` (a valid
git ref name).

Our reading of the study's 18 experiments: every size (4) × pretraining data (wiki, wiki+nq)
× mode (2) on all QA training questions = 16, plus base pretrained on wiki+nq with 100
questions, full and frozen (`B-WN-F-100`, `B-WN-Z-100`) = 18. The controls add, per size,
WQ full and frozen and R full (R frozen is the random-init probe, which the probe stage
already runs for every pretrained model). The few-shot curve (10, 50, 100, 500, all questions)
can be asked for any size.
"""

from __future__ import annotations

from dataclasses import dataclass

from emergence.params import PRETRAIN_DATA, SIZES

MODES = ("full", "frozen")
FEW_SHOT = (10, 50, 100, 500, "all")
SIZE_CODE = {"tiny": "T", "small": "S", "base": "B", "medium": "M"}
DATA_CODE = {"wiki": "W", "wiki+nq": "WN", "wiki+qa": "WQ", "none": "R"}
MODE_CODE = {"full": "F", "frozen": "Z"}
# The study's two rows beyond the 16 on all questions: (size, data, samples), full and frozen.
EXTRA_ROWS = (("base", "wiki+nq", 100),)


def token_label(tokens: int | str) -> str:
    """10000000 -> "10M", 250000 -> "250K", 1500 -> "1500": the budget in an ID or a table."""
    if tokens == "preset":
        return "preset"
    for suffix, scale in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if tokens % scale == 0:
            return f"{tokens // scale}{suffix}"
    return str(tokens)


def experiment_id(size: str, data: str, mode: str, samples: int | str, tokens: int | str = "preset") -> str:
    """`T-W-F-ALL`, `B-WN-Z-100`, `T-W-Z-ALL-10M`: the study's name for one configuration (all seeds)."""
    count = "ALL" if samples == "all" else str(int(samples))
    budget = "" if tokens == "preset" else f"-{token_label(tokens)}"
    return f"{SIZE_CODE[size]}-{DATA_CODE[data]}-{MODE_CODE[mode]}-{count}{budget}"


@dataclass(frozen=True)
class Experiment:
    size: str
    data: str
    mode: str  # full | frozen
    samples: int | str  # "all" or a positive int
    seed: int
    tokens: int | str = "preset"  # pretraining tokens: the size's preset or a count (the budget axis)

    @property
    def id(self) -> str:
        return experiment_id(self.size, self.data, self.mode, self.samples, self.tokens)

    @property
    def name(self) -> str:
        """The DVC experiment name: one ID at one seed."""
        return f"{self.id}-s{self.seed}"

    def params(self) -> dict[str, object]:
        """The params.yaml values that make this experiment (every identity key, so nothing is
        inherited from whatever the workspace's params.yaml holds)."""
        return {"model": self.size, "pretrain_data": self.data, "freeze": self.mode == "frozen",
                "finetune_samples": self.samples, "pretrain_tokens": self.tokens, "seed": self.seed}


def study_grid(sizes=SIZES, data=PRETRAIN_DATA, modes=MODES, seeds=(0,)) -> list[Experiment]:
    """The study's 18 experiments (fewer with filters), once per seed.

    Seed is the outermost loop, so a queue stopped half-way still holds complete grids for the
    first seeds.
    """
    rows = [(s, d, "all") for s in SIZES for d in PRETRAIN_DATA]
    rows += list(EXTRA_ROWS)
    return [Experiment(s, d, m, n, seed) for seed in seeds for s, d, n in rows for m in MODES
            if s in sizes and d in data and m in modes and wanted(d, m)]


def wanted(data: str, mode: str) -> bool:
    """Every data condition in both modes, but `none` only fully finetuned (its frozen probe is
    the probe stage's random-init control)."""
    return not (data == "none" and mode == "frozen")


def few_shot_grid(size: str, data=PRETRAIN_DATA, modes=MODES, seeds=(0,)) -> list[Experiment]:
    """The learning curve for one size: 10, 50, 100, 500 and all questions."""
    return [Experiment(size, d, m, n, seed) for seed in seeds for d in PRETRAIN_DATA for n in FEW_SHOT
            for m in MODES if d in data and m in modes and wanted(d, m)]


def budget_grid(size: str, budgets, data=("wiki",), modes=MODES, seeds=(0,)) -> list[Experiment]:
    """The budget axis for one size: each pretrained data condition (not `none`, which trains no
    step) on each token budget, on all questions; the largest budget last, so a stopped sweep
    holds the cheap ones."""
    return [Experiment(size, d, m, "all", seed, tokens) for tokens in sorted(budgets) for seed in seeds
            for d in data for m in modes if d != "none" and wanted(d, m)]


def study_order(value) -> tuple:
    """Sort key for one identity value: sizes, data and modes in study order, counts before `all`."""
    for known in (SIZES, PRETRAIN_DATA, MODES):
        if value in known:
            return (0, known.index(value), "")
    if isinstance(value, int) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))


def _yaml_value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def queue_command(exp: Experiment, extra: tuple[str, ...] = ()) -> list[str]:
    """`dvc exp run --queue --name <ID>-s<seed> -S model=... ...` as an argument list; `extra`
    are more KEY=VALUE settings shared by the whole grid (e.g. a bigger embedded world)."""
    cmd = ["dvc", "exp", "run", "--queue", "--name", exp.name]
    for key, value in exp.params().items():
        cmd += ["-S", f"{key}={_yaml_value(value)}"]
    for setting in extra:
        cmd += ["-S", setting]
    return cmd
