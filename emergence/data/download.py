"""The download stage: any source -> one raw format under data/raw/.

Every source writes the same files, so no later stage knows where the data came from:

    data/raw/wiki/{train,validation}.jsonl    {"title": str, "text": str}            one document a line
    data/raw/nq/{train,validation}.jsonl      {"question": str, "answer": [str, ...]} nq_open's fields
    data/raw/qasrl/{train,validation}.jsonl   QA-SRL 1.0's fields, one question a line:
                                              sentence, sent_id, predicate_idx, predicate,
                                              question (7 slots + "?"), answers
    data/raw/manifest.json                    source, seed and record counts
"""

from __future__ import annotations

from pathlib import Path

from emergence.data.embedded import generate_world
from emergence.files import write_json, write_jsonl
from emergence.params import Params, ParamsError

CORPORA = ("wiki", "nq", "qasrl")


def write_raw(world: dict[str, dict[str, list[dict]]], raw_dir: Path, manifest: dict) -> dict:
    counts = {}
    for corpus in CORPORA:
        for split, records in world[corpus].items():
            counts[f"{corpus}/{split}"] = write_jsonl(Path(raw_dir) / corpus / f"{split}.jsonl", records)
    manifest = {**manifest, "records": counts}
    write_json(Path(raw_dir) / "manifest.json", manifest)
    return manifest


def download(params: Params, raw_dir: Path) -> dict:
    """Write the chosen source's raw files; returns the manifest."""
    if params.source == "embedded":
        e = params.embedded
        world = generate_world(
            seed=params.seed,
            n_documents=e.documents.as_dict(),
            n_nq=e.nq.as_dict(),
            n_qasrl_sentences=e.qasrl_sentences.as_dict(),
        )
        return write_raw(world, raw_dir, {"source": "embedded", "seed": params.seed})
    raise ParamsError(f"source: {params.source!r} is not available in this version yet; use source: embedded")
