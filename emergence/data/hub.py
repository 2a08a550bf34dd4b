"""Real corpora through ``datasets.load_dataset``: the ``hub`` and ``local`` sources.

``load_world`` returns exactly the shape ``embedded.generate_world`` returns, so the download
stage writes the same raw files whatever the source:

    {"wiki":  {"train": [{"title", "text"}, ...], "validation": [...]},
     "nq":    {"train": [{"question", "answer": [str, ...]}, ...], "validation": [...]},
     "qasrl": {"train": [QA-SRL 1.0 record, ...], "validation": [...]},
     "squad": {...}}                  # only with include_squad=True

Where each corpus comes from (parquet copies on the hub; ``datasets`` 4+ runs no loading scripts):

    wiki   Salesforce/wikitext            config wikitext-103-raw-v1   field text, one row per line
    nq     google-research-datasets/nq_open  config nq_open            question, answer (list)
    qasrl  luheng/qa_srl (1.0)            config plain_text, revision refs/convert/parquet
           biu-nlp/qa_srl2018 (2.0)       config v2,         revision refs/convert/parquet
    squad  rajpurkar/squad                config plain_text            unchanged records

``source="hub"`` calls ``load_dataset(<org>/<name>, config, revision=...)``; ``source="local"``
makes the same call with the directory ``<local_dir>/<org>/<name>`` in place of the id. That
directory is a copy of the hub repo: its data files where the hub has them (``LAYOUTS`` below)
and a README.md whose YAML ``configs:`` block maps the config name to those files, as the hub
repos' cards do; without that block ``datasets`` knows only a config called ``default``.

``datasets`` is heavy and optional for training, so it is imported inside the functions here.
Every failure a user can cause (no network, offline mode with nothing cached, a missing or
malformed local copy) ends in one ``SourceError`` whose one-line message names the dataset and
the way out (``source: embedded``, or ``source: local`` with ``local_dir``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlparse

log = logging.getLogger(__name__)

SPLITS = ("train", "validation")
DEFAULT_ENDPOINT = "https://huggingface.co"
PARQUET_REVISION = "refs/convert/parquet"


class SourceError(RuntimeError):
    """A real-corpus source cannot deliver: no network, nothing cached, or a bad local copy."""


@dataclass(frozen=True)
class HubDataset:
    """One hub dataset: where it lives and how its data files are laid out in the repo."""

    repo_id: str                 # "<org>/<name>"
    config: str
    revision: str | None         # None: the repo's default branch
    layout: str                  # data files per split, relative to the repo root

    def files(self, split: str) -> str:
        return self.layout.format(config=self.config, split=split)


WIKITEXT = HubDataset("Salesforce/wikitext", "wikitext-103-raw-v1", None, "{config}/{split}-*.parquet")
NQ_OPEN = HubDataset("google-research-datasets/nq_open", "nq_open", None, "{config}/{split}-*.parquet")
QASRL_1 = HubDataset("luheng/qa_srl", "plain_text", PARQUET_REVISION, "{config}/{split}/*.parquet")
QASRL_2 = HubDataset("biu-nlp/qa_srl2018", "v2", PARQUET_REVISION, "{config}/{split}/*.parquet")
SQUAD = HubDataset("rajpurkar/squad", "plain_text", None, "{config}/{split}-*.parquet")
QASRL = {"1.0": QASRL_1, "2.0": QASRL_2}


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
    if qasrl_version not in QASRL:
        raise ValueError(f"load_world: qasrl_version must be one of {sorted(QASRL)}, got {qasrl_version!r}")
    wanted = [WIKITEXT, NQ_OPEN, QASRL[qasrl_version]] + ([SQUAD] if include_squad else [])

    if source == "local":
        if not local_dir:
            raise SourceError("source: local needs local_dir (a folder holding <org>/<name>/ copies of "
                              "the hub dataset repos); or use source: embedded")
        for spec in wanted:   # all missing copies are reported before anything is loaded
            _local_path(spec, local_dir)
    elif not _offline():
        _check_reachable(wanted[0].repo_id, timeout_s)

    world: dict[str, dict[str, list[dict]]] = {}
    splits = _load(source, WIKITEXT, local_dir, cache_dir)
    world["wiki"] = {s: wikitext_articles(_column(splits[s], "text")) for s in SPLITS}
    splits = _load(source, NQ_OPEN, local_dir, cache_dir)
    world["nq"] = {s: [{"question": r["question"], "answer": list(r["answer"])} for r in _rows(splits[s])]
                   for s in SPLITS}
    spec = QASRL[qasrl_version]
    convert = qasrl1_record if qasrl_version == "1.0" else qasrl2_record
    splits = _load(source, spec, local_dir, cache_dir)
    world["qasrl"] = {s: _qasrl_records(_rows(splits[s]), convert, f"{spec.repo_id}:{s}") for s in SPLITS}
    if include_squad:
        splits = _load(source, SQUAD, local_dir, cache_dir)
        world["squad"] = {s: [squad_record(r) for r in _rows(splits[s])] for s in SPLITS}
    return world


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
            f"{', '.join(spec.files(s) for s in SPLITS)} and a README.md whose YAML configs: block "
            f"names config {spec.config!r}; or use source: embedded")
    return path


def _load(source: str, spec: HubDataset, local_dir, cache_dir) -> dict:
    """``load_dataset`` of one dataset -> {split: Dataset} for SPLITS; errors -> SourceError."""
    where = str(_local_path(spec, local_dir)) if source == "local" else spec.repo_id
    kwargs = {"revision": spec.revision}
    if cache_dir is not None:
        kwargs["cache_dir"] = str(cache_dir)
    try:
        import datasets

        # A local copy needs no network: keep datasets offline so it cannot reach for one.
        with _offline_mode(source == "local" or _offline()):
            loaded = datasets.load_dataset(where, spec.config, **kwargs)
    except Exception as e:  # noqa: BLE001 -- any failure of the source becomes one clear line
        raise SourceError(_failure(source, spec, where, e)) from e
    missing = [s for s in SPLITS if s not in loaded]
    if missing:
        raise SourceError(f"{spec.repo_id} (config {spec.config!r}) from {where} has no split "
                          f"{', '.join(missing)} (found {', '.join(loaded)})")
    return {s: loaded[s] for s in SPLITS}


def _failure(source: str, spec: HubDataset, where: str, e: Exception) -> str:
    cause = (str(e).strip().splitlines() or [""])[0][:300]
    what = f"could not load {spec.repo_id} (config {spec.config!r}"
    what += f", revision {spec.revision!r})" if spec.revision else ")"
    if source == "local":
        return (f"{what} from {where}: {type(e).__name__}: {cause}. The folder must hold the hub "
                f"repo's data files ({spec.files('train')}, ...) and a README.md with its YAML "
                f"configs: block; or use source: embedded")
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
