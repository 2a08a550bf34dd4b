"""Real corpora through ``datasets.load_dataset``: the ``hub`` and ``local`` sources.

``load_world`` returns exactly the shape ``world.generate_world`` returns, so the download
stage writes the same raw files whatever the source:

    {"wiki":  {"train": [{"title", "text"}, ...], "validation": [...]},
     "nq":    {"train": [{"question", "answer": [str, ...]}, ...], "validation": [...]},
     "qasrl": {"train": [QA-SRL 1.0 record, ...], "validation": [...]},
     "squad": {...}}                  # only with include_squad=True

Where each corpus comes from (parquet copies on the hub; ``datasets`` 4+ runs no loading scripts):

    wiki   Salesforce/wikitext            config wikitext-103-raw-v1   field text, one row per line
    nq     google-research-datasets/nq_open  config nq_open            question, answer (list)
    qasrl  luheng/qa_srl (1.0)            data_dir plain_text, revision refs/convert/parquet
           biu-nlp/qa_srl2018 (2.0)       data_dir v2,         revision refs/convert/parquet
    squad  rajpurkar/squad                config plain_text            unchanged records

Two layouts, loaded two ways (``HubDataset.card``):

- main branches with a dataset card (Salesforce/wikitext, nq_open, squad): the README.md's YAML
  ``configs:`` block maps each config to ``<config>/<split>-NNNNN-of-NNNNN.parquet``, so
  ``load_dataset(<repo or dir>, <config>)``.
- the parquet-converter branch ``refs/convert/parquet`` (both QA-SRL repos, whose main branches
  hold only a loading script): ``<config>/<split>/NNNN.parquet`` and no card, so ``datasets``
  knows only a config called ``default`` and the config folder is passed as
  ``load_dataset(<repo or dir>, data_dir=<config>)``.

``source="hub"`` calls ``load_dataset`` with the repo id (and revision); ``source="local"``
makes the same call with the directory ``<local_dir>/<org>/<name>`` in place of the id, which
holds a copy of that branch's files. ``datasets`` caches a local folder by its path and card,
not by its files' content, so a changed mirror would be served from the old cache: a local copy
is therefore loaded into a cache folder named by the sha256 of its files
(``mirror_fingerprint``), never a shared one.

``datasets`` is heavy and optional for training, so it is imported inside the functions here.
Every failure a user can cause (no network, offline mode with nothing cached, a missing or
malformed local copy) ends in one ``SourceError`` whose one-line message names the dataset and
the way out (``source: embedded``, or ``source: local`` with ``local_dir``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

from emergence.errors import UserError

log = logging.getLogger(__name__)

SPLITS = ("train", "validation")
DEFAULT_ENDPOINT = "https://huggingface.co"
PARQUET_REVISION = "refs/convert/parquet"


class SourceError(UserError):
    """A real-corpus source cannot deliver: no network, nothing cached, or a bad local copy."""


@dataclass(frozen=True)
class HubDataset:
    """One hub dataset: where it lives and how its data files are laid out in the repo."""

    repo_id: str                 # "<org>/<name>"
    config: str
    revision: str | None         # None: the repo's default branch
    layout: str                  # data files per split, relative to the repo root
    card: bool                   # True: a README.md `configs:` block names the config

    def files(self, split: str) -> str:
        return self.layout.format(config=self.config, split=split)

    def load_args(self) -> tuple[tuple, dict]:
        """(args, kwargs) after the path for ``datasets.load_dataset``."""
        kwargs = {"revision": self.revision} if self.revision else {}
        if self.card:
            return (self.config,), kwargs
        return (), {**kwargs, "data_dir": self.config}


# File lists checked on the hub (huggingface.co/datasets/<repo>/tree/<branch>/<config>):
#   Salesforce/wikitext main: wikitext-103-raw-v1/{train-0000[01]-of-00002,validation-00000-of-00001,
#     test-00000-of-00001}.parquet, README.md with configs:
#   luheng/qa_srl main: README.md and qa_srl.py only (a loading script);
#     refs/convert/parquet: plain_text/{train,validation,test}/0000.parquet, no card
#   biu-nlp/qa_srl2018 main: qa_srl2018.py only; refs/convert/parquet: v2/{train,validation,test}/0000.parquet
#     (and v2_1/...), no card
WIKITEXT = HubDataset("Salesforce/wikitext", "wikitext-103-raw-v1", None, "{config}/{split}-*.parquet", card=True)
NQ_OPEN = HubDataset("google-research-datasets/nq_open", "nq_open", None, "{config}/{split}-*.parquet", card=True)
QASRL_1 = HubDataset("luheng/qa_srl", "plain_text", PARQUET_REVISION, "{config}/{split}/*.parquet", card=False)
QASRL_2 = HubDataset("biu-nlp/qa_srl2018", "v2", PARQUET_REVISION, "{config}/{split}/*.parquet", card=False)
SQUAD = HubDataset("rajpurkar/squad", "plain_text", None, "{config}/{split}-*.parquet", card=True)
QASRL = {"1.0": QASRL_1, "2.0": QASRL_2}


def wanted(qasrl_version: str, include_squad: bool) -> list[HubDataset]:
    """The datasets one download reads, in order."""
    if qasrl_version not in QASRL:
        raise ValueError(f"qasrl_version must be one of {sorted(QASRL)}, got {qasrl_version!r}")
    return [WIKITEXT, NQ_OPEN, QASRL[qasrl_version]] + ([SQUAD] if include_squad else [])


def mirror_fingerprint(local_dir: str | os.PathLike, specs: Iterable[HubDataset]) -> dict[str, str]:
    """sha256 of every file of the local copies of ``specs``, keyed by path under local_dir.

    What a download from ``source: local`` depends on: the DVC stage `fingerprint` writes it,
    so a mirror whose files change re-runs download and everything after it.
    """
    from emergence.files import sha256_file

    out = {}
    for spec in specs:
        base = _local_path(spec, local_dir)
        for f in sorted(p for p in base.rglob("*") if p.is_file() and ".git" not in p.relative_to(base).parts):
            out[f.relative_to(Path(local_dir)).as_posix()] = sha256_file(f)
    return out


def _digest(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def load_world(source: str, local_dir: str | os.PathLike | None, qasrl_version: str = "1.0", *,
               include_squad: bool = False, timeout_s: float = 10.0,
               cache_dir: str | os.PathLike | None = None) -> dict[str, dict[str, list[dict]]]:
    """Load the real corpora from the hub (``source="hub"``) or a local copy (``"local"``).

    ``local_dir`` is used only by ``"local"``; it holds ``<org>/<name>/`` copies of the hub
    repos. ``qasrl_version`` picks QA-SRL 1.0 or QA-SRL Bank 2.0 (converted to 1.0 records).
    ``timeout_s`` bounds the check that the hub is reachable, done once before any download
    (skipped in offline mode, where only the ``datasets`` cache is used). ``cache_dir`` goes to
    ``load_dataset`` (None: the ``datasets`` default cache).

    Raises SourceError (one line: dataset, cause, fix) when a source cannot deliver.
    """
    if source not in ("hub", "local"):
        raise ValueError(f"load_world: source must be 'hub' or 'local', got {source!r}")
    specs = wanted(qasrl_version, include_squad)

    if source == "local":
        if not local_dir:
            raise SourceError("source: local needs local_dir (a folder holding <org>/<name>/ copies of "
                              "the hub dataset repos); or use source: embedded")
        for spec in specs:   # all missing copies are reported before anything is loaded
            _local_path(spec, local_dir)
    elif not _offline():
        _check_reachable(specs[0].repo_id, timeout_s)

    spec = QASRL[qasrl_version]
    convert = qasrl1_record if qasrl_version == "1.0" else qasrl2_record
    corpora = {
        "wiki": (WIKITEXT, lambda ds, s: wikitext_articles(_column(ds, "text"))),
        "nq": (NQ_OPEN, lambda ds, s: [{"question": r["question"], "answer": list(r["answer"])} for r in _rows(ds)]),
        "qasrl": (spec, lambda ds, s: _qasrl_records(_rows(ds), convert, f"{spec.repo_id}:{s}")),
        "squad": (SQUAD, lambda ds, s: [squad_record(r) for r in _rows(ds)]),
    }
    return {name: _load(source, hub_spec, local_dir, cache_dir, to_records)
            for name, (hub_spec, to_records) in corpora.items() if hub_spec in specs}


# --------------------------------------------------------------------------- record converters

_LEVEL1_HEADING = re.compile(r"^=\s+(?!=)(.*?)(?<!=)\s+=$")


def wikitext_articles(lines: Iterable[str]) -> list[dict]:
    """WikiText rows (one line each) -> ``{"title", "text"}`` articles.

    A level-1 heading (``" = Title = "``, exactly one ``=`` each side) starts an article, whose
    title is the heading text. Its text is the following lines, each stripped, blank ones
    dropped, joined by "\\n"; section headings (``" = = Section = = "``) stay as lines. Lines
    before the first heading and articles with no text are dropped. The raw text is kept as is
    (``@-@`` and friends included).
    """
    articles: list[dict] = []
    title: str | None = None
    body: list[str] = []

    def flush() -> None:
        if title is not None and body:
            articles.append({"title": title, "text": "\n".join(body)})

    for line in lines:
        line = line.strip()
        if not line:
            continue
        m = _LEVEL1_HEADING.match(line)
        if m and m.group(1).strip():
            flush()
            title, body = m.group(1).strip(), []
        elif title is not None:
            body.append(line)
    flush()
    return articles


def qasrl1_record(row: dict) -> dict:
    """A ``luheng/qa_srl`` row -> the QA-SRL 1.0 record (the same six fields, plain types)."""
    return {
        "sentence": row["sentence"],
        "sent_id": str(row["sent_id"]),
        "predicate_idx": int(row["predicate_idx"]),
        "predicate": row["predicate"],
        "question": list(row["question"]),
        "answers": list(row["answers"]),
    }


def qasrl2_record(row: dict) -> dict:
    """A ``biu-nlp/qa_srl2018`` (QA-SRL Bank 2.0) row -> the QA-SRL 1.0 record.

    Assumed fields (those of the dataset's former loading script; check ``.features`` on a real
    copy): ``sentence`` (space-tokenized), ``sent_id``, ``predicate_idx``, ``predicate``,
    ``is_verbal``, ``verb_form``, ``question`` (7 slots + "?"), ``answers`` (list of str) and
    ``answer_ranges`` (list of [start, end] token spans, end exclusive).

    Answers are rebuilt from the spans, ``" ".join(tokens[start:end])`` with tokens
    ``sentence.split(" ")``, so they always occur in the sentence; duplicates (several
    annotators marking the same span) are dropped, first occurrence kept. Spans outside the
    sentence are ignored. Without usable spans the ``answers`` strings are taken as they are.
    A question of 7 slots gets its "?" appended. The extra fields are dropped.
    """
    tokens = row["sentence"].split(" ")
    answers: list[str] = []
    for span in row.get("answer_ranges") or ():
        if span is None or len(span) != 2:
            continue
        start, end = int(span[0]), int(span[1])
        if 0 <= start < end <= len(tokens):
            text = " ".join(tokens[start:end])
            if text not in answers:
                answers.append(text)
    if not answers:
        answers = list(dict.fromkeys(row.get("answers") or ()))
    question = list(row["question"])
    if len(question) == 7:
        question.append("?")
    return {
        "sentence": row["sentence"],
        "sent_id": str(row["sent_id"]),
        "predicate_idx": int(row["predicate_idx"]),
        "predicate": row["predicate"],
        "question": question,
        "answers": answers,
    }


def squad_record(row: dict) -> dict:
    """A ``rajpurkar/squad`` row, unchanged (nested ``answers`` as lists)."""
    answers = row["answers"]
    return {
        "id": row["id"],
        "title": row["title"],
        "context": row["context"],
        "question": row["question"],
        "answers": {"text": list(answers["text"]), "answer_start": [int(a) for a in answers["answer_start"]]},
    }


def _qasrl_records(rows: Iterable[dict], convert, where: str) -> list[dict]:
    """Convert rows, dropping (and counting in a warning) those the pipeline could not use."""
    from emergence.data.qa import validate_qasrl_record

    records, dropped = [], 0
    for i, row in enumerate(rows):
        rec = convert(row)
        try:
            validate_qasrl_record(rec, where, i + 1)
        except ValueError:
            dropped += 1
            continue
        records.append(rec)
    if dropped:
        log.warning("%s: dropped %d of %d QA-SRL records that fail validation (e.g. no answer)",
                    where, dropped, dropped + len(records))
    return records


# --------------------------------------------------------------------------- loading

def _local_path(spec: HubDataset, local_dir) -> Path:
    path = Path(local_dir) / spec.repo_id
    if not path.is_dir():
        raise SourceError(
            f"{path} not found: source: local expects a copy of the hub dataset repo {spec.repo_id} "
            f"at <local_dir>/{spec.repo_id}/ with data files "
            f"{', '.join(spec.files(s) for s in SPLITS)}"
            + (f" and a README.md whose YAML configs: block names config {spec.config!r}" if spec.card else "")
            + "; or use source: embedded")
    return path


def _load(source: str, spec: HubDataset, local_dir, cache_dir, to_records) -> dict[str, list[dict]]:
    """``load_dataset`` of one dataset -> {split: to_records(Dataset, split)} for SPLITS.

    A local copy goes through a cache folder named by its files' sha256 (under ``cache_dir``, or
    the ``datasets`` default cache), so the same path with other files is never served stale.
    Every failure becomes a SourceError.
    """
    where = str(_local_path(spec, local_dir)) if source == "local" else spec.repo_id
    args, kwargs = spec.load_args()
    try:
        import datasets

        if source == "local":
            files = mirror_fingerprint(local_dir, [spec])
            base = Path(cache_dir) if cache_dir is not None else Path(datasets.config.HF_DATASETS_CACHE)
            kwargs["cache_dir"] = str(base / "emergence-local" / _digest(files)[:24])
        elif cache_dir is not None:
            kwargs["cache_dir"] = str(cache_dir)
        # A local copy needs no network: keep datasets offline so it cannot reach for one.
        with _offline_mode(source == "local" or _offline()):
            loaded = datasets.load_dataset(where, *args, **kwargs)
    except Exception as e:  # noqa: BLE001 -- any failure of the source becomes one clear line
        raise SourceError(_failure(source, spec, where, e)) from e
    missing = [s for s in SPLITS if s not in loaded]
    if missing:
        raise SourceError(f"{spec.repo_id} ({_how(spec)}) from {where} has no split "
                          f"{', '.join(missing)} (found {', '.join(loaded)})")
    return {s: to_records(loaded[s], s) for s in SPLITS}


def _how(spec: HubDataset) -> str:
    how = f"config {spec.config!r}" if spec.card else f"data_dir {spec.config!r}"
    return how + (f", revision {spec.revision!r}" if spec.revision else "")


def _failure(source: str, spec: HubDataset, where: str, e: Exception) -> str:
    cause = (str(e).strip().splitlines() or [""])[0][:300]
    what = f"could not load {spec.repo_id} ({_how(spec)})"
    if source == "local":
        card = " and a README.md with its YAML configs: block" if spec.card else ""
        return (f"{what} from {where}: {type(e).__name__}: {cause}. The folder must hold the hub "
                f"repo's data files ({spec.files('train')}, ...){card}; or use source: embedded")
    offline = " in offline mode (HF_HUB_OFFLINE/HF_DATASETS_OFFLINE set) and it is not cached" if _offline() else ""
    return (f"{what} from the Hugging Face hub{offline}: {type(e).__name__}: {cause}. "
            f"Use source: embedded (no download), or source: local with local_dir holding a copy "
            f"at <local_dir>/{spec.repo_id}/")


def _rows(ds) -> Iterator[dict]:
    for batch in ds.iter(batch_size=10_000):
        keys = list(batch)
        for values in zip(*(batch[k] for k in keys)):
            yield dict(zip(keys, values))


def _column(ds, name: str) -> Iterator[str]:
    for batch in ds.iter(batch_size=10_000):
        yield from batch[name]


# --------------------------------------------------------------------------- network

def _offline() -> bool:
    """True when HF_HUB_OFFLINE or HF_DATASETS_OFFLINE (or TRANSFORMERS_OFFLINE) is set true."""
    return any(os.environ.get(v, "").strip().upper() in ("1", "ON", "YES", "TRUE")
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"))


@contextlib.contextmanager
def _offline_mode(enabled: bool) -> Iterator[None]:
    """Make ``datasets`` and ``huggingface_hub`` honour offline mode for one call.

    Both read the environment once, at import; if they were imported before the variable was
    set they would still reach for the network. Setting their flags for the call closes that gap.
    """
    if not enabled:
        yield
        return
    import datasets.config
    import huggingface_hub.constants

    saved = (datasets.config.HF_HUB_OFFLINE, datasets.config.HF_DATASETS_OFFLINE,
             huggingface_hub.constants.HF_HUB_OFFLINE)
    datasets.config.HF_HUB_OFFLINE = datasets.config.HF_DATASETS_OFFLINE = True
    huggingface_hub.constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        (datasets.config.HF_HUB_OFFLINE, datasets.config.HF_DATASETS_OFFLINE,
         huggingface_hub.constants.HF_HUB_OFFLINE) = saved


def hub_endpoint() -> tuple[str, int]:
    """(host, port) of the hub: HF_ENDPOINT if set, else huggingface.co:443."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)
    port = url.port or (80 if url.scheme == "http" else 443)
    return url.hostname or "huggingface.co", port


def _check_reachable(repo_id: str, timeout_s: float) -> None:
    """Raise SourceError unless a TCP connection to the hub opens within ``timeout_s``.

    Runs in a daemon thread so that a hanging DNS lookup, which the socket timeout does not
    cover, cannot hold the caller past the deadline.
    """
    host, port = hub_endpoint()
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            outcome.append(None)
        except BaseException as e:  # noqa: BLE001 -- reported below
            outcome.append(e)

    thread = threading.Thread(target=attempt, name="hub-reachability", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if outcome and outcome[0] is None:
        return
    cause = f"{type(outcome[0]).__name__}: {outcome[0]}" if outcome else f"no answer in {timeout_s:g} s"
    raise SourceError(
        f"cannot reach the Hugging Face hub at {host}:{port} to load {repo_id} ({cause}). "
        f"Use source: embedded (no download), or source: local with local_dir holding copies of "
        f"the hub repos at <local_dir>/<org>/<name>/")
