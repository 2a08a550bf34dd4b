"""An edge probe for semantic roles (Tenney et al. 2019, "What do you learn from context?").

The span probe asks whether a frozen LM's states let a linear head *find* an answer; this one
asks whether they *name* its role. Each item is a (predicate, argument) pair of a QA-SRL
sentence with the role the question asked for. Its features are the mean of the frozen LM's
states over the argument's subword tokens, concatenated with the mean over the predicate's
tokens, read from the sentence alone (no question): the question would give the role away. A
linear classifier on those features, trained per layer, says from which depth the role is
linearly readable; the majority role is the floor it has to beat.

Pure: nothing here reads or writes files, so a stage can call it on any LM and any examples.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from emergence.data.qa import QAExample, char_offsets, training_answer
from emergence.device import autocast
from emergence.model import GPT
from emergence.windows import pad_id

CharSpan = tuple[int, int]   # [start, end) characters of the context
TokenSpan = tuple[int, int]  # [first, stop) token positions of the context's encoding


@dataclass(frozen=True)
class RoleItem:
    context: str
    predicate_chars: CharSpan
    argument_chars: CharSpan
    role: str


def word_chars(context: str, word_idx: int) -> CharSpan:
    """Character span of word `word_idx` of ``context.split(" ")``, the hub schema's tokens."""
    words = context.split(" ")
    start = char_offsets(words)[word_idx]
    return start, start + len(words[word_idx])


def role_items(examples: list[QAExample]) -> list[RoleItem]:
    """One item per distinct (context, predicate, argument span), in input order.

    Only examples with a role and a located training answer count: SQuAD has no predicate and
    so no role, and an answer not found in the sentence has no span to read states from. Two
    questions about the same argument of the same predicate (QA-SRL asks "what was given?" and
    "what did someone give?") would be one data point counted twice; the first one's role wins.
    """
    items: dict[tuple[str, int, CharSpan], RoleItem] = {}
    for ex in examples:
        answer = training_answer(ex)
        if not ex.role or ex.predicate_idx < 0 or answer is None:
            continue
        text, start = answer
        argument = (start, start + len(text))
        key = (ex.context, ex.predicate_idx, argument)
        if key not in items:
            items[key] = RoleItem(ex.context, word_chars(ex.context, ex.predicate_idx), argument, ex.role)
    return list(items.values())


def token_span(offsets: list[tuple[int, int]], chars: CharSpan) -> TokenSpan | None:
    """The tokens that overlap the character span, as [first, stop); None if none does.

    Overlap, not containment: a BPE token may straddle a word boundary, and it still carries
    part of the word."""
    start, end = chars
    inside = [i for i, (s, e) in enumerate(offsets) if s < end and e > start]
    return (inside[0], inside[-1] + 1) if inside else None


def item_token_spans(items: list[RoleItem], tok: Tokenizer) -> list[tuple[TokenSpan, TokenSpan] | None]:
    """Per item, the (argument, predicate) token spans in its context's full encoding."""
    contexts = list(dict.fromkeys(it.context for it in items))
    offsets = {c: enc.offsets for c, enc in zip(contexts, tok.encode_batch(contexts))}
    spans = []
    for it in items:
        argument = token_span(offsets[it.context], it.argument_chars)
        predicate = token_span(offsets[it.context], it.predicate_chars)
        spans.append((argument, predicate) if argument and predicate else None)
    return spans


def fitting_items(items: list[RoleItem], tok: Tokenizer, max_tokens: int) -> tuple[list[RoleItem], int]:
    """The items whose argument and predicate both lie in their context's first `max_tokens`
    tokens, and how many were dropped. An LM reads at most its context length, so a longer
    sentence is truncated, and an item past the cut has no states to read."""
    kept = [it for it, spans in zip(items, item_token_spans(items, tok))
            if spans is not None and max(spans[0][1], spans[1][1]) <= max_tokens]
    return kept, len(items) - len(kept)


@torch.no_grad()
def role_features(lm: GPT, n_layers: int | None, items: list[RoleItem], tok: Tokenizer, device: torch.device,
                  batch: int = 256) -> torch.Tensor:
    """(N, 2C) float32 on the CPU: per item, the mean of ``lm.hidden_states(ids, n_layers)`` over
    the argument's tokens, then the mean over the predicate's tokens.

    The input is the context alone. Each distinct context is run once (a sentence has several
    items; `batch` counts contexts per forward pass), contexts of a batch right-padded with the
    pad id: in a causal LM no real token attends to the padding after it. A context longer than
    ``lm.cfg.context`` tokens is truncated to it; an item whose spans reach past the cut raises
    ValueError, so that features and labels stay row-aligned: drop such items first with
    ``fitting_items``, which counts them.
    lm is put in eval mode (no dropout) and not trained.
    """
    lm.eval()
    max_tokens = lm.cfg.context
    spans = item_token_spans(items, tok)
    for it, s in zip(items, spans):
        if s is None or max(s[0][1], s[1][1]) > max_tokens:
            raise ValueError(f"role item past the model's {max_tokens}-token context (use fitting_items): {it}")
    contexts = list(dict.fromkeys(it.context for it in items))
    ids = [enc.ids[:max_tokens] for enc in tok.encode_batch(contexts)]
    rows_of_context: dict[str, list[int]] = {}
    for row, it in enumerate(items):
        rows_of_context.setdefault(it.context, []).append(row)
    features = torch.zeros(len(items), 2 * lm.cfg.d_model)
    pad = pad_id(tok)
    order = sorted(range(len(contexts)), key=lambda i: len(ids[i]))  # similar lengths pad little
    for b in range(0, len(order), batch):
        chunk = order[b:b + batch]
        padded = torch.full((len(chunk), max(len(ids[i]) for i in chunk)), pad, dtype=torch.long)
        for r, i in enumerate(chunk):
            padded[r, :len(ids[i])] = torch.tensor(ids[i])
        with autocast(device):
            hidden = lm.hidden_states(padded.to(device), n_layers).float().cpu()
        for r, i in enumerate(chunk):
            for row in rows_of_context[contexts[i]]:
                (a0, a1), (p0, p1) = spans[row]
                features[row] = torch.cat([hidden[r, a0:a1].mean(0), hidden[r, p0:p1].mean(0)])
    return features


