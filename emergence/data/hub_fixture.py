"""Tiny parquet copies of the hub repos, in their real layouts, for `source: local`.

Used by the tests, and by `emergence hub-fixture DIR`, which writes a folder that
`dvc exp run -S source=local -S local_dir=DIR` runs the whole study on, offline. Every
answer occurs in its sentence; the text is tokenized the WikiText way.

The layouts are written down here from the hub's file lists (huggingface.co/datasets/<repo>/tree/
<branch>/<config>), independently of the loader in hub.py, so a loader that reads a layout the
hub does not have fails the tests:

    Salesforce/wikitext (main)       README.md with configs:, wikitext-103-raw-v1/
                                     train-0000{0,1}-of-00002, validation-/test-00000-of-00001.parquet
    google-research-datasets/nq_open (main)  README.md with configs:, nq_open/{train,validation}-00000-of-00001.parquet
    rajpurkar/squad (main)           README.md with configs:, plain_text/{train,validation}-00000-of-00001.parquet
    luheng/qa_srl (refs/convert/parquet)      plain_text/{train,validation,test}/0000.parquet, no README.md
    biu-nlp/qa_srl2018 (refs/convert/parquet) v2/{train,validation,test}/0000.parquet, no README.md
"""

from __future__ import annotations

from pathlib import Path

#
# WikiText articles: (title, blocks); a block starting with "== " / "=== " is a section /
# subsection heading, anything else a paragraph. Text is tokenized the WikiText way.
_WIKI = {
    "train": [
        ("Ada Lovelace", [
            "Augusta Ada King , Countess of Lovelace , was an English mathematician and writer . "
            "She is chiefly known for her work on Charles Babbage 's Analytical Engine .",
            "== Early life",
            "Ada was born in London in 1815 . Her mother , Anne Isabella Milbanke , "
            "promoted her interest in mathematics and logic .",
            "=== Education",
            "She was taught by private tutors . Mary Somerville encouraged her studies .",
            "== Work",
            "Lovelace translated an article by Luigi Menabrea and added her own notes . "
            "The notes contain what many call the first published program . "
            "It computed the Bernoulli numbers on the engine .",
        ]),
        ("Analytical Engine", [
            "The Analytical Engine was a proposed mechanical general @-@ purpose computer . "
            "Charles Babbage first described it in 1837 .",
            "== Design",
            "The engine was meant to read instructions from punched cards . "
            "Its store could hold 1 @,@ 000 numbers of 40 digits each .",
            "== Legacy",
            "The engine was never completed . Later computers followed a similar design .",
        ]),
        ("Charles Babbage", [
            "Charles Babbage was an English polymath . He originated the concept of a "
            "programmable computer .",
            "== Difference Engine",
            "Babbage built a small model of the Difference Engine in 1822 . "
            "The British government funded the larger engine for a time .",
        ]),
    ],
    "validation": [
        ("Jacquard machine", [
            "The Jacquard machine is a device fitted to a loom . It uses punched cards to "
            "control the pattern being woven .",
            "== History",
            "Joseph Marie Jacquard demonstrated the machine in Lyon in 1804 .",
        ]),
    ],
    "test": [
        ("Difference Engine", [
            "A difference engine is an automatic mechanical calculator . It tabulates polynomial "
            "functions .",
        ]),
    ],
}

_NQ = {
    "train": [
        ("who wrote the first published computer program", ["Ada Lovelace"]),
        ("who designed the analytical engine", ["Charles Babbage"]),
        ("when was ada lovelace born", ["1815", "10 December 1815"]),
        ("what did the analytical engine read its instructions from", ["punched cards"]),
        ("who translated menabrea 's article on the analytical engine", ["Ada Lovelace"]),
    ],
    "validation": [
        ("where did jacquard demonstrate his machine", ["Lyon"]),
        ("when did jacquard demonstrate the loom", ["1804"]),
        ("who funded babbage 's difference engine", ["the British government"]),
    ],
}

