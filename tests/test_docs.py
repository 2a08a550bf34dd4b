"""The README and docs/ say only what runs: sizes, commands checked against the CLI, params and
Makefile, and the generated reference equal to what the code prints."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from emergence.cli import main

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 12_000


def fenced_commands(path) -> list[str]:
    """Every line of a ```bash block, comments stripped, continuation lines joined."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def emergence_help(words: list[str]) -> str:
    result = CliRunner().invoke(main, [*words, "--help"])
    assert result.exit_code == 0, f"`emergence {' '.join(words)}` is not a command: {result.output}"
    return result.output


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text()) <= README_LIMIT


def test_the_reference_is_what_the_code_prints():
    result = CliRunner().invoke(main, ["reference"])
    assert result.exit_code == 0
    assert (ROOT / "docs/reference.md").read_text() == result.output, "regenerate: emergence reference > docs/reference.md"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_documented_command_exists_with_its_flags(path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    for line in fenced_commands(path):
        for command in re.split(r"\s*(?:&&|;|\|)\s*", line):
            words = shlex.split(command)
            if not words:
                continue
            if words[0] == "emergence":
                rest = words[1:]
                while rest and rest[0] in ("--backend", "--params"):   # the group's own options
                    rest = rest[2:]
                text = emergence_help(rest[:1])
                for opt in (w.split("=")[0] for w in rest[1:] if w.startswith("--")):
                    assert opt in text, f"{path.name}: `{command}`: {opt} not in `emergence {rest[0]} --help`"
            elif words[0] == "make":
                assert all(t in targets for t in words[1:]), f"{path.name}: `{command}`: no such make target"
            elif words[:2] == ["dvc", "exp"]:
                for i, w in enumerate(words):
                    if w == "-S":
                        key = words[i + 1].split("=")[0].split(".")[0]
                        assert key in params, f"{path.name}: `{command}`: {key} is not in params.yaml"
