"""The hub/local sources: real-corpus loading through `datasets.load_dataset`.

No test here may reach the network: every test points HF_ENDPOINT at a closed local port and
the hub's caches at tmp dirs. `source: local` runs on `write_hub_fixture`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emergence.data import hub
from emergence.data.hub import SourceError, load_world, mirror_fingerprint, qasrl2_record, wanted, wikitext_articles
from emergence.data.hub_fixture import write_hub_fixture
from emergence.data.qa import qasrl_to_examples, validate_qasrl_record

CLOSED_ENDPOINT = "http://127.0.0.1:9"   # discard port: nothing listens, connect is refused at once


# --------------------------------------------------------------------------- environment

def _sandbox(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Point every hub path at tmp and the endpoint at a closed port; clear offline flags."""
    mp.setenv("HF_HOME", str(tmp / "hf_home"))
    mp.setenv("HF_DATASETS_CACHE", str(tmp / "hf_datasets"))
    mp.setenv("HF_ENDPOINT", CLOSED_ENDPOINT)
    mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        mp.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def sandbox(monkeypatch, tmp_path):
    _sandbox(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """(local_dir, cache_dir, world) loaded once: QA-SRL 1.0 with SQuAD."""
    tmp = tmp_path_factory.mktemp("hub")
    with pytest.MonkeyPatch.context() as mp:
        _sandbox(mp, tmp)
        root = write_hub_fixture(tmp / "local")
        cache = tmp / "cache"
        world = load_world("local", str(root), "1.0", include_squad=True, cache_dir=cache)
    return root, cache, world


# --------------------------------------------------------------------------- source: local

def test_local_world_has_the_embedded_shape(local):
    _, _, world = local
    assert set(world) == {"wiki", "nq", "qasrl", "squad"}
    for corpus in world.values():
        assert set(corpus) == {"train", "validation"}
    json.dumps(world)   # plain types only: the download stage writes them as JSON lines


def test_wikitext_articles_rebuilt_from_lines(local):
    _, _, world = local
    train = world["wiki"]["train"]
    assert [a["title"] for a in train] == ["Ada Lovelace", "Analytical Engine", "Charles Babbage"]
    assert [a["title"] for a in world["wiki"]["validation"]] == ["Jacquard machine"]
    ada = train[0]["text"].split("\n")
    assert ada[0].startswith("Augusta Ada King , Countess of Lovelace")
    assert "= = Early life = =" in ada and "= = = Education = = =" in ada   # sections stay lines
    for article in train:
        lines = article["text"].split("\n")
        assert all(line and line == line.strip() for line in lines)        # no blank, stripped
        assert not any(line.startswith("= ") and not line.startswith("= =") for line in lines)
    assert "1 @,@ 000" in train[1]["text"] and "general @-@ purpose" in train[1]["text"]   # raw kept


def test_wikitext_articles_edge_cases():
    rows = [" stray line before any article \n", "", " = A = \n", "", " = = Only a heading = = \n", "",
            " = B = \n", " \n", " First . \n", "", " Second . \n", " = = = Deep = = = \n"]
    assert wikitext_articles(rows) == [
        {"title": "A", "text": "= = Only a heading = ="},
        {"title": "B", "text": "First .\nSecond .\n= = = Deep = = ="},
    ]
    assert wikitext_articles(["", " = Empty = \n", "", " = C = \n", " x \n"]) == [{"title": "C", "text": "x"}]


def test_nq_records(local):
    _, _, world = local
    assert world["nq"]["train"][2] == {"question": "when was ada lovelace born", "answer": ["1815", "10 December 1815"]}
    assert len(world["nq"]["train"]) == 5 and len(world["nq"]["validation"]) == 3


def test_qasrl_records_validate_and_align(local):
    _, _, world = local
    qasrl = world["qasrl"]
    assert len(qasrl["train"]) == 23 and len(qasrl["validation"]) == 8
    for split, records in qasrl.items():
        for i, rec in enumerate(records):
            validate_qasrl_record(rec, split, i + 1)
            assert set(rec) == {"sentence", "sent_id", "predicate_idx", "predicate", "question", "answers"}
    _, stats = qasrl_to_examples(qasrl["train"] + qasrl["validation"])
    assert stats["n_answers_unfound"] == 0
    assert qasrl["train"][0]["question"] == ["who", "_", "_", "wrote", "something", "_", "_", "?"]


def test_squad_nested_answers_preserved(local):
    _, _, world = local
    rec = world["squad"]["validation"][0]
    assert set(rec) == {"id", "title", "context", "question", "answers"}
    assert rec["answers"]["text"] == ["Bernoulli numbers", "Bernoulli numbers", "numbers"]
    for split in ("train", "validation"):
        for r in world["squad"][split]:
            for text, start in zip(r["answers"]["text"], r["answers"]["answer_start"]):
                assert r["context"][start:start + len(text)] == text


def test_qasrl_2_from_token_spans(local):
    root, cache, world_1 = local
    world = load_world("local", root, "2.0", cache_dir=cache)
    assert "squad" not in world
    for split in ("train", "validation"):
        v1, v2 = world_1["qasrl"][split], world["qasrl"][split]
        assert len(v2) == len(v1)
        for i, (a, b) in enumerate(zip(v1, v2)):
            validate_qasrl_record(b, split, i + 1)
            assert b == a      # the fixture's 2.0 spans cover exactly the 1.0 answers


def test_qasrl2_record_converts_spans_not_strings():
    row = {"sentence": "Babbage built the Difference Engine .", "sent_id": "s1", "predicate_idx": 1,
           "predicate": "built", "is_verbal": True, "verb_form": "build",
           "question": ["who", "_", "_", "built", "something", "_", "_"],   # 7 slots, no "?"
           "answers": ["stale text"], "answer_ranges": [[2, 5], [0, 1], [2, 5], [4, 99]]}
    rec = qasrl2_record(row)
    assert rec == {"sentence": row["sentence"], "sent_id": "s1", "predicate_idx": 1, "predicate": "built",
                   "question": ["who", "_", "_", "built", "something", "_", "_", "?"],
                   "answers": ["the Difference Engine", "Babbage"]}
    assert qasrl2_record({**row, "answer_ranges": []})["answers"] == ["stale text"]


def test_local_missing_dir_names_expected_path(tmp_path):
    with pytest.raises(SourceError) as e:
        load_world("local", str(tmp_path / "nowhere"), cache_dir=tmp_path / "cache")
    msg = str(e.value)
    assert str(tmp_path / "nowhere" / "Salesforce" / "wikitext") in msg
    assert "wikitext-103-raw-v1/train-*.parquet" in msg and "README.md" in msg
    assert "source: embedded" in msg and "\n" not in msg


def test_local_without_configs_block_is_a_source_error(local, tmp_path):
    import shutil

    root, _, _ = local
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "Salesforce" / "wikitext" / "README.md").unlink()
    with pytest.raises(SourceError) as e:
        load_world("local", copy, cache_dir=tmp_path / "cache")
    assert "Salesforce/wikitext" in str(e.value) and "configs:" in str(e.value)


