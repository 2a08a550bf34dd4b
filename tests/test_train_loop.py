"""The shared training loop on a toy model: the curve, the non-finite check, resume, progress."""

import numpy as np
import pytest
import torch

from emergence.errors import Diverged
from emergence.train_loop import Resume, TrainLoop

CPU = torch.device("cpu")


def test_each_curve_row_is_the_mean_loss_since_the_previous_one():
    losses = [float(i) for i in range(250)]
    loop = TrainLoop(250, lambda i: torch.tensor(losses[i]), CPU, what="toy", fix="")
    curve = loop.run()
    assert loop.log_every == 2 and len(curve) == 125
    assert curve[0] == {"step": 2, "train_loss": 0.5} and curve[-1] == {"step": 250, "train_loss": 248.5}


def test_the_last_step_is_logged_even_off_the_log_interval():
    seen = []
    loop = TrainLoop(205, lambda i: torch.tensor(1.0), CPU, what="toy", fix="",
                     row=lambda step, loss: {"step": step, "loss": loss}, progress=lambda *a: seen.append(a),
                     label="toy run")
    curve = loop.run()
    assert [r["step"] for r in curve[-2:]] == [204, 205] and curve[-1]["loss"] == 1.0
    assert seen[0] == ("toy run", 1, 205) and seen[-1] == ("toy run", 205, 205)


def test_a_non_finite_loss_stops_the_run_naming_the_step_and_the_fix():
    loop = TrainLoop(10, lambda i: torch.tensor(float("nan") if i == 5 else 1.0), CPU,
                     what="toy", fix="lower toy.lr")
    with pytest.raises(Diverged, match=r"^toy loss became nan at step 6; lower toy\.lr$"):
        loop.run()


class Toy:
    """A linear regression trained by AdamW on batches a numpy generator draws: a stage in small."""

    def __init__(self, resume_dir=None, fail_at=None):
        torch.manual_seed(0)
        self.model = torch.nn.Linear(4, 1)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=0.05)
        self.rng = np.random.default_rng(0)
        self.seen = []  # the stage's own state, kept in the checkpoint
        self.fail_at = fail_at
        resume = Resume(resume_dir, 3, {"toy": 1}, self.model, self.optimizer, self.rng,
                        lambda: {"seen": self.seen}) if resume_dir else None
        self.loop = TrainLoop(20, self.step, CPU, what="toy", fix="", resume=resume)

    def step(self, i):
        if i == self.fail_at:
            raise KeyboardInterrupt
        x = torch.from_numpy(self.rng.normal(size=(8, 4))).float()
        noise = torch.randn(8, 1) * 0.1  # torch's generator, restored too
        loss = ((self.model(x) - (x.sum(1, keepdim=True) + noise)) ** 2).mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.seen.append(i)
        return loss.detach()


def test_an_interrupted_run_resumes_to_the_same_weights_curve_and_state(tmp_path):
    straight = Toy()
    straight.loop.run()

    with pytest.raises(KeyboardInterrupt):
        Toy(tmp_path / "r", fail_at=13).loop.run()  # checkpoints at 3, 6, 9, 12
    resumed = Toy(tmp_path / "r")
    saved = resumed.loop.restore()
    assert resumed.loop.start_step == 12 and saved["seen"] == list(range(12))
    resumed.seen = saved["seen"]
    curve = resumed.loop.run()

    assert curve == straight.loop.curve
    assert resumed.seen == straight.seen == list(range(20))
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        assert torch.equal(a, b)
    resumed.loop.finish()
    assert not (tmp_path / "r").exists()


def test_a_checkpoint_from_other_settings_is_not_restored(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        Toy(tmp_path / "r", fail_at=5).loop.run()
    other = Toy(tmp_path / "r")
    other.loop.resume.fingerprint = {"toy": 2}
    assert other.loop.restore() is None and other.loop.start_step == 0
