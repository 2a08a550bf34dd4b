import copy
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from emergence import params as params_mod
from emergence.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "params.yaml").read_text())


def test_project_params_load():
    p = params_mod.load(ROOT / "params.yaml")
    assert p.model == "tiny" and p.freeze is False and p.finetune_samples == "all"
    assert set(p.sizes) == set(params_mod.SIZES)


def with_change(path: str, value):
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()

# (key changed, bad value, text the one-line error must contain)
BAD = [
    ("model", "huge", "model: 'huge' is not one of tiny, small, base, medium"),
    ("pretrain_data", "books", "pretrain_data: 'books' is not one of wiki, wiki+nq"),
    ("source", "s3", "source: 's3' is not one of embedded, hub, local"),
    ("finetune_samples", 0, "finetune_samples: 0 is not 'all' or a positive integer"),
    ("finetune_samples", -5, "finetune_samples: -5 is not 'all' or a positive integer"),
    ("finetune_samples", 2.5, "finetune_samples: 2.5 is not 'all' or a positive integer"),
    ("finetune_samples", "some", "finetune_samples: 'some' is not 'all' or a positive integer"),
    ("freeze", "yes please", "freeze: expected bool, got 'yes please'"),
    ("seed", 1.5, "seed: expected int, got 1.5"),
    ("seed", DELETE, "seed: missing key"),
    ("seeds", [], "seeds: empty"),
    ("seeds", [0, 1, 1], "seeds: 1 appears twice"),
    ("seeds", [0, -2], "seeds: -2 is negative"),
    ("seeds", [0, "one"], "seeds[1]: expected int, got 'one'"),
    ("seeds", 3, "seeds: expected a list, got 3"),
    ("sizes.tiny.d_model", 65, "sizes.tiny.d_model: 65 is not divisible by n_head=4"),
    ("sizes.tiny.lr", "fast", "sizes.tiny.lr: expected float, got 'fast'"),
    ("sizes.small.context", 64, "finetune.max_length: 96 is longer than sizes.small.context=64"),
    ("sizes.tiny.max_steps", 0, "sizes.tiny.max_steps: must be > 0, got 0"),
    ("sizes.huge", BASE["sizes"]["tiny"], None),  # extra presets are allowed ...
    ("sizes.tiny.colour", "red", "sizes.tiny.colour: unknown key"),
    ("pretrain.device", "tpu", "pretrain.device: 'tpu' is not one of auto, cpu, cuda"),
    ("finetune.doc_stride", 80, "finetune.doc_stride: 80 must be in [0, max_length/2)"),
    ("embedded.documents.train", -1, "embedded.documents.train: must be > 0, got -1"),
    ("tokenizer.vocab_size", 100, "tokenizer.vocab_size: 100 is below"),
    ("local_dir", 3, "local_dir: expected str, got 3"),
    ("learning_rate", 0.1, "learning_rate: unknown key"),
    ("backend", "cloud", "backend: 'cloud' is not one of local, docker, modal"),
    ("backend", DELETE, "backend: missing key"),
    ("docker.image", "", "docker.image: '' is not an image tag"),
    ("docker.image", "emergence latest", "docker.image: 'emergence latest' is not an image tag"),
    ("modal.gpu", "A11G", "modal.gpu: 'A11G' is not one of T4, L4, A10, A10G"),
    ("modal.gpu", "A10G:0", "modal.gpu: 'A10G:0' is not one of"),
    ("modal.gpu", "h100:2", None),  # Modal upper-cases the type; a count is allowed
    ("modal.volume", "my volume", "modal.volume: 'my volume' is not a Volume name"),
    ("modal.timeouts.pretrain", 5, "modal.timeouts.pretrain: 5 s is outside Modal's 10..86400 s"),
    ("modal.timeouts.run", 90000, "modal.timeouts.run: 90000 s is outside"),
    ("modal.timeouts.eval", 60.5, "modal.timeouts.eval: expected int, got 60.5"),
    ("modal.timeouts.train", 60, "modal.timeouts.train: unknown key"),
    ("modal.timeouts.bench", DELETE, "modal.timeouts.bench: missing key"),
    ("pretrain_tokens", 0, "pretrain_tokens: 0 is not 'preset' or a positive token count"),
    ("pretrain_tokens", "lots", "pretrain_tokens: 'lots' is not 'preset' or a positive token count"),
    ("pretrain_tokens", "1.0005K", "pretrain_tokens: '1.0005K' is not"),
    ("pretrain_tokens", "2.5M", None),
    ("pretrain_tokens", DELETE, "pretrain_tokens: missing key"),
    ("probe.question_aware", "yes", "probe.question_aware: expected bool, got 'yes'"),
    ("probe.roles", DELETE, "probe.roles: missing key"),
    ("probe.layers", [0, 1], "probe.layers: unknown key"),
    ("embedded.unseen_verbs", 13, "embedded.unseen_verbs: 13 is outside [0, 12]"),
    ("embedded.unseen_verbs", -1, "embedded.unseen_verbs: -1 is outside [0, 12]"),
]