def test_fixture_has_the_hubs_layout(local):
    """Cards only where the hub's branch has one; QA-SRL as the parquet converter lays it out."""
    root, _, _ = local
    assert not (root / "luheng/qa_srl/README.md").exists()
    assert not (root / "biu-nlp/qa_srl2018/README.md").exists()
    for repo in ("Salesforce/wikitext", "google-research-datasets/nq_open", "rajpurkar/squad"):
        assert "configs:" in (root / repo / "README.md").read_text()
    for split in ("train", "validation", "test"):
        assert (root / f"luheng/qa_srl/plain_text/{split}/0000.parquet").is_file()
        assert (root / f"biu-nlp/qa_srl2018/v2/{split}/0000.parquet").is_file()
    assert sorted(p.name for p in (root / "Salesforce/wikitext/wikitext-103-raw-v1").iterdir()) == [
        "test-00000-of-00001.parquet", "train-00000-of-00002.parquet", "train-00001-of-00002.parquet",
        "validation-00000-of-00001.parquet"]


def _rewrite_qasrl_sentence(root, old: str, new: str) -> None:
    """Edit one word in every QA-SRL 1.0 parquet file of a mirror, in place (same card, same names)."""
    import pyarrow.parquet as pq

    for path in (root / "luheng/qa_srl/plain_text").rglob("*.parquet"):
        table = pq.read_table(path).to_pylist()
        for row in table:
            row["sentence"] = row["sentence"].replace(old, new)
            row["answers"] = [a.replace(old, new) for a in row["answers"]]
        schema = pq.read_schema(path)
        import pyarrow as pa
        pq.write_table(pa.Table.from_pylist(table, schema=schema), path)


