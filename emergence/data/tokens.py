"""Byte-level BPE and token memmaps.

One tokenizer, trained on the pretraining corpus's train split only, serves every model size
and both data conditions. Each corpus split becomes a flat array of token ids on disk
(`<corpus>/<split>.bin`, uint16 while the vocabulary fits, else uint32), documents separated by
<|endoftext|>; pretraining reads random windows from it through np.memmap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from emergence import layout
from emergence.errors import CorruptInput, MissingInput
from emergence.files import atomic_path, write_json

EOT = "<|endoftext|>"
PAD = "<|pad|>"
SEP = "<|sep|>"  # between question and context in QA inputs
SPECIAL_TOKENS = (EOT, PAD, SEP)
ENCODED = ("wiki", "nq")  # encoded whole, train and validation
QA_CORPUS = "qa"          # the QA task's training questions as text, train only (the positive control)
ENCODE_BATCH = 512  # documents per encode_batch call: the Rust side splits them over all cores

Progress = Callable[[str, int, int], None]  # (task, done, total)


def pretraining_text(corpus: str, record: dict) -> str:
    """How a raw record reads as pretraining text. nq lines become a question and its first
    answer on two lines, e.g. 'Question: where did mary sit?\\nAnswer: on the bench'. A QA
    training record (corpus `qasrl` or `squad`) reads in the finetuning input's order: the
    question, its context, then the first answer, e.g.
    'Question: who sat somewhere?\\nContext: Mary sat on the bench .\\nAnswer: Mary'."""
    if corpus == "wiki":
        return record["text"]
    if corpus == "nq":
        return f"Question: {record['question'].rstrip('?')}?\nAnswer: {record['answer'][0]}"
    if corpus == "qasrl":
        from emergence.data.qa import question_text
        return f"Question: {question_text(record['question'])}\nContext: {record['sentence']}\nAnswer: {record['answers'][0]}"
    if corpus == "squad":
        return f"Question: {record['question']}\nContext: {record['context']}\nAnswer: {record['answers']['text'][0]}"
    raise ValueError(f"unknown corpus {corpus!r}")


def iter_texts(path: Path, corpus: str, sample_mb: float | None = None) -> Iterator[str]:
    """Stream one raw JSONL split as texts without holding the file in memory.

    With `sample_mb`, yield only about that many megabytes, spread evenly over the file (every
    k-th line, deterministic), so a tokenizer trained on the sample sees every part of the corpus
    rather than its first articles. Skipped lines are never parsed.
    """
    keep = 1.0
    if sample_mb is not None:
        keep = min(1.0, sample_mb * 1e6 / max(1, Path(path).stat().st_size))
    with open(path) as f:
        for i, line in enumerate(f):
            # line i is kept when the running quota floor((i+1)*keep) steps up: an even spread
            if int((i + 1) * keep) > int(i * keep) and line.strip():
                yield pretraining_text(corpus, json.loads(line))


def train_tokenizer(texts: Iterator[str], vocab_size: int, min_frequency: int) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    # Trim the leading space out of each token's character offsets, so an answer span maps to
    # exactly its characters in the context.
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def token_dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16) if vocab_size <= 2**16 else np.dtype(np.uint32)


def encode_split(tok: Tokenizer, src: Path, corpus: str, dst: Path,
                 progress: Progress | None = None) -> int:
    """Encode a JSONL split to a .bin of token ids, streaming in batches. Returns token count."""
    dtype = token_dtype(tok.get_vocab_size())
    eot = np.array([tok.token_to_id(EOT)], dtype=dtype)
    total_bytes = src.stat().st_size
    n_tokens = 0
    with atomic_path(dst) as tmp, open(tmp, "wb") as out, open(src, "rb") as f:
        batch: list[str] = []

        def flush():
            nonlocal n_tokens
            parts = []
            # encode_batch_fast skips the character offsets, which pretraining never reads
            # (measured 2.2x the throughput of encode_batch on the 500 MB benchmark text)
            for enc in tok.encode_batch_fast(batch):
                parts += [np.asarray(enc.ids, dtype=dtype), eot]
            arr = np.concatenate(parts)
            out.write(arr.tobytes())
            n_tokens += arr.size
            batch.clear()

        for line in f:
            if line.strip():
                batch.append(pretraining_text(corpus, json.loads(line)))
            if len(batch) == ENCODE_BATCH:
                flush()
                if progress:
                    progress(f"encode {corpus}/{dst.stem}", f.tell(), total_bytes)
        if batch:
            flush()
        if progress:
            progress(f"encode {corpus}/{dst.stem}", total_bytes, total_bytes)
    return n_tokens


def tokenize(raw_dir: Path, out_dir: Path, vocab_size: int, min_frequency: int,
             progress: Progress | None = None, train_sample_mb: float | None = None, task: str = "qasrl") -> dict:
    """Train the BPE on (an even sample of) wiki/train, encode every corpus split whole, and the
    task's QA training questions as `qa/train.bin` (the validation questions never enter
    pretraining text); returns the meta written."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    inputs = [layout.raw_file(raw_dir, c, s) for c in ENCODED for s in ("train", "validation")]
    for path in inputs + [layout.raw_file(raw_dir, task, "train")]:   # every input checked before anything is written
        if not path.exists():
            raise MissingInput(f"{path}: not found (run `emergence download`)")
    texts = iter_texts(layout.raw_file(raw_dir, "wiki", "train"), "wiki", train_sample_mb)
    tok = train_tokenizer(texts, vocab_size, min_frequency)
    with atomic_path(out_dir / layout.TOKENIZER) as tmp:
        tok.save(str(tmp))
    counts = {}
    for corpus in ENCODED:
        for split in ("train", "validation"):
            counts[f"{corpus}/{split}"] = encode_split(tok, layout.raw_file(raw_dir, corpus, split), corpus,
                                                       layout.token_file(out_dir, corpus, split), progress)
    counts[f"{QA_CORPUS}/train"] = encode_split(tok, layout.raw_file(raw_dir, task, "train"), task,
                                                layout.token_file(out_dir, QA_CORPUS, "train"), progress)
    meta = {
        "vocab_size": tok.get_vocab_size(),
        "dtype": token_dtype(tok.get_vocab_size()).name,
        "special_tokens": {t: tok.token_to_id(t) for t in SPECIAL_TOKENS},
        "tokens": counts,
        "qa_task": task,
    }
    write_json(out_dir / layout.TOKENS_META, meta)
    return meta


def load_tokenizer(tokens_dir: Path) -> Tokenizer:
    path = Path(tokens_dir) / layout.TOKENIZER
    if not path.exists():
        raise MissingInput(f"{path}: not found (run `emergence tokenize`)")
    return Tokenizer.from_file(str(path))


def open_tokens(path: Path, dtype: str | np.dtype) -> np.memmap:
    """Memory-map a .bin; a size that is not a whole number of ids means a truncated file."""
    path = Path(path)
    if not path.exists():
        raise MissingInput(f"{path}: not found (run `emergence tokenize`)")
    itemsize = np.dtype(dtype).itemsize
    size = path.stat().st_size
    if size % itemsize or size == 0:
        raise CorruptInput(f"{path}: {size} bytes is not a positive multiple of {itemsize} ({np.dtype(dtype).name}); "
                         "the file is truncated or corrupt: rerun `emergence tokenize`")
    return np.memmap(path, dtype=dtype, mode="r")
