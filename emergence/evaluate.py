"""The eval stage: decode the best span per validation question, score it SQuAD-style, and
score the floors (random span, position heuristics, the question-type rule) and the
question-blind ceiling on the same questions.

metrics/eval.json sits at a fixed path so `dvc metrics diff` compares any two runs;
metrics/predictions.json maps each question id to its prediction, gold answers and question,
so anyone can re-score a run independently.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from emergence import layout, scoring
from emergence.data.qa import read_examples
from emergence.data.tokens import load_tokenizer
from emergence.device import autocast, peak_memory, pick_device
from emergence.files import write_json
from emergence.finetune import (
    ShuffledRows,
    few_shot_subset,
    finetune_step,
    freeze_lm,
    frozen_features,
    head_lr,
    load_qa_model,
    schedule,
)
from emergence.model import GPT, QuestionAwareSpanQA, SpanQA
from emergence.params import EvalParams, FinetuneParams
from emergence.train_loop import TrainLoop
from emergence.windows import collate, length_sorted_batches, make_windows, pad_id

EVAL_BATCH = 128


@torch.no_grad()
def predict(model, examples, tok, fp: FinetuneParams, ep: EvalParams, device) -> dict[str, str]:
    """Best span over all windows of each example -> its text. Windows are sorted by length so
    each batch pads little."""
    model.eval()
    windows = make_windows(examples, tok, fp.max_length, fp.doc_stride)
    per_example = defaultdict(list)
    pad = pad_id(tok)
    for rows in length_sorted_batches(windows, EVAL_BATCH):
        chunk = [windows[i] for i in rows]
        batch = collate(chunk, pad)
        with autocast(device):
            start, end = model(batch["ids"].to(device), batch["sep"].to(device))
        start, end = start.float().cpu().numpy(), end.float().cpu().numpy()
        for row, w in enumerate(chunk):
            n = len(w.ids)
            per_example[w.example].append((start[row, :n], end[row, :n], list(w.offsets)))
    predictions = {}
    for i, ex in enumerate(examples):
        span = scoring.best_span(per_example[i], ep.top_k, ep.max_answer_length)
        predictions[ex.id] = ex.context[span[0]:span[1]] if span else ""
    return predictions


def verb_groups(examples, train_predicates: set[str]) -> dict[str, str] | None:
    """Each question's group, "seen" or "unseen": whether QA training had a question about its
    predicate (the lemma where the data gives one, else the word form). None when the task has
    no predicates (SQuAD)."""
    if not any(ex.predicate for ex in examples):
        return None
    return {ex.id: "seen" if ex.predicate in train_predicates else "unseen" for ex in examples}


def score_run(predictions: dict[str, str], examples, seed: int | None = None,
              verbs: dict[str, str] | None = None) -> dict:
    """F1/EM, the per-question-word breakdown and, given a seed, the bootstrap interval of
    the F1 over questions clustered by context (questions about one sentence or paragraph
    are not independent). Given `verbs` (verb_groups), also the F1 on questions about verbs
    QA training saw and did not see, with the unseen group's own interval."""
    golds = {ex.id: list(ex.answers) for ex in examples}
    result = scoring.score(predictions, golds)
    per_f1 = {q: f for q, (_, f) in result["per_question"].items()}
    by_word = scoring.breakdown(per_f1, {ex.id: ex.question_word for ex in examples})
    run = {
        "f1": round(result["f1"], 3),
        "exact_match": round(result["exact_match"], 3),
        "n_questions": result["n_questions"],
        "f1_by_question_word": {w: round(v["f1"], 3) for w, v in by_word.items()},
        "count_by_question_word": {w: v["count"] for w, v in by_word.items()},
    }
    contexts = {ex.id: ex.context for ex in examples}
    if seed is not None and per_f1:
        lo, hi = scoring.question_bootstrap(per_f1, contexts, seed=seed)
        run["f1_questions_lo"], run["f1_questions_hi"] = round(lo, 3), round(hi, 3)
    if verbs is not None:
        by_verb = scoring.breakdown(per_f1, verbs)
        run["f1_by_verb"] = {g: round(v["f1"], 3) for g, v in by_verb.items()}
        run["count_by_verb"] = {g: v["count"] for g, v in by_verb.items()}
        unseen = {q: f for q, f in per_f1.items() if verbs[q] == "unseen"}
        if seed is not None and unseen:
            lo, hi = scoring.question_bootstrap(unseen, contexts, seed=seed)
            run["f1_unseen_verbs_lo"], run["f1_unseen_verbs_hi"] = round(lo, 3), round(hi, 3)
    return run


def probe_training_set(train_examples: list, tok, fp: FinetuneParams, seed: int) -> dict:
    """Every answerable training question's labelled windows and their collated tensors."""
    windows = make_windows(few_shot_subset(train_examples, "all", seed), tok, fp.max_length, fp.doc_stride,
                           labelled_only=True)
    return {"windows": windows, "collated": collate(windows, pad_id(tok))}


PROBE_HEADS = {"linear": SpanQA, "question-aware": QuestionAwareSpanQA}