# QA-SRL: (sent_id, sentence, [(predicate_idx, [(question slots, answers), ...]), ...]).
# Slots: wh aux subj verb obj prep obj2 (the "?" is appended when written).
_QASRL = {
    "train": [
        ("WIKI1_0", "Ada Lovelace wrote the first published program for the Analytical Engine in 1843 .", [
            (2, [("who _ _ wrote something _ _", ["Ada Lovelace"]),
                 ("what did someone write _ _ _", ["the first published program", "program"]),
                 ("what did someone write something for _", ["the Analytical Engine"]),
                 ("when did someone write something _ _", ["in 1843"])]),
        ]),
        ("WIKI1_1", "Charles Babbage designed the Analytical Engine after he built the Difference Engine .", [
            (2, [("who _ _ designed something _ _", ["Charles Babbage"]),
                 ("what did someone design _ _ _", ["the Analytical Engine"]),
                 ("when did someone design something _ _", ["after he built the Difference Engine"])]),
            (8, [("who _ _ built something _ _", ["he", "Charles Babbage"]),
                 ("what did someone build _ _ _", ["the Difference Engine"])]),
        ]),
        ("WIKI1_2", "The engine was meant to read instructions from punched cards .", [
            (5, [("what _ _ reads something _ _", ["The engine"]),
                 ("what does something read _ _ _", ["instructions"]),
                 ("where does something read something from _", ["punched cards"])]),
        ]),
        ("WIKI1_3", "Lovelace translated an article by Luigi Menabrea and added her own notes .", [
            (1, [("who _ _ translated something _ _", ["Lovelace"]),
                 ("what did someone translate _ _ _", ["an article by Luigi Menabrea", "an article"])]),
            (8, [("who _ _ added something _ _", ["Lovelace"]),
                 ("what did someone add _ _ _", ["her own notes"])]),
        ]),
        ("WIKI1_4", "Babbage gave a lecture about the engine in Turin in 1840 .", [
            (1, [("who _ _ gave something _ _", ["Babbage"]),
                 ("what did someone give _ _ _", ["a lecture about the engine"]),
                 ("where did someone give something _ _", ["in Turin"]),
                 ("when did someone give something _ _", ["in 1840"])]),
        ]),
        ("WIKI1_5", "Menabrea published a description of the lecture in French .", [
            (1, [("who _ _ published something _ _", ["Menabrea"]),
                 ("what did someone publish _ _ _", ["a description of the lecture"]),
                 ("how did someone publish something _ _", ["in French"])]),
        ]),
    ],
    "validation": [
        ("WIKI2_0", "The Jacquard loom used punched cards to weave patterns into silk .", [
            (3, [("what _ _ used something _ _", ["The Jacquard loom"]),
                 ("what did something use _ _ _", ["punched cards"]),
                 ("why did something use something _ _", ["to weave patterns into silk"])]),
            (7, [("what did something weave _ into something", ["patterns"])]),
        ]),
        ("WIKI2_1", "Joseph Marie Jacquard demonstrated the loom in Lyon in 1804 .", [
            (3, [("who _ _ demonstrated something _ _", ["Joseph Marie Jacquard"]),
                 ("what did someone demonstrate _ _ _", ["the loom"]),
                 ("where did someone demonstrate something _ _", ["in Lyon"]),
                 ("when did someone demonstrate something _ _", ["in 1804"])]),
        ]),
    ],
    "test": [
        ("WIKI3_0", "Babbage admired the loom .", [
            (1, [("who _ _ admired something _ _", ["Babbage"]),
                 ("what did someone admire _ _ _", ["the loom"])]),
        ]),
    ],
}

_SQUAD_CONTEXT = ("Ada Lovelace was an English mathematician. She wrote notes on Charles Babbage's "
                  "Analytical Engine in 1843, including an algorithm for Bernoulli numbers.")
_SQUAD = {
    "train": [
        ("Ada_Lovelace", _SQUAD_CONTEXT, "What nationality was Ada Lovelace?", ["English"]),
        ("Ada_Lovelace", _SQUAD_CONTEXT, "Whose engine did Lovelace write notes on?", ["Charles Babbage"]),
        ("Ada_Lovelace", _SQUAD_CONTEXT, "When did Lovelace write her notes?", ["1843"]),
    ],
    "validation": [
        ("Analytical_Engine", _SQUAD_CONTEXT, "What did the algorithm compute?",
         ["Bernoulli numbers", "Bernoulli numbers", "numbers"]),
        ("Analytical_Engine", _SQUAD_CONTEXT, "What was Lovelace's profession?", ["mathematician"]),
    ],
}


def _wikitext_rows(articles) -> list[str]:
    """WikiText-103 raw rows: headings " = T = \\n", paragraphs " text \\n", "" between them."""
    rows = [""]
    for title, blocks in articles:
        rows += [f" = {title} = \n", ""]
        for block in blocks:
            marks, _, text = block.partition(" ") if block.startswith("==") else ("", "", block)
            eq = " ".join("=" * len(marks))
            rows += [f" {eq} {text} {eq} \n" if marks else f" {text} \n", ""]
    return rows


def _span(tokens: list[str], answer: str) -> list[int]:
    words = answer.split(" ")
    for i in range(len(tokens) - len(words) + 1):
        if tokens[i:i + len(words)] == words:
            return [i, i + len(words)]
    raise ValueError(f"{answer!r} not in {' '.join(tokens)!r}")


