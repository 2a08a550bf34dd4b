from emergence.params import ModelSize
from emergence.pretrain import budget

PRESET = ModelSize(n_layer=2, n_head=2, d_model=32, context=128, batch_size=16, max_steps=500, lr=1e-3,
                   warmup_steps=50, hub_batch_size=64, hub_passes=0.5)


def test_embedded_runs_take_the_preset_budget_as_written():
    assert budget(PRESET, "embedded", 10**9) == PRESET


def test_real_corpora_are_budgeted_in_passes_over_their_tokens():
    # 0.5 passes over 10,000,000 tokens at 64 x 128 tokens a step: ceil(5e6 / 8192) = 611 steps
    for source in ("hub", "local"):
        b = budget(PRESET, source, 10_000_000)
        assert (b.batch_size, b.max_steps, b.warmup_steps) == (64, 611, 12)  # 2% of 611, rounded
        assert (b.n_layer, b.lr, b.context) == (2, 1e-3, 128)
    # a corpus smaller than one step still trains a step, with a step of warmup
    tiny = budget(PRESET, "local", 100)
    assert (tiny.max_steps, tiny.warmup_steps) == (1, 1)


def test_a_token_budget_replaces_the_preset_or_the_passes():
    # embedded: ceil(10M / (16 x 128)) = 4883 steps of the preset batch, warmup as written
    b = budget(PRESET, "embedded", 10**9, 10_000_000)
    assert (b.batch_size, b.max_steps, b.warmup_steps) == (16, 4883, 50)
    # hub: the hub batch, ceil(10M / (64 x 128)) = 1221 steps whatever the passes say, 2% warmup
    h = budget(PRESET, "hub", 10**9, 10_000_000)
    assert (h.batch_size, h.max_steps, h.warmup_steps) == (64, 1221, 24)
    assert budget(PRESET, "embedded", 10**9, "preset") == PRESET
