import pytest
import torch

from emergence.data import tokens
from emergence.data.qa import QAExample, qasrl_to_examples, question_role
from emergence.data.world import generate_world
from emergence.data.world.lexicon import ROLE_ORDER
from emergence.model import GPT, GPTConfig
from emergence.roles import (
    RoleItem,
    fitting_items,
    majority_baseline,
    role_features,
    role_items,
    role_probe,
    role_scores,
    train_role_probe,
)

TEXT = "Mary gave the old lantern to John in the harbor at dawn while Tom watched from the mill ."
SHORT = "Tom watched the mill ."
CPU = torch.device("cpu")


def example(answer: str, predicate_idx: int = 1, role: str = "theme", context: str = TEXT,
            located: bool = True) -> QAExample:
    start = context.index(answer) if located else -1
    return QAExample(id="x-0", question="what did someone give?", context=context, answers=(answer,),
                     answer_starts=(start,), predicate_idx=predicate_idx, question_word="what", role=role)


@pytest.fixture(scope="module")
def tok():
    return tokens.train_tokenizer(iter([TEXT, SHORT]), vocab_size=280, min_frequency=1)


@pytest.fixture(scope="module")
def lm(tok):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=tok.get_vocab_size(), context=64, n_layer=2, n_head=2, d_model=16)).eval()


# --- items -------------------------------------------------------------------------------------

def test_role_items_char_spans_are_exact():
    [item] = role_items([example("the old lantern")])
    assert item.predicate_chars == (5, 9) and TEXT[5:9] == "gave"
    assert item.argument_chars == (10, 25) and TEXT[10:25] == "the old lantern"
    assert item.role == "theme" and item.context == TEXT
    [watched] = role_items([example("Tom", predicate_idx=14, role="agent")])
    assert watched.predicate_chars == (66, 73) and watched.argument_chars == (62, 65)
    assert TEXT[slice(*watched.predicate_chars)] == "watched"


def test_role_items_collapse_duplicates_and_skip_roleless_or_unlocated():
    items = role_items([
        example("the old lantern", role="theme"),
        example("the old lantern", role="object"),           # same span, same predicate: first wins
        example("the old lantern", predicate_idx=14),         # another predicate: another item
        example("John", role=""),                             # SQuAD: no role
        example("John", role="recipient", located=False),     # no located answer
    ])
    assert [(it.predicate_chars, it.role) for it in items] == [((5, 9), "theme"), ((66, 73), "theme")]


def test_fitting_items_drop_and_count_spans_past_the_context(tok):
    early, late = RoleItem(TEXT, (5, 9), (0, 4), "agent"), RoleItem(TEXT, (66, 73), (79, 87), "source")
    assert fitting_items([early, late], tok, max_tokens=8) == ([early], 1)
    assert fitting_items([early, late], tok, max_tokens=64) == ([early, late], 0)


# --- scores ------------------------------------------------------------------------------------

def test_role_scores_exact_on_a_three_class_case():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "a"]
    # F1: a 2*2/(4+1+1) = 2/3, b 2/(2+1+1) = 1/2, c 0  ->  macro (2/3 + 1/2) / 3 = 7/18
    assert role_scores(pred, gold) == {"accuracy": 50.0, "macro_f1": 38.889}
    assert role_scores(gold, gold) == {"accuracy": 100.0, "macro_f1": 100.0}


def test_majority_baseline_breaks_ties_alphabetically():
    # a and b tie at 2 -> "a": accuracy 2/4; F1 a = 4/(4+2) = 2/3, b and c never predicted -> 0
    result = majority_baseline(["b", "b", "a", "a", "c"], ["a", "b", "c", "a"])
    assert result == {"role": "a", "accuracy": 50.0, "macro_f1": 22.222}


# --- probe training ----------------------------------------------------------------------------

def separable_problem(n_per_class: int = 30):
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[3.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 3.0, 0]])
    y = torch.arange(3).repeat_interleave(n_per_class)
    x = centers[y] + 0.3 * torch.randn(len(y), 4, generator=gen)
    return x, y


def test_train_role_probe_learns_a_separable_problem_deterministically():
    x, y = separable_problem()
    probe = train_role_probe(x, y, n_classes=3, seed=1)
    assert (probe(x).argmax(-1) == y).float().mean().item() == 1.0
    again = train_role_probe(x, y, n_classes=3, seed=1)
    assert torch.equal(probe.weight, again.weight) and torch.equal(probe.bias, again.bias)


# --- features ----------------------------------------------------------------------------------

def overlapping_tokens(offsets, start: int, end: int) -> list[int]:
    return [i for i, (s, e) in enumerate(offsets) if s < end and e > start]


def test_role_features_are_means_over_the_span_tokens(lm, tok):
    items = [RoleItem(TEXT, (5, 9), (10, 25), "theme"),      # gave / the old lantern
             RoleItem(SHORT, (4, 11), (0, 3), "agent")]      # watched / Tom: shorter, padded in the batch
    features = role_features(lm, 1, items, tok, CPU)
    C = lm.cfg.d_model
    assert features.shape == (2, 2 * C)
    for row, item in enumerate(items):
        enc = tok.encode(item.context)
        with torch.no_grad():
            hidden = lm.hidden_states(torch.tensor([enc.ids]), 1)[0]
        argument = overlapping_tokens(enc.offsets, *item.argument_chars)
        predicate = overlapping_tokens(enc.offsets, *item.predicate_chars)
        assert argument and predicate
        torch.testing.assert_close(features[row, :C], hidden[argument].mean(0))
        torch.testing.assert_close(features[row, C:], hidden[predicate].mean(0))


