import json

import pytest

from emergence.data import qa
from emergence.data.qa import (
    QAExample,
    align_answer,
    read_qasrl,
    qasrl_to_examples,
    question_text,
    question_word,
    training_answer,
    validate_qasrl_record,
)

SENT = "Mary gave the old lantern to John in the harbor ."


def record(**overrides):
    rec = {
        "sentence": SENT,
        "sent_id": "train-000001",
        "predicate_idx": 1,
        "predicate": "gave",
        "question": ["who", "_", "_", "gave", "something", "to", "someone", "?"],
        "answers": ["Mary"],
    }
    rec.update(overrides)
    return rec


# ---------------------------------------------------------------- question text / word


def test_question_text_drops_empty_slots_and_attaches_question_mark():
    assert question_text(["who", "_", "_", "gave", "something", "to", "someone", "?"]) == (
        "who gave something to someone?"
    )
    assert question_text(["what", "did", "someone", "give", "_", "_", "_", "?"]) == "what did someone give?"


@pytest.mark.parametrize(
    "question, word",
    [
        ("who gave something?", "who"),
        ("What did someone give?", "what"),
        ("how much did something cost?", "how much"),
        ("How many did someone give?", "how many"),
        ("how long did something last?", "how long"),
        ("how often did someone go?", "how often"),
        ("how did someone give something?", "how"),
        ("where did someone give something?", "where"),
        ("whom did someone see?", "whom"),
        ("did someone give something?", "other"),
        ("", "other"),
    ],
)
def test_question_word_classes(question, word):
    assert question_word(question) == word


# ---------------------------------------------------------------- alignment


def test_align_simple_offset():
    tokens = SENT.split(" ")
    assert align_answer(tokens, 1, "the old lantern") == SENT.index("the old lantern")
    assert align_answer(tokens, 1, "Mary") == 0


def test_align_picks_occurrence_nearest_predicate_after():
    # "the dog" occurs at tokens 0-1 and 4-5; predicate "bit" at 3 -> later one (distance 1 vs 2).
    s = "the dog saw bit the dog ."
    tokens = s.split(" ")
    assert align_answer(tokens, 3, "the dog") == len("the dog saw bit ")


def test_align_picks_occurrence_nearest_predicate_before():
    # predicate "saw" at 2: first occurrence (distance 1) beats the second (distance 2).
    s = "the dog saw bit the dog ."
    tokens = s.split(" ")
    assert align_answer(tokens, 2, "the dog") == 0


def test_align_tie_goes_to_earlier_occurrence():
    tokens = "cat x cat".split(" ")
    assert align_answer(tokens, 1, "cat") == 0


def test_align_span_covering_predicate_has_distance_zero():
    tokens = "to run to run fast".split(" ")
    # predicate is the second "run" (token 3); "to run" at 2-3 covers it (distance 0) and beats 0-1.
    assert align_answer(tokens, 3, "run") == len("to run to ")
    assert align_answer(tokens, 3, "to run") == len("to run ")


def test_align_token_boundaries_only():
    tokens = "they made a plan for an hour".split(" ")
    assert align_answer(tokens, 1, "an") == len("they made a plan for ")
    assert align_answer(tokens, 1, "pla") == -1
    assert align_answer(tokens, 1, "lan") == -1


def test_align_unfound_and_empty():
    tokens = SENT.split(" ")
    assert align_answer(tokens, 1, "Peter") == -1
    assert align_answer(tokens, 1, "") == -1
    assert align_answer(tokens, 1, SENT + " more") == -1


# ---------------------------------------------------------------- conversion


def test_qasrl_to_examples_fields_ids_and_stats():
    records = [
        record(),
        record(question=["what", "did", "someone", "give", "_", "to", "someone", "?"],
               answers=["the old lantern", "lantern", "an old lamp"]),
        record(sent_id="train-000002", sentence="It rained .", predicate_idx=1, predicate="rained",
               question=["when", "did", "something", "rain", "_", "_", "_", "?"], answers=["yesterday"]),
        record(question=["where", "did", "someone", "give", "something", "_", "_", "?"],
               answers=["in the harbor"]),
    ]
    examples, stats = qasrl_to_examples(records)
    ids = [ex.id for ex in examples]
    assert ids == ["train-000001-0", "train-000001-1", "train-000002-0", "train-000001-2"]
    ex = examples[1]
    assert ex.question == "what did someone give to someone?"
    assert ex.context == SENT
    assert ex.answers == ("the old lantern", "lantern", "an old lamp")
    assert ex.answer_starts == (10, 18, -1)
    assert ex.question_word == "what"
    assert ex.predicate_idx == 1
    assert stats == {"n_questions": 4, "n_answers": 6, "n_answers_unfound": 2, "n_questions_unanswerable": 1}
    for e in examples:
        for text, start in zip(e.answers, e.answer_starts):
            if start >= 0:
                assert e.context[start : start + len(text)] == text


