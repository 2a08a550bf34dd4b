"""One home for where files go (emergence/layout.py), and the import structure it allows: no
cycle among the project's modules, nothing below the CLI importing it, and `emergence report`
without torch."""

from __future__ import annotations

import json
import subprocess
import sys

from project_imports import ROOT, import_graph, imports, module_file


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as [a, b, ..., a], or None (depth-first, in sorted order)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    # the walk sees imports inside functions: cli imports the backends in one
    assert "emergence.backends" in imports(module_file("emergence.cli"))


def test_no_import_cycle_among_the_project_modules():
    graph = import_graph()
    assert len(graph) > 20 and "emergence.layout" in graph
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_nothing_in_the_package_imports_the_cli_and_layout_imports_only_params():
    graph = import_graph()
    assert [name for name, deps in graph.items() if "emergence.cli" in deps] == []
    assert graph["emergence.layout"] == {"emergence.params"}
    # the stages, the report, the runs and the backends take their paths from layout
    for name in ("emergence.cli", "emergence.backends", "emergence.runs", "emergence.report", "emergence.pretrain",
                 "emergence.finetune", "emergence.evaluate", "emergence.probe", "emergence.data.tokens",
                 "emergence.data.download", "emergence.backends.modal_app"):
        assert "emergence.layout" in graph[name], name


def test_the_report_and_its_records_need_no_torch(tmp_path):
    # A workspace with one run and its pretrained model: collecting it names the finetune and
    # pretrain files (layout), which once imported emergence.finetune and with it torch.
    (tmp_path / "metrics/finetune").mkdir(parents=True)
    (tmp_path / "metrics/pretrain").mkdir(parents=True)
    (tmp_path / "metrics/eval.json").write_text(json.dumps(
        {"size": "tiny", "data": "wiki", "mode": "frozen", "samples": 50, "seed": 0, "task": "qasrl", "f1": 1.0}))
    (tmp_path / "metrics/finetune/tiny-wiki-freeze-true-50.json").write_text(json.dumps({"steps": 3}))
    (tmp_path / "metrics/finetune/tiny-wiki-freeze-true-50-loss.csv").write_text("step,train_loss\n3,1.5\n")
    (tmp_path / "metrics/pretrain/tiny-wiki.json").write_text(json.dumps({"seed": 0, "val_loss": 2.0}))
    code = (
        "import emergence.report, emergence.runs, emergence.layout, sys\n"
        "assert 'torch' not in sys.modules\n"
        "rec = emergence.runs.collect(sys.argv[1], experiments=False)\n"
        "assert [r['finetune'] for r in rec['runs']] == [{'steps': 3}], rec\n"
        "assert rec['runs'][0]['finetune_loss'] == [{'step': 3.0, 'train_loss': 1.5}], rec\n"
        "assert [r['metrics']['val_loss'] for r in rec['pretrain']] == [2.0], rec\n"
        "assert 'torch' not in sys.modules, 'collecting runs imported torch'\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
