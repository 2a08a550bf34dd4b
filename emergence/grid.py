"""The study's experiment grid: experiment IDs, the list of experiments, and the
`dvc exp run --queue` command for each.

ID scheme (the original study's, with two control conditions): size initial (T/S/B/M) -
pretraining data (W wiki, WN wiki+nq; WQ wiki+qa, the positive control whose text also holds
the QA training questions; R none, the random init) - mode (F full finetuning, Z frozen LM) -
finetuning questions (ALL or the number), e.g. `T-W-F-ALL`, `B-WN-Z-100`, `T-R-F-ALL` (full
finetuning from scratch). A DVC experiment is one ID at one seed, named `<ID>-s<seed>` (a valid
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


def experiment_id(size: str, data: str, mode: str, samples: int | str) -> str:
    """`T-W-F-ALL`, `B-WN-Z-100`: the study's name for one configuration (all seeds)."""
    count = "ALL" if samples == "all" else str(int(samples))
    return f"{SIZE_CODE[size]}-{DATA_CODE[data]}-{MODE_CODE[mode]}-{count}"


@dataclass(frozen=True)
class Experiment:
    size: str
    data: str
    mode: str  # full | frozen
    samples: int | str  # "all" or a positive int
    seed: int

    @property
    def id(self) -> str:
        return experiment_id(self.size, self.data, self.mode, self.samples)

    @property
    def name(self) -> str:
        """The DVC experiment name: one ID at one seed."""
        return f"{self.id}-s{self.seed}"

    def params(self) -> dict[str, object]:
        """The params.yaml values that make this experiment (every identity key, so nothing is
        inherited from whatever the workspace's params.yaml holds)."""
        return {"model": self.size, "pretrain_data": self.data, "freeze": self.mode == "frozen",
                "finetune_samples": self.samples, "seed": self.seed}


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


def queue_command(exp: Experiment) -> list[str]:
    """`dvc exp run --queue --name <ID>-s<seed> -S model=... ...` as an argument list."""
    cmd = ["dvc", "exp", "run", "--queue", "--name", exp.name]
    for key, value in exp.params().items():
        cmd += ["-S", f"{key}={_yaml_value(value)}"]
    return cmd
