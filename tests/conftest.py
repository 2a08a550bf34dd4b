from pathlib import Path

import yaml

from emergence.data import tokens
from emergence.data.download import write_raw
from emergence.data.world import generate_world

ROOT = Path(__file__).resolve().parents[1]


def micro_params(**tiny) -> dict:
    """params.yaml shrunk so that every stage runs in seconds; `tiny` overrides the preset."""
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    p["embedded"] = {"seed": 0, "documents": {"train": 200, "validation": 20}, "nq": {"train": 100, "validation": 20},
                     "qasrl_sentences": {"train": 120, "validation": 30}, "unseen_verbs": 2}
    p["tokenizer"]["vocab_size"] = 512
    p["sizes"]["tiny"].update({"n_layer": 2, "d_model": 32, "n_head": 2, "context": 64, "batch_size": 8,
                               "max_steps": 60, "warmup_steps": 10, **tiny})
    p["pretrain"].update(eval_interval=30, eval_batches=2)
    p["finetune"].update(max_length=64, doc_stride=16, epochs=1, min_steps=20, warmup_steps=5, batch_size=16)
    return p


def micro_corpus(root: Path, qasrl_sentences: dict[str, int]) -> Path:
    """A small embedded world under root/raw and its 400-token BPE memmaps under root/tokens."""
    world = generate_world(0, {"train": 60, "validation": 10}, {"train": 20, "validation": 5}, qasrl_sentences,
                           unseen_verbs=2)
    write_raw(world, root / "raw", {"source": "embedded"})
    tokens.tokenize(root / "raw", root / "tokens", vocab_size=400, min_frequency=2)
    return root
