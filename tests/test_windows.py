
import pytest

from emergence.data import tokens
from emergence.data.qa import QAExample
from emergence.windows import collate, make_windows, pad_id

TEXT = "Mary gave the old lantern to John in the harbor at dawn while Tom watched from the mill ."


@pytest.fixture(scope="module")
def tok():
    return tokens.train_tokenizer(iter([TEXT]), vocab_size=280, min_frequency=1)


def example(answer: str, question="who watched?") -> QAExample:
    start = TEXT.index(answer)
    return QAExample(id="x-0", question=question, context=TEXT, answers=(answer,), answer_starts=(start,),
                     predicate_idx=1, question_word="who")


def decoded_answer(w, ex) -> str:
    (s, _), (_, e) = w.offsets[w.start], w.offsets[w.end]
    return ex.context[s:e]


def test_single_window_layout(tok):
    ex = example("John")
    [w] = make_windows([ex], tok, max_length=512, doc_stride=16)
    q = tok.encode(ex.question).ids
    sep = tok.token_to_id(tokens.SEP)
    assert w.ids[: len(q) + 1] == tuple(q) + (sep,)
    assert all(o is None for o in w.offsets[: len(q) + 1])
    assert all(o is not None for o in w.offsets[len(q) + 1:])
    assert decoded_answer(w, ex) == "John"


def test_long_context_windows_overlap_and_label_only_the_window_holding_the_answer(tok):
    ex = example("the mill")
    n_ctx = len(tok.encode(TEXT).ids)
    q_len = len(tok.encode(ex.question).ids)
    max_length, stride = q_len + 1 + 24, 8
    assert n_ctx > 24  # several windows
    windows = make_windows([ex], tok, max_length=max_length, doc_stride=stride)
    assert len(windows) >= 3
    assert all(len(w.ids) <= max_length for w in windows)
    # consecutive windows share `stride` context tokens, and together cover the context
    ctx = [[o for o in w.offsets if o is not None] for w in windows]
    for a, b in zip(ctx, ctx[1:]):
        assert a[-stride:] == b[:stride]
    assert ctx[0][0] == tok.encode(TEXT).offsets[0] and ctx[-1][-1] == tok.encode(TEXT).offsets[-1]
    labelled = [w for w in windows if w.start >= 0]
    assert labelled and all(decoded_answer(w, ex) == "the mill" for w in labelled)
    train = make_windows([ex], tok, max_length=max_length, doc_stride=stride, labelled_only=True)
    assert train == labelled


def test_collate_pads_right_and_masks_non_context(tok):
    a, b = example("John"), example("Tom", question="who watched from the mill at dawn?")
    windows = make_windows([a, b], tok, max_length=512, doc_stride=16)
    batch = collate(windows, pad_id(tok))
    longest = max(len(w.ids) for w in windows)
    assert batch["ids"].shape == (2, longest)
    short = min(range(2), key=lambda i: len(windows[i].ids))
    n = len(windows[short].ids)
    assert (batch["ids"][short, n:] == pad_id(tok)).all()
    assert not batch["context_mask"][short, n:].any()
    assert batch["context_mask"].sum().item() == sum(o is not None for w in windows for o in w.offsets)
