from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def micro_params(**tiny) -> dict:
    """params.yaml shrunk so that every stage runs in seconds; `tiny` overrides the preset."""
    p = yaml.safe_load((ROOT / "params.yaml").read_text())
    p["embedded"] = {"seed": 0, "documents": {"train": 200, "validation": 20}, "nq": {"train": 100, "validation": 20},
                     "qasrl_sentences": {"train": 120, "validation": 30}}
    p["tokenizer"]["vocab_size"] = 512
    p["sizes"]["tiny"].update({"n_layer": 2, "d_model": 32, "n_head": 2, "context": 64, "batch_size": 8,
                               "max_steps": 60, "warmup_steps": 10, **tiny})
    p["pretrain"].update(eval_interval=30, eval_batches=2)
    p["finetune"].update(max_length=64, doc_stride=16, epochs=1, min_steps=20, warmup_steps=5, batch_size=16)
    return p