def _qasrl_rows(split: str, copies: int, v2: bool) -> list[dict]:
    rows = []
    for c in range(copies):
        for sent_id, sentence, predicates in _QASRL[split]:
            tokens = sentence.split(" ")
            for pred_idx, questions in predicates:
                for slots, answers in questions:
                    row = {"sentence": sentence, "sent_id": sent_id + (f"_c{c}" if c else ""),
                           "predicate_idx": pred_idx, "predicate": tokens[pred_idx],
                           "question": slots.split(" ") + ["?"], "answers": list(answers)}
                    if v2:
                        row = {**row, "is_verbal": True, "verb_form": tokens[pred_idx].lower(),
                               "answer_ranges": [_span(tokens, a) for a in answers]}
                    rows.append(row)
    return rows


def _readme(configs: dict[str, dict[str, str]]) -> str:
    """A dataset card whose YAML `configs:` block maps config -> split -> file pattern."""
    lines = ["---", "configs:"]
    for name, splits in configs.items():
        lines += [f"- config_name: {name}", "  data_files:"]
        for split, pattern in splits.items():
            lines += [f"  - split: {split}", f"    path: {pattern}"]
    return "\n".join(lines + ["---", "", "A tiny local copy for tests.", ""])


def write_hub_fixture(root: Path, *, n: int = 1) -> Path:
    """Write tiny parquet copies of the hub repos under ``root/<org>/<name>/``; returns root.

    Layouts as in the module docstring (QA-SRL Bank 2.0 with its token spans). ``n`` repeats every split's content n times (copies after the first get suffixed titles
    and ids) for tests that need more text.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)

    def write(repo: str, files: dict[str, dict[str, list]], configs: dict[str, dict[str, str]] | None,
              schema: pa.Schema | None = None) -> None:
        """The repo's parquet files; a dataset card with `configs:` only where the hub's branch has one."""
        base = root / repo
        for rel, columns in files.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.table(columns, schema=schema), path)
        if configs is not None:
            (base / "README.md").write_text(_readme(configs))

    def columns(rows: list[dict]) -> dict[str, list]:
        return {k: [r[k] for r in rows] for k in rows[0]}

    suffix = [""] + [f" ({c})" for c in range(1, n)]

    cfg = "wikitext-103-raw-v1"
    wiki_files = {}
    for s, arts in _WIKI.items():
        rows = _wikitext_rows([(t + sfx, b) for sfx in suffix for t, b in arts])
        shards = 2 if s == "train" else 1   # the hub's train split is two files
        cut = len(rows) // shards
        for k in range(shards):
            part = rows[k * cut:(k + 1) * cut if k < shards - 1 else len(rows)]
            wiki_files[f"{cfg}/{s}-{k:05d}-of-{shards:05d}.parquet"] = {"text": part}
    write("Salesforce/wikitext", wiki_files, {cfg: {s: f"{cfg}/{s}-*" for s in _WIKI}})

    write("google-research-datasets/nq_open",
          {f"nq_open/{s}-00000-of-00001.parquet":
           {"question": [q for _ in suffix for q, _a in rows], "answer": [a for _ in suffix for _q, a in rows]}
           for s, rows in _NQ.items()},
          {"nq_open": {s: f"nq_open/{s}-*" for s in _NQ}})

    qasrl_schema = pa.schema([("sentence", pa.string()), ("sent_id", pa.string()), ("predicate_idx", pa.int32()),
                              ("predicate", pa.string()), ("question", pa.list_(pa.string())),
                              ("answers", pa.list_(pa.string()))])
    write("luheng/qa_srl",
          {f"plain_text/{s}/0000.parquet": columns(_qasrl_rows(s, n, v2=False)) for s in _QASRL},
          None, qasrl_schema)

    qasrl2_schema = pa.schema([("sentence", pa.string()), ("sent_id", pa.string()), ("predicate_idx", pa.int32()),
                               ("predicate", pa.string()), ("is_verbal", pa.bool_()), ("verb_form", pa.string()),
                               ("question", pa.list_(pa.string())), ("answers", pa.list_(pa.string())),
                               ("answer_ranges", pa.list_(pa.list_(pa.int32())))])
    fields = qasrl2_schema.names
    write("biu-nlp/qa_srl2018",
          {f"v2/{s}/0000.parquet": {k: [r[k] for r in _qasrl_rows(s, n, v2=True)] for k in fields}
           for s in _QASRL},
          None, qasrl2_schema)

    answers_type = pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])
    squad_schema = pa.schema([("id", pa.string()), ("title", pa.string()), ("context", pa.string()),
                              ("question", pa.string()), ("answers", answers_type)])
    squad_files = {}
    for s, rows in _SQUAD.items():
        recs = [{"id": f"{s}{c:02d}{i:04d}", "title": title, "context": ctx, "question": q,
                 "answers": {"text": texts, "answer_start": [ctx.index(t) for t in texts]}}
                for c in range(n) for i, (title, ctx, q, texts) in enumerate(rows)]
        squad_files[f"plain_text/{s}-00000-of-00001.parquet"] = columns(recs)
    write("rajpurkar/squad", squad_files, {"plain_text": {s: f"plain_text/{s}-*" for s in _SQUAD}}, squad_schema)
    return root
