"""Resume checkpoints: everything a training loop needs to continue as if never stopped.

Model and optimizer tensors go to safetensors, the rest (step, the numpy generator of the data
sampler, the curves so far, a fingerprint of the run's settings) to JSON. A checkpoint lives
outside the stage's DVC outputs, because DVC deletes a stage's outputs before running it again.
`latest.json` is written last and atomically, so a kill at any moment leaves either the
previous checkpoint or the new one, never half of one. A checkpoint whose fingerprint differs
from the run's (params changed since) is ignored.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from emergence.files import read_json, save_tensors, write_json


def save(directory: Path, step: int, fingerprint: dict, model_tensors: dict[str, torch.Tensor],
         optimizer: torch.optim.Optimizer, rng: np.random.Generator, extra: dict) -> None:
    directory = Path(directory)
    opt = optimizer.state_dict()
    tensors = {f"model.{k}": v for k, v in model_tensors.items()}
    for idx, state in opt["state"].items():
        for name, value in state.items():
            tensors[f"optim.{idx}.{name}"] = value
    tensors["torch_rng"] = torch.get_rng_state()
    name = f"step-{step:09d}"
    save_tensors(directory / f"{name}.safetensors", tensors)
    write_json(directory / f"{name}.json", {
        "step": step,
        "fingerprint": fingerprint,
        "param_groups": opt["param_groups"],
        "numpy_rng": rng.bit_generator.state,
        "extra": extra,
    })
    write_json(directory / "latest.json", {"name": name})
    for old in directory.glob("step-*"):  # only the newest checkpoint is kept
        if not old.name.startswith(name):
            old.unlink(missing_ok=True)


def load(directory: Path, fingerprint: dict) -> dict | None:
    """The latest checkpoint's parts, or None when there is none for these settings."""
    pointer = Path(directory) / "latest.json"
    if not pointer.exists():
        return None
    name = read_json(pointer)["name"]
    meta = read_json(Path(directory) / f"{name}.json")
    if meta["fingerprint"] != fingerprint:
        return None
    tensors = load_file(str(Path(directory) / f"{name}.safetensors"))
    meta["model"] = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, field = key.split(".", 2)
            state.setdefault(int(idx), {})[field] = value
    meta["optimizer"] = {"state": state, "param_groups": meta.pop("param_groups")}
    meta["torch_rng"] = tensors["torch_rng"]
    return meta


def restore(meta: dict, optimizer: torch.optim.Optimizer, rng: np.random.Generator) -> None:
    optimizer.load_state_dict(meta["optimizer"])
    rng.bit_generator.state = meta["numpy_rng"]
    torch.set_rng_state(meta["torch_rng"])


def clear(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