def test_role_features_refuse_an_item_past_the_context(tok):
    lm = GPT(GPTConfig(vocab_size=tok.get_vocab_size(), context=8, n_layer=1, n_head=2, d_model=16))
    with pytest.raises(ValueError, match="fitting_items"):
        role_features(lm, None, [RoleItem(TEXT, (66, 73), (79, 87), "source")], tok, CPU)


# --- role labels -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    return generate_world(0, {"train": 5}, {"train": 1}, {"train": 120, "validation": 30}, unseen_verbs=4)


# the generator's roles whose QA-SRL abstraction is not ambiguous (the question word names it)
UNAMBIGUOUS = {("time", "when"): "time", ("manner", "how"): "manner", ("purpose", "why"): "cause",
               ("location", "where"): "place", ("destination", "where"): "place"}


def test_world_roles_agree_with_question_role(world):
    records = world["qasrl"]["train"] + world["qasrl"]["validation"]
    assert all(r["role"] in ROLE_ORDER for r in records)
    checked = [(r, UNAMBIGUOUS[r["role"], r["question"][0]]) for r in records
               if (r["role"], r["question"][0]) in UNAMBIGUOUS]
    assert len(checked) > 20
    assert [question_role(r["question"]) for r, _ in checked] == [expected for _, expected in checked]
    examples, _ = qasrl_to_examples(records)
    assert [ex.role for ex in examples] == [r["role"] for r in records]   # the generator's role is kept


@pytest.mark.parametrize("slots, role", [
    (["who", "_", "_", "gave", "something", "_", "_", "?"], "subject"),
    (["what", "was", "_", "given", "_", "to", "someone", "?"], "object"),
    (["who", "did", "someone", "give", "something", "to", "_", "?"], "prep-object"),
    (["when", "was", "something", "read", "_", "_", "_", "?"], "time"),
    (["what", "did", "someone", "give", "_", "_", "_", "?"], "object"),
    (["where", "did", "someone", "go", "_", "_", "_", "?"], "place"),
    (["why", "did", "someone", "leave", "_", "_", "_", "?"], "cause"),
    (["how much", "did", "someone", "pay", "_", "_", "_", "?"], "extent"),
])
def test_question_role_on_hand_made_slots(slots, role):
    assert question_role(slots) == role


def test_qasrl_without_a_generator_role_falls_back_to_question_role():
    record = {"sentence": TEXT, "sent_id": "s", "predicate_idx": 1, "predicate": "gave",
              "question": ["who", "did", "someone", "give", "something", "to", "_", "?"], "answers": ["John"]}
    [ex], _ = qasrl_to_examples([record])
    assert ex.role == "prep-object"


# --- end to end --------------------------------------------------------------------------------

def test_role_probe_on_the_world(world):
    train, _ = qasrl_to_examples(world["qasrl"]["train"])
    val, _ = qasrl_to_examples(world["qasrl"]["validation"])
    tok = tokens.train_tokenizer(iter([ex.context for ex in train]), vocab_size=400, min_frequency=1)
    torch.manual_seed(0)
    lm = GPT(GPTConfig(vocab_size=tok.get_vocab_size(), context=128, n_layer=2, n_head=2, d_model=64))
    result = role_probe(lm, [0, 2], train, val, tok, seed=0, device=CPU)

    train_items, val_items = role_items(train), role_items(val)
    labels = sorted({it.role for it in train_items})
    assert result["n_train"] == len(train_items) and result["n_train_too_long"] == 0
    assert result["n_validation"] + result["n_validation_unseen_role"] == len(val_items)
    assert result["n_roles"] == len(labels)
    assert result["probe_params"] == (2 * 64 + 1) * len(labels)
    kept_val = [it.role for it in val_items if it.role in labels]
    assert result["majority"] == majority_baseline([it.role for it in train_items], kept_val)
    assert set(result["by_layer"]) == {"0", "2"}
    assert role_probe(lm, [0, 2], train, val, tok, seed=0, device=CPU) == result


def test_role_probe_features_and_labels_stay_aligned(world):
    """Scored on its own training items, a probe can fit them only if each feature row carries
    its own item's label: a row/label shuffle would leave it near the majority."""
    train, _ = qasrl_to_examples(world["qasrl"]["train"])
    tok = tokens.train_tokenizer(iter([ex.context for ex in train]), vocab_size=400, min_frequency=1)
    torch.manual_seed(0)
    lm = GPT(GPTConfig(vocab_size=tok.get_vocab_size(), context=128, n_layer=1, n_head=2, d_model=64))
    result = role_probe(lm, [0], train, train, tok, seed=0, device=CPU)
    assert result["majority"]["accuracy"] < 40
    assert result["by_layer"]["0"]["accuracy"] > 90
