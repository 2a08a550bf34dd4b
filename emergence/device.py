"""Where a stage computes: picking the device, bf16 autocast on CUDA, and peak memory.

Every stage that runs a model (pretrain, finetune, eval, probe) and `emergence bench` use these,
so a run on CPU and on CUDA differ only in what is decided here and in the fused AdamW.
"""

from __future__ import annotations

import resource

import torch

from emergence.params import ParamsError


def pick_device(name: str) -> torch.device:
    """`auto` (CUDA when a GPU is visible, else CPU), `cuda` or `cpu`."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ParamsError("pretrain.device: 'cuda', but no CUDA GPU is visible (set it to auto or cpu)")
    return torch.device(name)


def autocast(device: torch.device):
    """bf16 autocast on CUDA; plain float32 on CPU, where bf16 matmuls are not faster here."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def peak_memory(device: torch.device) -> dict:
    """This process's peak resident memory so far, and on CUDA the peak of allocated GPU memory."""
    out = {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}  # Linux: KiB
    if device.type == "cuda":
        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return out