def test_training_answer_first_found_or_none():
    ex = QAExample("a", "q?", SENT, ("nope", "John", "Mary"), (-1, 29, 0), 1, "who")
    assert training_answer(ex) == ("John", 29)
    ex2 = QAExample("b", "q?", SENT, ("nope",), (-1,), 1, "who")
    assert training_answer(ex2) is None


# ---------------------------------------------------------------- files and validation


def test_read_qasrl_and_errors(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text(json.dumps(record()) + "\n\n" + json.dumps(record(answers=["John"])) + "\n")
    recs = read_qasrl(p)
    assert [r["answers"] for r in recs] == [["Mary"], ["John"]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(record()) + "\n{oops\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        read_qasrl(bad)
    missing_field = {k: v for k, v in record().items() if k != "answers"}
    bad.write_text(json.dumps(record()) + "\n" + json.dumps(missing_field) + "\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2.*answers"):
        read_qasrl(bad)
    with pytest.raises(FileNotFoundError, match="nowhere.jsonl: not found"):
        read_qasrl(tmp_path / "nowhere.jsonl")


def test_validate_accepts_good_record():
    validate_qasrl_record(record(), "f.jsonl", 3)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"sentence": 5}, "sentence"),
        ({"sent_id": None}, "sent_id"),
        ({"predicate_idx": "1"}, "predicate_idx"),
        ({"predicate_idx": True}, "predicate_idx"),
        ({"predicate_idx": 11}, "predicate_idx"),
        ({"predicate_idx": -1}, "predicate_idx"),
        ({"predicate": 1}, "predicate"),
        ({"question": ["who", "gave", "?"]}, "question"),
        ({"question": ["who", "_", "_", "gave", "something", "to", 3, "?"]}, "question"),
        ({"answers": "Mary"}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": ["Mary", 2]}, "answers"),
    ],
)
def test_validate_reports_path_line_and_field(overrides, field):
    with pytest.raises(ValueError, match=rf"f\.jsonl:7: .*'{field}'"):
        validate_qasrl_record(record(**overrides), "f.jsonl", 7)


def test_validate_missing_field():
    rec = record()
    del rec["answers"]
    with pytest.raises(ValueError, match=r"f\.jsonl:2: missing field 'answers'"):
        validate_qasrl_record(rec, "f.jsonl", 2)


# --- SQuAD ---------------------------------------------------------------------------------

SQUAD_CONTEXT = "Ada Lovelace wrote notes in 1843. Babbage built the engine."


def squad_record(**over):
    rec = {"id": "q1", "title": "Ada", "context": SQUAD_CONTEXT, "question": " When were the notes written?",
           "answers": {"text": ["1843", "in 1843"], "answer_start": [28, 25]}}
    return {**rec, **over}


def test_squad_offsets_kept_when_they_match_and_marked_unfound_when_not():
    wrong = squad_record(id="q2", answers={"text": ["Babbage"], "answer_start": [0]})
    examples, stats = qa.squad_to_examples([squad_record(), wrong])
    assert examples[0].answers == ("1843", "in 1843") and examples[0].answer_starts == (28, 25)
    assert examples[0].question == "When were the notes written?" and examples[0].question_word == "when"
    assert examples[0].predicate_idx == -1
    assert examples[1].answer_starts == (-1,) and qa.training_answer(examples[1]) is None
    assert stats == {"n_questions": 2, "n_answers": 3, "n_answers_unfound": 1, "n_questions_unanswerable": 1}


@pytest.mark.parametrize("bad, message", [
    ({"context": None}, "field 'context' must be a string"),
    ({"answers": {"text": ["a"], "answer_start": []}}, "field 'answers' must be"),
    ({"answers": {"text": [], "answer_start": []}}, "field 'answers' must be"),
    ({"answers": ["1843"]}, "field 'answers' must be"),
])
def test_bad_squad_record_names_file_line_and_field(tmp_path, bad, message):
    path = tmp_path / "validation.jsonl"
    path.write_text(json.dumps(squad_record()) + "\n" + json.dumps(squad_record(**bad)) + "\n")
    with pytest.raises(ValueError, match=f"validation.jsonl:2: {message}"):
        qa.read_examples("squad", path)


def test_missing_squad_field_is_named(tmp_path):
    rec = squad_record()
    del rec["question"]
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(ValueError, match="train.jsonl:1: missing field 'question'"):
        qa.read_examples("squad", path)
