import pytest
import torch
import torch.nn.functional as F

from emergence import params as params_mod
from emergence.model import GPT, GPTConfig, SpanQA, load_weights, span_loss, weights_for_saving

MICRO = GPTConfig(vocab_size=97, context=16, n_layer=2, n_head=2, d_model=32)


def test_shapes():
    torch.manual_seed(0)
    model = GPT(MICRO)
    idx = torch.randint(0, 97, (3, 11))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 11, 97)
    assert loss.shape == ()
    start, end = SpanQA(model)(idx)
    assert start.shape == end.shape == (3, 11)


def test_initial_loss_is_near_uniform():
    # With 0.02-std init the logits are near zero, so the loss on unrelated targets starts near
    # ln(vocab). (Targets equal to the inputs would score higher: the embeddings are tied.)
    torch.manual_seed(0)
    idx, targets = torch.randint(0, 97, (2, 8, 16))
    _, loss = GPT(MICRO)(idx, targets)
    assert abs(loss.item() - torch.log(torch.tensor(97.0)).item()) < 0.1


def test_changing_a_later_token_never_changes_an_earlier_logit():
    torch.manual_seed(0)
    model = GPT(MICRO).eval()
    idx = torch.randint(0, 97, (1, 16))
    for t in range(16):
        changed = idx.clone()
        changed[0, t] = (changed[0, t] + 1) % 97
        a, _ = model(idx)
        b, _ = model(changed)
        assert torch.equal(a[0, :t], b[0, :t]), f"logits before {t} moved"
        assert not torch.allclose(a[0, t:], b[0, t:])


def test_attention_matches_an_explicit_masked_softmax():
    # The SDPA path against attention written out by hand (minGPT's way).
    torch.manual_seed(0)
    model = GPT(MICRO).eval()
    attn = model.blocks[0].attn
    x = torch.randn(2, 7, 32)
    B, T, C = x.shape
    q, k, v = attn.qkv(x).split(C, dim=2)
    q, k, v = (t.view(B, T, 2, C // 2).transpose(1, 2) for t in (q, k, v))
    att = (q @ k.transpose(-2, -1)) / (C // 2) ** 0.5
    att = att.masked_fill(torch.ones(T, T).triu(1).bool(), float("-inf")).softmax(-1)
    expected = attn.proj((att @ v).transpose(1, 2).reshape(B, T, C))
    torch.testing.assert_close(attn(x), expected, rtol=1e-5, atol=1e-6)


def test_embeddings_are_tied():
    model = GPT(MICRO)
    assert model.lm_head.weight is model.wte.weight


def count_on_meta(size: params_mod.ModelSize, vocab: int) -> int:
    with torch.device("meta"):
        model = GPT(GPTConfig(vocab_size=vocab, context=size.context, n_layer=size.n_layer,
                              n_head=size.n_head, d_model=size.d_model))
    return model.num_params()


@pytest.mark.parametrize("name,target", [("tiny", 500e3), ("small", 2e6), ("base", 50e6), ("medium", 100e6)])
def test_presets_are_within_35_percent_of_their_targets(name, target):
    p = params_mod.load("params.yaml")
    n = count_on_meta(p.sizes[name], p.tokenizer.vocab_size)
    assert 0.65 * target <= n <= 1.35 * target, f"{name}: {n:,} parameters"
    if name == "medium":
        assert n >= 100e6  # "100M+"


def test_param_count_formula():
    # vocab*C + context*C (embeddings) + per layer 12C^2 + 13C (+ final LayerNorm 2C)
    C, L, V, T = 32, 2, 97, 16
    expected = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
    assert GPT(MICRO).num_params() == expected


def test_weights_round_trip_and_shape_errors():
    torch.manual_seed(0)
    model = SpanQA(GPT(MICRO))
    state = weights_for_saving(model)
    assert not any(k.endswith("lm_head.weight") for k in state)
    other = SpanQA(GPT(MICRO))
    load_weights(other, state, "x.safetensors")
    assert other.lm.lm_head.weight is other.lm.wte.weight
    for k, v in weights_for_saving(other).items():
        assert torch.equal(v, state[k])
    bad = dict(state)
    bad["lm.wpe.weight"] = torch.zeros(8, 32)
    with pytest.raises(ValueError, match=r"x.safetensors: tensor lm.wpe.weight has shape \(8, 32\)"):
        load_weights(other, bad, "x.safetensors")


def test_span_loss_ignores_non_context_positions():
    start = torch.tensor([[5.0, 0.0, 1.0, 2.0]])
    end = torch.tensor([[9.0, 0.0, 2.0, 1.0]])
    mask = torch.tensor([[False, True, True, True]])
    loss = span_loss(start, end, mask, torch.tensor([2]), torch.tensor([2]))
    expected = (F.cross_entropy(torch.tensor([[0.0, 1.0, 2.0]]), torch.tensor([1]))
                + F.cross_entropy(torch.tensor([[0.0, 2.0, 1.0]]), torch.tensor([1]))) / 2
    torch.testing.assert_close(loss, expected)


def test_gradient_accumulation_matches_one_full_batch():
    import numpy as np

    from emergence.pretrain import TokenWindows, train_step

    tokens = np.random.default_rng(0).integers(0, 97, 5000).astype(np.uint16)
    results = []
    for micro in (1, 4):
        torch.manual_seed(0)
        model = GPT(MICRO)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = train_step(model, opt, TokenWindows([tokens], 16, 8, seed=1), 0.1, 1e9, torch.device("cpu"), micro)
        results.append((loss, [p.detach().clone() for p in model.parameters()]))
    (loss_a, weights_a), (loss_b, weights_b) = results
    torch.testing.assert_close(loss_a, loss_b)
    for a, b in zip(weights_a, weights_b):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_unigram_cross_entropy_by_hand():
    import math

    import numpy as np

    from emergence.pretrain import unigram_cross_entropy

    train = np.array([0, 0, 1], dtype=np.uint16)  # add-one counts over vocab 3: 3, 2, 1 of 6
    val = np.array([0, 2], dtype=np.uint16)
    expected = -(math.log(3 / 6) + math.log(1 / 6)) / 2
    assert math.isclose(unigram_cross_entropy(train, val, 3), expected)
    assert math.isclose(unigram_cross_entropy(train, val, 3, chunk=1), expected)  # chunking changes nothing
