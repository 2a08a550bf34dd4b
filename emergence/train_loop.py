"""The training loop every training stage shares: pretraining, span-QA finetuning and the frozen
linear probe (the probe stage's controls and eval's positive control).

A stage hands the loop what one step does (`step(i)` trains step i and returns its loss, still on
the device); the loop steps from its start to `steps` and owns what every stage needs around
that step:

- the running loss, summed on the device and read only at log points (every steps // 100 steps,
  and the last), since reading it forces a host-device sync;
- the log curve: one row per log point, the mean loss since the previous one (the stage may say
  what else a row holds);
- the non-finite check at each log point: emergence.errors.Diverged naming the step and the fix;
- with a Resume, a checkpoint every `Resume.every` steps (emergence/resume.py: weights, optimizer,
  the sampler's and torch's RNG states, the curve, the running loss and whatever the stage adds)
  `restore()`, which continues from the latest one as if the run had never stopped, and
  `finish()`, which removes it once the stage's outputs are written;
- progress callbacks, (label, done, steps) after every step.

Per step the order is: step, log point, the stage's `after_step(done)` (e.g. a validation loss or
a snapshot, which a checkpoint at the same step then includes), checkpoint, progress. The loop
itself draws no random number and runs no tensor op but the running sum, so a stage trains
exactly as its step function says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from emergence import resume
from emergence.data.tokens import Progress
from emergence.errors import Diverged
from emergence.model import load_weights, weights_for_saving


@dataclass
class Resume:
    """Where and how often the loop saves a resume checkpoint, and the state it saves. A
    checkpoint whose fingerprint (the settings that change the result) differs from this run's
    is ignored."""

    directory: Path
    every: int
    fingerprint: dict
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    rng: np.random.Generator  # the data sampler's; torch's global generator is saved too
    state: Callable[[], dict] = dict  # the stage's own fields for the checkpoint (JSON-able)


def loss_row(step: int, loss: float) -> dict:
    """The default curve row: the step and its mean loss since the previous row."""
    return {"step": step, "train_loss": round(loss, 5)}


class TrainLoop:
    """Steps `step(i)` for i in [start_step, steps); `curve` holds the rows logged so far.

    what:  names the loss in the divergence error ("pretraining" -> "pretraining loss became nan
           at step 40; <fix>").
    fix:   what the user should change when the loss diverges.
    row:   (step, mean loss) -> the curve row; the default is loss_row.
    after_step: called with the number of steps done, after the log point.
    label, progress: progress(label, done, steps) after every step.
    """

    def __init__(self, steps: int, step: Callable[[int], torch.Tensor], device: torch.device, *,
                 what: str, fix: str, row: Callable[[int, float], dict] = loss_row,
                 after_step: Callable[[int], None] | None = None, resume: Resume | None = None,
                 label: str = "", progress: Progress | None = None):
        self.steps, self.step, self.what, self.fix, self.row = steps, step, what, fix, row
        self.after_step, self.resume, self.label, self.progress = after_step, resume, label, progress
        self.log_every = max(1, steps // 100)
        self.start_step = 0
        self.curve: list[dict] = []
        self.running = torch.zeros((), device=device)  # summed on device; read only at log points
        self.logged_at = 0  # the step of the last curve row

    def restore(self) -> dict | None:
        """Continue from the latest resume checkpoint for these settings, if there is one: load
        the weights, optimizer and RNG states, the curve and the running loss. Returns the
        checkpoint's fields (the stage's own among them), or None when there is none."""
        if self.resume is None:
            return None
        r = self.resume
        saved = resume.load(r.directory, r.fingerprint)
        if not saved:
            return None
        load_weights(r.model, saved["model"], str(r.directory))
        resume.restore(saved, r.optimizer, r.rng)
        self.start_step = saved["step"]
        self.curve = saved["extra"]["curve"]
        self.logged_at = self.curve[-1]["step"] if self.curve else 0
        self.running.fill_(saved["extra"]["running"])
        return saved["extra"]

    def run(self) -> list[dict]:
        """Train to the end; returns the curve."""
        for i in range(self.start_step, self.steps):
            self.running += self.step(i)
            done = i + 1
            if done % self.log_every == 0 or done == self.steps:
                self._log(done)
            if self.after_step:
                self.after_step(done)
            if self.resume and done % self.resume.every == 0 and done < self.steps:
                self._save(done)
            if self.progress:
                self.progress(self.label, done, self.steps)
        return self.curve

    def finish(self) -> None:
        """Remove the resume checkpoint: call it once the stage's outputs are written."""
        if self.resume is not None:
            resume.clear(self.resume.directory)

    def _log(self, done: int) -> None:
        loss = self.running.item() / (done - self.logged_at)
        if not math.isfinite(loss):
            raise Diverged(f"{self.what} loss became {loss} at step {done}; {self.fix}")
        self.curve.append(self.row(done, loss))
        self.logged_at = done
        self.running.zero_()

    def _save(self, done: int) -> None:
        r = self.resume
        extra = {"curve": self.curve, "running": self.running.item(), **r.state()}
        resume.save(r.directory, done, r.fingerprint, weights_for_saving(r.model), r.optimizer, r.rng, extra)
