"""User errors end in one line and a non-zero exit; bugs keep their traceback."""

import errno

import pytest
from click.testing import CliRunner

from conftest import ROOT
from emergence import cli
from emergence.errors import CorruptInput, Diverged, MissingInput, UserError
from emergence.params import ParamsError


def lines(result) -> list[str]:
    """The non-blank lines the command printed (an empty progress display may leave a blank one)."""
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_user_error_is_one_line_with_exit_1(project):
    # a missing input, named with its fix, from a real stage
    result = CliRunner().invoke(cli.main, ["tokenize"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert lines(result) == [lines(result)[0]] and "data/raw" in result.output and "emergence download" in result.output


@pytest.mark.parametrize("error", [MissingInput("x: not found (run y)"), CorruptInput("x:3: invalid JSON"),
                                   Diverged("loss became nan at step 4"), UserError("no dvc on PATH"),
                                   PermissionError(errno.EACCES, "Permission denied", "models/x")])
def test_user_caused_errors_print_one_line(project, monkeypatch, error):
    def stage(*args, **kwargs):
        raise error

    monkeypatch.setattr("emergence.data.tokens.tokenize", stage)
    result = CliRunner().invoke(cli.main, ["tokenize"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(lines(result)) == 1 and lines(result)[0].startswith("error: ")


@pytest.mark.parametrize("bug", [ValueError("shape mismatch in a matmul"), IndexError("list index out of range"),
                                 FloatingPointError("overflow in a helper"), FileNotFoundError("a bug's missing file"),
                                 RuntimeError("CUDA error")])
def test_anything_else_is_a_bug_and_keeps_its_traceback(project, monkeypatch, bug):
    def stage(*args, **kwargs):
        raise bug

    monkeypatch.setattr("emergence.data.tokens.tokenize", stage)
    result = CliRunner().invoke(cli.main, ["tokenize"])
    assert result.exception is bug   # not turned into SystemExit: click's runner got the exception itself
    assert "error:" not in result.output


def test_bad_params_still_exit_2_and_are_user_errors(project):
    assert issubclass(ParamsError, UserError) and issubclass(MissingInput, FileNotFoundError)
    result = CliRunner().invoke(cli.main, ["finetune", "--samples", "0"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
