"""QA examples -> model inputs for a causal decoder.

Each input is `question <|sep|> context-window`. The question comes first so that every
context token, attending only to the left, has read the whole question. A context longer than
the room left in max_length is cut into overlapping windows (consecutive windows share
doc_stride tokens), and every window keeps, for each of its tokens, the character span it
covers in the context, so a predicted token span maps back to text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch
from tokenizers import Tokenizer

from emergence.data.qa import QAExample, training_answer
from emergence.data.tokens import PAD, SEP


@dataclass(frozen=True)
class Window:
    example: int                               # index into the examples list
    ids: tuple[int, ...]                       # question, <|sep|>, context tokens (no padding)
    offsets: tuple[tuple[int, int] | None, ...]  # per token: (char_start, char_end) in the context, None if not context
    start: int = -1                            # token label of the training answer, -1 if not inside this window
    end: int = -1

    @property
    def sep(self) -> int:
        """The position of <|sep|>: the context tokens are the window's tail."""
        return len(self.ids) - sum(o is not None for o in self.offsets) - 1


def context_token_span(offsets: list[tuple[int, int]], char_start: int, char_end: int) -> tuple[int, int]:
    """First and last context token (indices into offsets) that overlap [char_start, char_end)."""
    first = next(i for i, (s, e) in enumerate(offsets) if e > char_start)
    last = max(i for i, (s, e) in enumerate(offsets) if s < char_end)
    return first, last


def make_windows(examples: list[QAExample], tok: Tokenizer, max_length: int, doc_stride: int,
                 labelled_only: bool = False) -> list[Window]:
    """Windows for every example; with labelled_only, just the training windows that hold the
    example's training answer (a window that cuts the answer teaches nothing)."""
    sep = tok.token_to_id(SEP)
    questions = tok.encode_batch([ex.question for ex in examples])
    contexts = tok.encode_batch([ex.context for ex in examples])
    windows = []
    for i, (ex, q, c) in enumerate(zip(examples, questions, contexts)):
        q_ids = q.ids[: max_length // 2]  # a runaway question may not starve the context
        room = max_length - len(q_ids) - 1
        step = room - doc_stride
        label = None
        answer = training_answer(ex)
        if answer is not None:
            text, char_start = answer
            label = context_token_span(c.offsets, char_start, char_start + len(text))
        elif labelled_only:
            continue
        n_ctx = len(c.ids)
        starts = list(range(0, max(1, n_ctx - doc_stride), step)) if n_ctx > room else [0]
        for s in starts:
            e = min(s + room, n_ctx)
            start = end = -1
            if label and s <= label[0] and label[1] < e:
                start, end = (len(q_ids) + 1 + label[0] - s, len(q_ids) + 1 + label[1] - s)
            if labelled_only and start < 0:
                continue
            windows.append(Window(
                example=i,
                ids=tuple(q_ids) + (sep,) + tuple(c.ids[s:e]),
                offsets=(None,) * (len(q_ids) + 1) + tuple(c.offsets[s:e]),
                start=start,
                end=end,
            ))
            if e == n_ctx:
                break
    return windows


def collate(windows: list[Window], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest window in the batch. Causal attention never lets a real token
    see the padding after it, so only the loss and the decoder need the context mask."""
    length = max(len(w.ids) for w in windows)
    ids = torch.full((len(windows), length), pad_id, dtype=torch.long)
    context = torch.zeros((len(windows), length), dtype=torch.bool)
    for row, w in enumerate(windows):
        ids[row, : len(w.ids)] = torch.tensor(w.ids)
        context[row, : len(w.ids)] = torch.tensor([o is not None for o in w.offsets])
    return {
        "ids": ids,
        "context_mask": context,
        "start": torch.tensor([w.start for w in windows]),
        "end": torch.tensor([w.end for w in windows]),
        "length": torch.tensor([len(w.ids) for w in windows]),
        "sep": torch.tensor([w.sep for w in windows]),
    }


def length_sorted_batches(windows: list[Window], batch_size: int) -> Iterator[list[int]]:
    """Indices of the windows in batches of similar length, shortest first, so that each batch
    is padded only to its own longest window."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
    for b in range(0, len(order), batch_size):
        yield order[b:b + batch_size]


def pad_id(tok: Tokenizer) -> int:
    return tok.token_to_id(PAD)