def frozen_probe(lm: GPT, layer: int | None, train: dict, val_examples: list, tok, fp: FinetuneParams,
                 ep: EvalParams, seed: int, device: torch.device, head: str = "linear",
                 verbs: dict[str, str] | None = None) -> dict:
    """Train a span head on the frozen `layer` of `lm` (None: the last) with finetune.py's frozen
    mode (same seed, head initialisation, batch order, schedule and learning rate) and return its
    validation score_run (F1, EM, per-verb-group F1 given `verbs`). `head` is "linear" (the
    frozen probe) or "question-aware" (QuestionAwareSpanQA). `train` is probe_training_set's
    windows and collated tensors. Serves the probe stage's controls and, in eval, the positive
    control on a fully finetuned LM."""
    windows, collated = train["windows"], train["collated"]
    torch.manual_seed(seed)  # the head's initialisation, as in finetune()
    model = PROBE_HEADS[head](lm, layer).to(device)
    freeze_lm(model)
    model.train(False)
    cache = frozen_features(model, windows, collated, pad_id(tok), device)
    batch_size, steps = schedule(len(windows), fp)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=fp.lr_frozen,
                                  weight_decay=0.0)
    batches = ShuffledRows(len(windows), batch_size, seed)

    def step(i: int) -> torch.Tensor:
        return finetune_step(model, optimizer, collated, batches.next(), head_lr(fp.lr_frozen, i, steps, fp.warmup_steps),
                             True, device, cache)

    TrainLoop(steps, step, device, what=f"{head} probe", fix="lower finetune.lr_frozen").run()
    run = score_run(predict(model, val_examples, tok, fp, ep, device), val_examples, verbs=verbs)
    return run | {"probe_params": sum(p.numel() for p in model.parameters() if p.requires_grad)}


def evaluate(paths: layout.EvalPaths, fp: FinetuneParams, ep: EvalParams, seed: int, source: str,
             device_name: str = "auto", task: str = "qasrl") -> dict:
    """Score the finetuned model and the floors on the validation questions; write eval.json and
    predictions.json. With paths.qa_train, a fully finetuned model also gets the positive control
    `finetuned_probe_f1`: the frozen linear probe trained on its LM's final states. It should
    come close to full F1; if it does not, probe training, not the features, is the limit."""
    device = pick_device(device_name)
    tok = load_tokenizer(paths.tokens)
    examples, stats = read_examples(task, paths.qa_validation)
    model, config = load_qa_model(paths.finetuned)
    model.to(device)
    predictions = predict(model, examples, tok, fp, ep, device)
    train_examples = read_examples(task, paths.qa_train)[0] if paths.qa_train is not None else None
    verbs = verb_groups(examples, {ex.predicate for ex in train_examples}) if train_examples is not None else None
    run = score_run(predictions, examples, seed, verbs)
    baselines = {
        "random_span": scoring.random_span_baseline(examples, seed),
        "first_phrase": scoring.first_phrase_baseline(examples),
    }
    if task == "qasrl":  # "nearest the predicate" needs a predicate
        baselines["nearest_phrase"] = scoring.nearest_phrase_baseline(examples)
    baselines["question_type"] = scoring.question_type_baseline(examples)
    # the best one span per context can do for all its questions; the head's spans are at
    # most max_answer_length (subword) tokens, so at most that many words
    ceiling = score_run(scoring.question_blind_ceiling(examples, ep.max_answer_length), examples)
    metrics = {
        "f1": run["f1"],
        "exact_match": run["exact_match"],
        # 95% percentile bootstrap over questions, resampling whole contexts (scoring.question_bootstrap)
        "f1_questions_lo": run.get("f1_questions_lo"),
        "f1_questions_hi": run.get("f1_questions_hi"),
        "n_questions": run["n_questions"],
        "n_answers_unfound": stats["n_answers_unfound"],
        "task": task,
        "size": config["size"],
        "data": config["data"],
        "seed": seed,
        "mode": "frozen" if config["freeze"] else "full",
        "samples": config["samples"],
        "source": source,
        "trainable_params": config["trainable_params"],
        "total_params": config["total_params"],
        "pretrain_val_loss": config["pretrain_val_loss"],
        "pretrain_tokens_seen": config.get("pretrain_tokens_seen"),
        "eval_peak_rss_mb": peak_memory(device)["peak_rss_mb"],
        "baseline_f1": {},
        "baseline_exact_match": {},
        # question-blind ceiling: one span per context for all its questions (scoring.question_blind_ceiling)
        "ceiling_f1": ceiling["f1"],
        "ceiling_exact_match": ceiling["exact_match"],
        # one level deep at most, so `dvc metrics show/diff` reads every number
        "f1_by_question_word": run["f1_by_question_word"],
        "count_by_question_word": run["count_by_question_word"],
    }
    if verbs is not None:  # questions about verbs QA training saw / never saw (data/world: unseen_verbs)
        metrics |= {k: run.get(k) for k in ("f1_by_verb", "count_by_verb", "f1_unseen_verbs_lo", "f1_unseen_verbs_hi")}
        metrics["baseline_f1_unseen_verbs"] = {}
    if train_examples is not None and not config["freeze"]:
        train = probe_training_set(train_examples, tok, fp, seed)
        metrics["finetuned_probe_f1"] = frozen_probe(model.lm, None, train, examples, tok, fp, ep, seed, device)["f1"]
    for name, preds in baselines.items():
        b = score_run(preds, examples, verbs=verbs)
        metrics["baseline_f1"][name] = b["f1"]
        metrics["baseline_exact_match"][name] = b["exact_match"]
        if verbs is not None:
            metrics["baseline_f1_unseen_verbs"][name] = b["f1_by_verb"].get("unseen")
    write_json(paths.predictions, {
        ex.id: {"prediction": predictions[ex.id], "answers": list(ex.answers), "question": ex.question}
        for ex in examples
    })
    write_json(paths.metrics, metrics)
    return metrics