def test_local_mirrors_are_read_by_content_not_path(tmp_path):
    """Two mirrors, and one mirror changed in place, each give their own records through one
    shared cache folder (datasets alone would serve the first mirror's rows again)."""
    cache = tmp_path / "cache"
    alpha = write_hub_fixture(tmp_path / "alpha")
    beta = write_hub_fixture(tmp_path / "beta")
    _rewrite_qasrl_sentence(beta, "Lyon", "Paris")

    def sentences(root):
        world = load_world("local", root, "1.0", cache_dir=cache)
        return " ".join(r["sentence"] for r in world["qasrl"]["validation"])

    assert "Lyon" in sentences(alpha)
    assert "Paris" in sentences(beta) and "Lyon" not in sentences(beta)
    _rewrite_qasrl_sentence(alpha, "Lyon", "Nantes")        # the same folder, new content
    assert "Nantes" in sentences(alpha)


def test_mirror_fingerprint_follows_content(tmp_path):
    root = write_hub_fixture(tmp_path / "m")
    specs = wanted("1.0", include_squad=True)
    before = mirror_fingerprint(root, specs)
    assert "luheng/qa_srl/plain_text/validation/0000.parquet" in before
    assert mirror_fingerprint(root, specs) == before
    _rewrite_qasrl_sentence(root, "Lyon", "Paris")
    after = mirror_fingerprint(root, specs)
    changed = {k for k in before if before[k] != after[k]}
    assert "luheng/qa_srl/plain_text/validation/0000.parquet" in changed
    assert all(k.startswith("luheng/") for k in changed)   # the other repos are untouched


def test_local_source_needs_local_dir():
    with pytest.raises(SourceError, match="local_dir"):
        load_world("local", None)


# --------------------------------------------------------------------------- source: hub, no network

def _no_network(monkeypatch) -> list:
    """Fail any socket connection attempt; returns the list of attempted addresses."""
    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no network to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _assert_hub_message(msg: str, repo_id: str = "Salesforce/wikitext") -> None:
    assert repo_id in msg and "source: embedded" in msg and "source: local" in msg and "\n" not in msg


def test_hub_unreachable_endpoint_fails_fast(tmp_path):
    # HF_ENDPOINT is the closed local port (sandbox): the real check runs and is refused.
    with pytest.raises(SourceError) as e:
        load_world("hub", str(tmp_path), timeout_s=5.0, cache_dir=tmp_path / "cache")
    _assert_hub_message(str(e.value))
    assert "127.0.0.1:9" in str(e.value)


def test_hub_check_honours_endpoint(monkeypatch):
    attempts = _no_network(monkeypatch)
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.example.test")
    with pytest.raises(SourceError):
        load_world("hub", None, timeout_s=1.0)
    assert attempts == [("hub.example.test", 443)]
    monkeypatch.delenv("HF_ENDPOINT")
    assert hub.hub_endpoint() == ("huggingface.co", 443)


def test_hub_hanging_connection_is_bounded_by_timeout(monkeypatch):
    # The connection answers only when the test releases it, so the message can name the
    # timeout only if the check stopped waiting at timeout_s (no clock in the assertion).
    release = threading.Event()

    def hang(address, timeout=None, *args, **kwargs):
        release.wait()
        raise OSError("late")

    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        with pytest.raises(SourceError, match="no answer in 0.3 s"):
            load_world("hub", None, timeout_s=0.3)
    finally:
        release.set()


@pytest.mark.parametrize("var", ["HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"])
def test_hub_offline_mode_fails_at_once_without_network(monkeypatch, tmp_path, var):
    attempts = _no_network(monkeypatch)
    monkeypatch.setenv(var, "1")
    with pytest.raises(SourceError) as e:
        load_world("hub", None, cache_dir=tmp_path / "cache")
    assert attempts == []          # no reachability check, and datasets stayed offline
    _assert_hub_message(str(e.value))
    assert "offline" in str(e.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="source"):
        load_world("embedded", None)
    with pytest.raises(ValueError, match="qasrl_version"):
        load_world("local", "x", qasrl_version="3.0")


def test_importing_hub_does_not_import_datasets():
    code = "import sys, emergence.data.hub; assert 'datasets' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
