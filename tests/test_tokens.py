import json

import numpy as np
import pytest

from emergence.data import tokens

DOCS = [
    "Mary gave the old lantern to John in the harbor.",
    "At dawn, the lantern was sold to a baker by Tom.",
    "The baker who lived near the mill sat on the bench quietly.",
] * 20


@pytest.fixture()
def raw(tmp_path):
    for corpus, split, records in [
        ("wiki", "train", [{"title": f"d{i}", "text": t} for i, t in enumerate(DOCS)]),
        ("wiki", "validation", [{"title": "v", "text": "John sat on the bench."}]),
        ("nq", "train", [{"question": "where did mary sit", "answer": ["on the bench"]}]),
        ("nq", "validation", [{"question": "who sold the lantern", "answer": ["Tom", "tom"]}]),
        ("qasrl", "train", [{"sentence": "Mary sat on the bench .", "sent_id": "s0", "predicate_idx": 1,
                             "predicate": "sat", "question": ["where", "did", "someone", "sit", "_", "_", "_", "?"],
                             "answers": ["on the bench", "the bench"]}]),
        ("qasrl", "validation", [{"sentence": "Zorblax fled .", "sent_id": "v0", "predicate_idx": 1,
                                  "predicate": "fled", "question": ["who", "_", "_", "fled", "_", "_", "_", "?"],
                                  "answers": ["Zorblax"]}]),
    ]:
        path = tmp_path / "raw" / corpus / f"{split}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path / "raw"


def test_tokenize_writes_memmaps_equal_to_encoding_each_document(raw, tmp_path):
    out = tmp_path / "tokens"
    meta = tokens.tokenize(raw, out, vocab_size=300, min_frequency=1)
    tok = tokens.load_tokenizer(out)
    assert meta["dtype"] == "uint16" and meta["vocab_size"] == tok.get_vocab_size() <= 300
    eot = tok.token_to_id(tokens.EOT)
    ids = tokens.open_tokens(out / "wiki" / "train.bin", meta["dtype"])
    expected = [i for d in DOCS for i in tok.encode(d).ids + [eot]]
    assert ids.tolist() == expected
    assert meta["tokens"]["wiki/train"] == len(expected)
    nq = tokens.open_tokens(out / "nq" / "validation.bin", meta["dtype"])
    assert tok.decode(nq.tolist()) == "Question: who sold the lantern?\nAnswer: Tom"


def test_the_qa_corpus_holds_the_training_questions_in_the_finetuning_inputs_order(raw, tmp_path):
    """The positive control's extra text: question, context, answer; validation never enters it."""
    meta = tokens.tokenize(raw, tmp_path / "t", vocab_size=300, min_frequency=1)
    tok = tokens.load_tokenizer(tmp_path / "t")
    qa = tokens.open_tokens(tmp_path / "t" / "qa" / "train.bin", meta["dtype"]).tolist()
    assert qa[-1] == tok.token_to_id(tokens.EOT) and meta["tokens"]["qa/train"] == len(qa)
    assert tok.decode(qa[:-1]) == "Question: where did someone sit?\nContext: Mary sat on the bench .\nAnswer: on the bench"
    assert not (tmp_path / "t" / "qa" / "validation.bin").exists() and "Zorblax" not in tok.decode(qa)


def test_round_trip_and_special_tokens_reserved(raw, tmp_path):
    tokens.tokenize(raw, tmp_path / "t", vocab_size=300, min_frequency=1)
    tok = tokens.load_tokenizer(tmp_path / "t")
    for text in DOCS[:3] + ["Unseen wörds ünd 数字 survive byte-level BPE!"]:
        assert tok.decode(tok.encode(text).ids) == text
    ids = [tok.token_to_id(t) for t in tokens.SPECIAL_TOKENS]
    assert ids == [0, 1, 2]
    # offsets are trimmed of the leading space: each names exactly its word
    enc = tok.encode("Mary gave the lantern")
    assert [("Mary gave the lantern")[s:e] for s, e in enc.offsets][-1] == "lantern"
    assert all(not ("Mary gave the lantern")[s:e].startswith(" ") for s, e in enc.offsets)


def test_training_uses_wiki_train_only(raw, tmp_path):
    # A word only in validation and nq never becomes a merged token.
    tokens.tokenize(raw, tmp_path / "t", vocab_size=400, min_frequency=1)
    vocab = tokens.load_tokenizer(tmp_path / "t").get_vocab()
    assert "Ġsold" in vocab and "Question" not in vocab


def test_uint32_when_vocab_exceeds_uint16():
    assert tokens.token_dtype(65536) == np.uint16
    assert tokens.token_dtype(65537) == np.uint32


def test_truncated_token_file_is_named(tmp_path):
    path = tmp_path / "train.bin"
    path.write_bytes(b"\x01\x00\x02")
    with pytest.raises(ValueError, match=r"train.bin: 3 bytes is not a positive multiple of 2 \(uint16\)"):
        tokens.open_tokens(path, "uint16")


def test_training_sample_is_spread_evenly_over_the_file(tmp_path):
    # 100 documents of equal length; a quarter of the bytes keeps every 4th document,
    # from the start of the file to its end.
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"title": "t", "text": f"doc {i:03d}"}) + "\n" for i in range(100)))
    quarter_mb = path.stat().st_size / 4 / 1e6
    kept = list(tokens.iter_texts(path, "wiki", sample_mb=quarter_mb))
    assert kept == [f"doc {i:03d}" for i in range(3, 100, 4)]
    assert len(list(tokens.iter_texts(path, "wiki", sample_mb=10.0))) == 100  # more than the file: all


def test_sampled_training_still_encodes_every_document(raw, tmp_path):
    # the merges come from a sample, but train.bin holds every document
    meta = tokens.tokenize(raw, tmp_path / "t", vocab_size=300, min_frequency=1, train_sample_mb=0.001)
    tok = tokens.load_tokenizer(tmp_path / "t")
    eot = tok.token_to_id(tokens.EOT)
    ids = tokens.open_tokens(tmp_path / "t" / "wiki" / "train.bin", meta["dtype"])
    assert ids.tolist() == [i for d in DOCS for i in tok.encode(d).ids + [eot]]
