"""Atomic file writing and safe checkpoints.

Every output is written to a temporary name beside its target and renamed into place, so a
killed stage never leaves a half-written file that DVC or a later stage would trust.
Checkpoints are safetensors + JSON: nothing is ever unpickled.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from emergence.errors import CorruptInput, MissingInput

if TYPE_CHECKING:  # torch and safetensors are imported where tensors are saved, so that the
    import torch  # light stages (download, report) never pay for importing torch


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path):
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise MissingInput(f"{path}: not found (has the stage that writes it run?)") from None
    except json.JSONDecodeError as err:
        raise CorruptInput(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def write_jsonl(path: str | Path, records) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_csv(path: str | Path, rows: list[dict]) -> None:
    """Rows of one shape -> CSV with a header, the form `dvc plots` draws."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        if rows:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def sha256_file(path: str | Path, block: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor]) -> None:
    """A safetensors file of detached, contiguous CPU copies, written atomically."""
    from safetensors.torch import save_file
    with atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))


def save_checkpoint(directory: str | Path, state: dict[str, torch.Tensor], config: dict) -> None:
    """model.safetensors + config.json in `directory`; the config is written last, so a
    directory with a config.json always has its weights."""
    save_tensors(Path(directory) / "model.safetensors", state)
    write_json(Path(directory) / "config.json", config)


def load_checkpoint(directory: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    from safetensors.torch import load_file
    directory = Path(directory)
    config = read_json(directory / "config.json")
    weights = directory / "model.safetensors"
    if not weights.exists():
        raise MissingInput(f"{weights}: not found beside its config.json")
    return load_file(str(weights)), config
