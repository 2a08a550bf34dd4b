"""The embedded world: a seeded, synthetic, offline stand-in for WikiText, nq_open and QA-SRL,
built from one seed and the standard library. ``generate_world`` returns four corpora, each
{split: records}, in the record shapes of the hub datasets they stand in for:

* ``wiki``  - ``{"title", "text"}``: short stories about a few recurring characters ("The Baker
  of Eastbrook"), in plain prose. They are the pretraining corpus, so they use exactly the
  constructions and vocabulary that the QA-SRL sentences use.
* ``nq``    - ``{"question", "answer"}``: lowercase questions without "?", as in nq_open, about
  stable facts the training documents state ("where did mary live") and events they tell ("who
  gave the old lantern to john"). Questions whose answer is not unique in the world are dropped.
* ``qasrl`` - QA-SRL 1.0 records, one per question: a space-tokenized sentence, the index of its
  target predicate, a 7-slot question (wh aux subj verb obj prep obj2) plus "?", and 1-3 answer
  spans copied from the sentence tokens.
* ``squad`` - SQuAD v1.1 records: the QA-SRL questions asked of paragraphs of consecutive QA-SRL
  sentences (``emergence.data.qa.squad_from_qasrl``).

The parts: lexicon.py (words, verb frames, probabilities), grammar.py (sentences, with syntax
varied so that no rule based on token position finds an argument), questions.py (QA-SRL
questions and records), stories.py (documents and nq lines).

Determinism: every random choice comes from a ``random.Random`` seeded from ``seed`` and the part
of the world being built (``random`` hashes string seeds with SHA-512, not ``hash()``), and
nothing iterates over a set, so a seed gives byte-identical output in any process. Separate
generators per part also mean that asking for more documents does not change the QA-SRL
sentences.

Split hygiene: a validation QA-SRL sentence never occurs in any wiki document (train or
validation, even as the tail of a longer sentence) nor in QA-SRL train; wiki validation
documents differ from train documents; nq validation questions differ from train ones.
"""

from __future__ import annotations

import random
import re

from emergence.data.qa import squad_from_qasrl
from emergence.data.world.grammar import detok
from emergence.data.world.questions import draw_qasrl_split, held_out_verbs, verb_forms
from emergence.data.world.stories import (
    draw_document,
    draw_nq,
    draw_people,
    event_questions,
)

_CAPITALISED_WORD = re.compile(r"(?<![^ ])[A-Z]")


def _capital_tails(sentence: str, into: set) -> None:
    """Every tail of a prose sentence that starts at a capitalised word.  A QA-SRL sentence
    starts with a capital and ends with its only period, so it can occur inside prose only as
    such a tail; keeping these out keeps it out of the documents, even as a substring."""
    for m in _CAPITALISED_WORD.finditer(sentence):
        into.add(sentence[m.start():])


def generate_world(seed: int, n_documents: dict[str, int], n_nq: dict[str, int],
                   n_qasrl_sentences: dict[str, int], unseen_verbs: int = 0) -> dict[str, dict[str, list[dict]]]:
    """Returns {"wiki": {"train": [...], "validation": [...]}, "nq": {...}, "qasrl": {...},
    "squad": {...}}.

    Each size dict maps split name ("train", "validation") to a count: documents, nq
    questions, and QA-SRL sentences (each yielding one record per question, ~2-5).
    ``unseen_verbs`` verbs (``questions.held_out_verbs``) never occur, in any form, in a QA-SRL
    train sentence; validation draws from every verb, so some of its questions are about verbs
    only pretraining showed.
    """
    people = draw_people(seed)

    wiki: dict[str, list[dict]] = {}
    prose_tails: set[str] = set()      # for keeping validation QA-SRL sentences out of the corpus
    doc_texts: set[str] = set()
    facts: list = []                    # what the train documents say: nq questions, stated facts
    for split in sorted(n_documents, key=lambda s: s != "train"):   # train first: facts, dedup
        rng = random.Random(f"{seed}:wiki:{split}")
        docs = []
        while len(docs) < n_documents[split]:
            record, sentences, clauses, stated = draw_document(rng, people)
            if record["text"] in doc_texts:
                continue
            doc_texts.add(record["text"])
            docs.append(record)
            for sentence in sentences:
                _capital_tails(sentence, prose_tails)
            if split == "train":
                # Questions now, not clauses kept for later: holding ~40k clause objects
                # alive makes the garbage collector double the run time.
                facts += stated
                for c in clauses:
                    if not c.conj:
                        facts += event_questions(c)
        wiki[split] = docs

    nq = draw_nq(seed, n_nq, facts, people)

    qasrl: dict[str, list[dict]] = {}
    seen: set[str] = set()
    train_tails: set[str] = set()
    banned = verb_forms(held_out_verbs(seed, unseen_verbs))
    for split in sorted(n_qasrl_sentences, key=lambda s: s != "train"):
        forbidden = set() if split == "train" else prose_tails | train_tails
        records, sentences = draw_qasrl_split(seed, split, n_qasrl_sentences[split], forbidden, seen,
                                              banned if split == "train" else frozenset())
        if split == "train":
            for tokens in sentences:
                _capital_tails(detok(tokens), train_tails)
        qasrl[split] = records

    return {"wiki": {s: wiki[s] for s in n_documents},
            "nq": {s: nq[s] for s in n_nq},
            "qasrl": {s: qasrl[s] for s in n_qasrl_sentences},
            "squad": {s: squad_from_qasrl(qasrl[s]) for s in n_qasrl_sentences}}
