"""The download stage: any source -> one raw format under data/raw/.

Every source writes the same files, so no later stage knows where the data came from:

    data/raw/wiki/{train,validation}.jsonl    {"title": str, "text": str}            one document a line
    data/raw/nq/{train,validation}.jsonl      {"question": str, "answer": [str, ...]} nq_open's fields
    data/raw/qasrl/{train,validation}.jsonl   QA-SRL 1.0's fields, one question a line:
                                              sentence, sent_id, predicate_idx, predicate,
                                              question (7 slots + "?"), answers
    data/raw/squad/{train,validation}.jsonl   SQuAD v1.1's fields, one question a line:
                                              id, title, context, question, answers{text, answer_start}
                                              (embedded: paragraphs of QA-SRL sentences)
    data/raw/manifest.json                    source, seed and record counts

`fingerprint` runs before it, every time (`always_changed` in dvc.yaml): it writes
data/source.json, the sha256 of every file a `source: local` download will read. download depends
on that file, so DVC re-runs download, and everything after it, when a mirror's files change --
which DVC cannot see on its own, the mirror being outside the repository.
"""

from __future__ import annotations

from pathlib import Path

from emergence import layout
from emergence.data.world import generate_world
from emergence.files import write_json, write_jsonl
from emergence.params import Params

RAW_CORPORA = ("wiki", "nq", "qasrl", "squad")


def write_raw(world: dict[str, dict[str, list[dict]]], raw_dir: Path, manifest: dict) -> dict:
    counts = {}
    for corpus in RAW_CORPORA:
        for split, records in world[corpus].items():
            counts[f"{corpus}/{split}"] = write_jsonl(layout.raw_file(raw_dir, corpus, split), records)
    manifest = {**manifest, "records": counts}
    write_json(Path(raw_dir) / layout.MANIFEST, manifest)
    return manifest


def fingerprint(params: Params, path: Path) -> dict:
    """Write what the download stage will read, by content, to `path`; returns it.

    local: the sha256 of every file of the mirror's repos; embedded: nothing beyond the params
    (the world is generated from them); hub: the repo ids (the hub's own revisions move on their
    own; pin them with a local mirror when that matters).
    """
    from emergence.data.hub import mirror_fingerprint, wanted

    specs = wanted(params.qasrl_version, include_squad=True)
    out: dict = {"source": params.source}
    if params.source == "local":
        if not params.local_dir:
            from emergence.data.hub import SourceError
            raise SourceError("source: local needs local_dir (a folder holding <org>/<name>/ copies of "
                              "the hub dataset repos); or use source: embedded")
        out["local_dir"] = params.local_dir
        out["files"] = mirror_fingerprint(params.local_dir, specs)
    elif params.source == "hub":
        out["repos"] = [s.repo_id for s in specs]
    write_json(path, out)
    return out


def download(params: Params, raw_dir: Path) -> dict:
    """Write the chosen source's raw files; returns the manifest."""
    if params.source == "embedded":
        e = params.embedded
        world = generate_world(
            seed=e.seed,
            n_documents=e.documents.as_dict(),
            n_nq=e.nq.as_dict(),
            n_qasrl_sentences=e.qasrl_sentences.as_dict(),
            unseen_verbs=e.unseen_verbs,
        )
        return write_raw(world, raw_dir, {"source": "embedded", "seed": e.seed,
                                          "unseen_verbs": e.unseen_verbs})
    # hub and local: the same datasets.load_dataset call, a repo id or a local copy of the repo.
    # Everything is loaded before the first file is written, so a failure leaves nothing.
    from emergence.data.hub import load_world
    world = load_world(params.source, params.local_dir, params.qasrl_version, include_squad=True)
    return write_raw(world, raw_dir, {"source": params.source, "local_dir": params.local_dir,
                                      "qasrl_version": params.qasrl_version})