@pytest.mark.parametrize("key,value,message", BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_bad_params_fail_with_one_line_and_exit_2_writing_nothing(tmp_path, monkeypatch, key, value, message):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(with_change(key, value)))
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if message is None:
        params_mod.load("params.yaml")  # valid: no error
        return
    with pytest.raises(params_mod.ParamsError) as err:
        params_mod.load("params.yaml")
    assert message in str(err.value)
    # The same through the real CLI, before any stage writes a byte.
    result = CliRunner().invoke(main, ["download"])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cli_flags_are_validated_like_params(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["finetune", "--samples", "0"])
    assert result.exit_code == 2 and "finetune_samples: 0" in result.output
    result = CliRunner().invoke(main, ["finetune", "--mode", "full", "--freeze", "true"])
    assert result.exit_code == 2 and "contradicts" in result.output
    result = CliRunner().invoke(main, ["--backend", "cloud", "download"])
    assert result.exit_code == 2 and "'cloud' is not one of 'local', 'docker', 'modal'" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_tokens_from_strings():
    assert params_mod.parse_tokens("preset") == "preset"
    assert [params_mod.parse_tokens(v) for v in ("10M", "2.5m", "250K", "1_000", "1G", 7)] == \
        [10_000_000, 2_500_000, 250_000, 1000, 10**9, 7]


def test_settings_apply_like_dvc_set():
    data = {"a": 1, "b": {"c": [1, 2]}}
    assert params_mod.apply_settings(data, ["a=3", "b.c=[5]"]) == {"a": 3, "b": {"c": [5]}}
    assert data == {"a": 1, "b": {"c": [1, 2]}}  # a copy
    for bad, message in (("a", "not KEY=VALUE"), ("b.d=1", "b.d: unknown key"), ("a.c=1", "a.c: unknown key")):
        with pytest.raises(params_mod.ParamsError, match=message):
            params_mod.apply_settings(data, [bad])


def test_samples_from_strings():
    assert params_mod.parse_samples("all") == "all"
    assert params_mod.parse_samples("50") == 50
    assert params_mod.parse_samples(10) == 10


def test_a_few_shot_size_above_the_training_set_stops_before_any_work(tmp_path, monkeypatch):
    """Decided from data/raw/manifest.json as soon as download has run: exit 2, naming the count."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    (tmp_path / "data/raw").mkdir(parents=True)
    (tmp_path / "data/raw/manifest.json").write_text(json.dumps({"records": {"qasrl/train": 5123}}))
    result = CliRunner().invoke(main, ["finetune", "--samples", "99999999"])
    assert result.exit_code == 2, result.output
    assert "99,999,999 is more than the 5,123 qasrl training questions" in result.output
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["finetune_samples"] = 99999999
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    for stage in ("tokenize", "pretrain", "eval", "probe"):
        result = CliRunner().invoke(main, [stage])
        assert result.exit_code == 2 and "5,123" in result.output and result.output.count("\n") == 1, stage
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "data", "data/raw", "data/raw/manifest.json", "params.yaml"]
    params["finetune_samples"] = 5123   # the whole set, by number: allowed
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert params_mod.load("params.yaml").finetune_samples == 5123