def train_role_probe(x_train: torch.Tensor, y_train: torch.Tensor, n_classes: int, seed: int,
                     steps: int = 300, lr: float = 1e-2) -> torch.nn.Linear:
    """A linear classifier on the features, trained full-batch with AdamW for a fixed number of
    steps: no minibatch order, no early stopping, so a seed fixes the result."""
    torch.manual_seed(seed)
    probe = torch.nn.Linear(x_train.shape[1], n_classes).to(x_train.device)
    optimizer = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=0.0)
    for _ in range(steps):
        loss = F.cross_entropy(probe(x_train), y_train)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return probe


def role_scores(pred: list[str], gold: list[str]) -> dict:
    """Accuracy and macro-F1 in percent. Macro-F1 averages the per-class F1 over the gold
    classes present, so a rare role counts as much as "agent" and always guessing the commonest
    role scores low; a class never predicted has F1 0."""
    if len(pred) != len(gold) or not gold:
        raise ValueError(f"role_scores needs as many predictions as gold labels, at least one "
                         f"(got {len(pred)} and {len(gold)})")
    f1s = []
    for role in sorted(set(gold)):
        tp = sum(p == g == role for p, g in zip(pred, gold))
        fp = sum(p == role != g for p, g in zip(pred, gold))
        fn = sum(g == role != p for p, g in zip(pred, gold))
        f1s.append(2 * tp / (2 * tp + fp + fn))  # fn > 0 when tp == 0: the class is in gold
    accuracy = 100 * sum(p == g for p, g in zip(pred, gold)) / len(gold)
    return {"accuracy": round(accuracy, 3), "macro_f1": round(100 * sum(f1s) / len(f1s), 3)}


def majority_baseline(train_roles: list[str], val_roles: list[str]) -> dict:
    """The scores of always predicting the commonest training role (ties: alphabetical first),
    and that role."""
    counts = Counter(train_roles)
    majority = min(counts, key=lambda role: (-counts[role], role))
    return {"role": majority, **role_scores([majority] * len(val_roles), val_roles)}


def role_probe(lm: GPT, layers: list[int], train_examples: list[QAExample], val_examples: list[QAExample],
               tok: Tokenizer, seed: int, device: torch.device) -> dict:
    """One linear role probe per layer (0: the embeddings) of the frozen lm, scored on the
    validation items against the majority role.

    The labels are the training items' roles; a validation item with a role never seen in
    training cannot be predicted, so it is dropped and counted, as are items past the LM's
    context (``fitting_items``).
    """
    train, train_too_long = fitting_items(role_items(train_examples), tok, lm.cfg.context)
    val, val_too_long = fitting_items(role_items(val_examples), tok, lm.cfg.context)
    labels = sorted({it.role for it in train})
    n_val_unseen = sum(it.role not in labels for it in val)
    val = [it for it in val if it.role in labels]
    if not train or not val:
        raise ValueError(f"role probe: {len(train)} training and {len(val)} validation items; it needs "
                         "QA-SRL examples (with a role) whose answers are located in the sentence")
    label_of = {role: k for k, role in enumerate(labels)}
    y_train = torch.tensor([label_of[it.role] for it in train], device=device)
    gold = [it.role for it in val]
    by_layer = {}
    for layer in layers:
        x_train = role_features(lm, layer, train, tok, device).to(device)
        x_val = role_features(lm, layer, val, tok, device).to(device)
        probe = train_role_probe(x_train, y_train, len(labels), seed)
        with torch.no_grad():
            predicted = probe(x_val).argmax(-1).tolist()
        by_layer[str(layer)] = role_scores([labels[k] for k in predicted], gold)
    return {
        "n_train": len(train),
        "n_validation": len(val),
        "n_roles": len(labels),
        "n_train_too_long": train_too_long,
        "n_validation_too_long": val_too_long,
        "n_validation_unseen_role": n_val_unseen,
        "probe_params": (2 * lm.cfg.d_model + 1) * len(labels),   # one probe's weights and biases
        "majority": majority_baseline([it.role for it in train], gold),
        "by_layer": by_layer,
    }
