"""QA-SRL 1.0 and SQuAD v1.1 records -> extractive span-QA examples.

QA-SRL gives, per question, the answer *strings* but no character offsets. An
extractive QA head needs an offset to train on, so this module finds where each
answer sits in the sentence. The same answer text can occur more than once in
a sentence; QA-SRL answers are arguments of one predicate, so the occurrence
nearest that predicate is the one we take.

SQuAD records carry their offsets (``answers.answer_start``); they are checked against the
context and kept. A SQuAD example has no predicate (``predicate_idx`` -1).
``squad_from_qasrl`` goes the other way, for the embedded world's SQuAD: QA-SRL sentences
joined into paragraphs, each answer at the offset found as above.

Everything here is pure Python (no model, no tokenizer): the sentence is
already space-tokenized in the hub schema, so tokens are ``sentence.split(" ")``
and a token's character offset follows from the lengths of the tokens before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from emergence.errors import CorruptInput, MissingInput

EMPTY_SLOT = "_"
N_QUESTION_SLOTS = 8  # wh, aux, subj, verb, obj, prep, obj2, "?"

# Two-word question classes: "how much" asks for a quantity, "how" alone for a
# manner, so lumping them together would hide different behaviour.
TWO_WORD_QUESTION_WORDS = frozenset({"how much", "how many", "how long", "how often"})
QUESTION_WORDS = frozenset(
    {"who", "whom", "whose", "what", "which", "when", "where", "why", "how"}
)


@dataclass(frozen=True)
class QAExample:
    """One QA-SRL question as an extractive QA example.

    ``id`` is ``f"{sent_id}-{k}"`` where ``k`` counts the records sharing that
    ``sent_id`` in input order (0, 1, ...). It is stable for a given input file
    and unique even when a sentence has several predicates or questions.

    ``answers`` keeps every gold text, including ones that could not be located
    in the context: scoring compares texts, so an unlocated gold is still a
    valid target for a prediction. ``answer_starts[i]`` is the character offset
    of ``answers[i]`` in ``context``, or -1 where it was not found.
    """

    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    predicate_idx: int
    question_word: str
    predicate: str = ""   # the target verb (its lemma where the record has one), lowercased; "" for SQuAD
    role: str = ""        # the asked-for argument's role: the generator's, else question_role(); "" for SQuAD


# QA-SRL's usual role abstraction from a question: the wh-word and which slot holds the gap.
# who/what questions are named by the gap's syntactic slot (a passive's subject is the verb's
# object); the other wh-words name an adjunct role themselves.
WH_ROLES = {"when": "time", "where": "place", "why": "cause", "how": "manner", "how much": "extent",
            "how many": "extent", "how long": "duration", "how often": "frequency"}
BE_FORMS = frozenset({"is", "are", "was", "were", "be", "been", "being"})


def question_role(slots: list[str]) -> str:
    """The role a QA-SRL question (its 7 or 8 slots: wh aux subj verb obj prep obj2 [?]) asks
    for: "subject", "object", "prep-object" (the gap is a preposition's object), or the adjunct
    role of its wh-word (time, place, cause, manner, extent, ...)."""
    wh, aux, subj, verb, obj, prep, obj2 = (s.lower() for s in slots[:7])
    two_word = " ".join(wh.split()[:2])
    if two_word in WH_ROLES or wh in WH_ROLES:
        return WH_ROLES.get(two_word) or WH_ROLES[wh]
    empty = EMPTY_SLOT
    if prep != empty and obj2 == empty and (subj != empty or obj != empty):
        return "prep-object"             # "who did someone give something to?"
    if subj == empty:
        if aux in BE_FORMS and not verb.endswith("ing"):   # passive: "what was given?"
            return "object" if obj == empty else "indirect-object"   # "who was given something?"
        return "subject"
    return "object"


def question_text(slots: list[str]) -> str:
    """Turn the 8 QA-SRL slots into a question string.

    Empty slots ("_") are dropped and the rest joined by single spaces; the
    "?" is attached to the last word, as a reader would write it:
    ``["who","_","_","gave","something","to","someone","?"]`` ->
    ``"who gave something to someone?"``.
    """
    words = [s for s in slots if s and s != EMPTY_SLOT and s != "?"]
    return " ".join(words) + "?"


def question_word(question: str) -> str:
    """The question's class for per-class score breakdowns.

    Lowercased first word (who/what/when/where/why/how/which/whom/whose), or
    one of the two-word classes "how much"/"how many"/"how long"/"how often";
    anything else (including an empty question) is "other".
    """
    words = question.lower().replace("?", " ").split()
    if len(words) >= 2 and f"{words[0]} {words[1]}" in TWO_WORD_QUESTION_WORDS:
        return f"{words[0]} {words[1]}"
    if words and words[0] in QUESTION_WORDS:
        return words[0]
    return "other"


def char_offsets(tokens: list[str]) -> list[int]:
    """Character start of each token in ``" ".join(tokens)``."""
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    return starts


def align_answer(tokens: list[str], predicate_idx: int, answer: str) -> int:
    """Character offset of ``answer`` in ``" ".join(tokens)``, or -1.

    The answer is matched as a contiguous run of whole tokens, so "an" never
    matches inside "plan". When it occurs several times, the occurrence nearest
    the predicate wins: distance is the smallest |token index - predicate_idx|
    over the span's tokens (0 if the span covers the predicate); ties go to the
    earlier occurrence. Answers are split on whitespace, so extra spaces in an
    answer string do not prevent a match.
    """
    ans = answer.split()
    n = len(ans)
    if n == 0 or n > len(tokens):
        return -1
    best_start, best_dist = -1, None
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] != ans:
            continue
        last = i + n - 1
        if i <= predicate_idx <= last:
            dist = 0
        else:
            dist = min(abs(i - predicate_idx), abs(last - predicate_idx))
        if best_dist is None or dist < best_dist:  # strict: ties keep the earlier
            best_start, best_dist = i, dist
    if best_start < 0:
        return -1
    return char_offsets(tokens)[best_start]


def qasrl_to_examples(records: list[dict]) -> tuple[list[QAExample], dict]:
    """Convert QA-SRL records (one per question) into ``QAExample``s.

    Every record becomes an example, answerable or not: questions whose answers
    cannot be located are useless for training (see ``training_answer``) but
    still count in evaluation, so dropping them would inflate scores.

    Returns the examples (in input order) and stats: ``n_questions``,
    ``n_answers`` (gold texts in total), ``n_answers_unfound`` (texts not
    located) and ``n_questions_unanswerable`` (questions with no located text).
    """
    examples: list[QAExample] = []
    per_sentence: dict[str, int] = {}
    for rec in records:
        sent_id = rec["sent_id"]
        k = per_sentence.get(sent_id, 0)
        per_sentence[sent_id] = k + 1

        context = rec["sentence"]
        tokens = context.split(" ")
        pred = rec["predicate_idx"]
        answers = tuple(rec["answers"])
        starts = tuple(align_answer(tokens, pred, a) for a in answers)
        question = question_text(rec["question"])
        examples.append(
            QAExample(
                id=f"{sent_id}-{k}",
                question=question,
                context=context,
                answers=answers,
                answer_starts=starts,
                predicate_idx=pred,
                question_word=question_word(question),
                predicate=str(rec.get("predicate_lemma") or rec["predicate"]).lower(),
                role=rec.get("role") or question_role(rec["question"]),
            )
        )
    return examples, alignment_stats(examples)


def alignment_stats(examples: list[QAExample]) -> dict:
    """``n_questions``, ``n_answers`` (gold texts in total), ``n_answers_unfound`` (texts not
    located in their context) and ``n_questions_unanswerable`` (no text located)."""
    return {
        "n_questions": len(examples),
        "n_answers": sum(len(ex.answers) for ex in examples),
        "n_answers_unfound": sum(s < 0 for ex in examples for s in ex.answer_starts),
        "n_questions_unanswerable": sum(all(s < 0 for s in ex.answer_starts) for ex in examples),
    }


def training_answer(ex: QAExample) -> tuple[str, int] | None:
    """The (text, char_start) to train on: the first located gold answer.

    A span head learns one target per example; taking the first located answer
    keeps the choice deterministic. None when no answer was located, in which
    case the example is evaluation-only.
    """
    for text, start in zip(ex.answers, ex.answer_starts):
        if start >= 0:
            return text, start
    return None


def read_qasrl(path: str | Path) -> list[dict]:
    """Read and validate a QA-SRL JSON-lines split (see ``read_records``)."""
    return read_records(path, validate_qasrl_record)


def _is_str_list(x, length: int | None = None) -> bool:
    return (
        isinstance(x, list)
        and all(isinstance(s, str) for s in x)
        and (length is None or len(x) == length)
    )


def require_fields(rec: dict, where: str, fields: tuple[str, ...], strings: tuple[str, ...]) -> None:
    """Every field present and the `strings` among them strings, or a ValueError naming it."""
    for field in fields:
        if field not in rec:
            raise CorruptInput(f"{where}: missing field {field!r}")
    for field in strings:
        if not isinstance(rec[field], str):
            raise CorruptInput(f"{where}: field {field!r} must be a string, got {type(rec[field]).__name__}")


def validate_qasrl_record(rec: dict, path: str | Path, line_no: int) -> None:
    """Check one QA-SRL record; raise CorruptInput (a ValueError) naming path, line and field.

    Checked: ``sentence`` str, ``sent_id`` str, ``predicate`` str,
    ``predicate_idx`` int within the sentence's tokens, ``question`` a list of
    8 str, ``answers`` a non-empty list of str (a question with no gold text
    cannot be scored).
    """
    where = f"{path}:{line_no}"
    if not isinstance(rec, dict):
        raise CorruptInput(f"{where}: record is not a JSON object")
    require_fields(rec, where, ("sentence", "sent_id", "predicate_idx", "predicate", "question", "answers"),
                   strings=("sentence", "sent_id", "predicate"))
    idx = rec["predicate_idx"]
    n_tokens = len(rec["sentence"].split(" "))
    if isinstance(idx, bool) or not isinstance(idx, int):
        raise CorruptInput(f"{where}: field 'predicate_idx' must be an int, got {type(idx).__name__}")
    if not 0 <= idx < n_tokens:
        raise CorruptInput(f"{where}: field 'predicate_idx' = {idx} out of range for {n_tokens} tokens")
    if not _is_str_list(rec["question"], N_QUESTION_SLOTS):
        raise CorruptInput(f"{where}: field 'question' must be a list of {N_QUESTION_SLOTS} strings")
    if not _is_str_list(rec["answers"]) or not rec["answers"]:
        raise CorruptInput(f"{where}: field 'answers' must be a non-empty list of strings")


# --- SQuAD v1.1 --------------------------------------------------------------------------------

def squad_to_examples(records: list[dict]) -> tuple[list[QAExample], dict]:
    """Convert SQuAD records (``id, title, context, question, answers{text, answer_start}``).

    An offset whose characters are not its answer text is kept as -1 (not located), so the
    stats mean the same as for QA-SRL.
    """
    examples: list[QAExample] = []
    for rec in records:
        context = rec["context"]
        texts = tuple(rec["answers"]["text"])
        starts = tuple(s if context[s : s + len(t)] == t else -1
                       for t, s in zip(texts, rec["answers"]["answer_start"]))
        question = rec["question"].strip()
        examples.append(QAExample(id=rec["id"], question=question, context=context, answers=texts,
                                  answer_starts=starts, predicate_idx=-1,
                                  question_word=question_word(question)))
    return examples, alignment_stats(examples)


def validate_squad_record(rec: dict, path: str | Path, line_no: int) -> None:
    """Check one SQuAD record; raise CorruptInput (a ValueError) naming path, line and field."""
    where = f"{path}:{line_no}"
    require_fields(rec, where, ("id", "context", "question", "answers"), strings=("id", "context", "question"))
    answers = rec["answers"]
    if (not isinstance(answers, dict) or not _is_str_list(answers.get("text")) or not answers["text"]
            or not isinstance(answers.get("answer_start"), list)
            or len(answers["answer_start"]) != len(answers["text"])
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in answers["answer_start"])):
        raise CorruptInput(f"{where}: field 'answers' must be {{text: [str, ...], answer_start: [int, ...]}} "
                         "of equal, non-zero length")


SENTENCES_PER_PARAGRAPH = 5


def squad_from_qasrl(records: list[dict], per_paragraph: int = SENTENCES_PER_PARAGRAPH) -> list[dict]:
    """SQuAD-v1.1-shaped records for the embedded world's second task: reading comprehension
    over paragraphs of `per_paragraph` consecutive QA-SRL sentences, so a context spans several
    QA windows and the answer must be found in the right sentence. Each QA-SRL question about a
    sentence becomes a question about its paragraph, with the located answers' offsets; a
    question none of whose answers can be located is left out.
    """
    sentences: dict[str, str] = {}
    for rec in records:
        sentences.setdefault(rec["sent_id"], rec["sentence"])
    order = list(sentences)
    paragraph_of = {sid: i // per_paragraph for i, sid in enumerate(order)}
    offset_in_paragraph: dict[str, int] = {}
    contexts: list[str] = []
    for sid in order:
        n = paragraph_of[sid]
        if n == len(contexts):
            contexts.append("")
        elif contexts[n]:
            contexts[n] += " "
        offset_in_paragraph[sid] = len(contexts[n])
        contexts[n] += sentences[sid]
    out, per_sentence = [], {}
    for rec in records:
        sid = rec["sent_id"]
        k = per_sentence.get(sid, 0)
        per_sentence[sid] = k + 1
        tokens = rec["sentence"].split(" ")
        located = [(a, align_answer(tokens, rec["predicate_idx"], a)) for a in rec["answers"]]
        located = [(a, offset_in_paragraph[sid] + s) for a, s in located if s >= 0]
        if not located:
            continue
        n = paragraph_of[sid]
        out.append({"id": f"{sid}-{k}", "title": f"Embedded paragraph {n}", "context": contexts[n],
                    "question": question_text(rec["question"]),
                    "answers": {"text": [a for a, _ in located], "answer_start": [s for _, s in located]}})
    return out


# --- one entry point for both tasks -----------------------------------------------------------

READERS = {"qasrl": (validate_qasrl_record, qasrl_to_examples),
         "squad": (validate_squad_record, squad_to_examples)}


def read_records(path: str | Path, validate_record) -> list[dict]:
    """Read a JSON-lines split, validating every record; blank lines are skipped.

    Raises FileNotFoundError for a missing file and ValueError naming the file, the 1-based
    line number and the bad field, so a corrupt download is easy to locate.
    """
    path = Path(path)
    if not path.exists():
        raise MissingInput(f"{path}: not found (run `emergence download`)")
    records = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorruptInput(f"{path}:{line_no}: invalid JSON: {e.msg}") from e
            if not isinstance(rec, dict):
                raise CorruptInput(f"{path}:{line_no}: expected a JSON object, got {type(rec).__name__}")
            validate_record(rec, path, line_no)
            records.append(rec)
    return records


def read_examples(task: str, path: str | Path) -> tuple[list[QAExample], dict]:
    """The examples and stats of one split of `task` (qasrl | squad), validated."""
    validate_record, to_examples = READERS[task]
    return to_examples(read_records(path, validate_record))
