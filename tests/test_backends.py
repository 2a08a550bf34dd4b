"""Backends: the Dockerfile, the docker and modal dispatch, the Modal App's definition and its
Volume sync, all offline. The test marked `docker` builds and runs the real image."""

import contextlib
import dataclasses
import importlib.metadata
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from emergence import params as params_mod
from emergence.backends import BackendError, modal_credentials
from emergence.layout import StageFiles, stage_files
from emergence.cli import main

from conftest import micro_params

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("download", "tokenize", "pretrain", "finetune", "eval", "probe")


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(micro_params()))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def set_params(project: Path, **changes) -> None:
    data = yaml.safe_load((project / "params.yaml").read_text())
    data.update(changes)
    (project / "params.yaml").write_text(yaml.safe_dump(data))


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# --- the Dockerfile ------------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, args = current.strip().partition(" ")
            instructions.append((keyword, args.strip()))
            current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def test_dockerfile_parses_and_every_copy_source_exists():
    from modal._utils.docker_utils import extract_copy_command_patterns
    text = (ROOT / "Dockerfile").read_text()
    instructions = dockerfile_instructions(text)
    known = {"ARG", "FROM", "ENV", "RUN", "WORKDIR", "COPY", "USER", "ENTRYPOINT", "CMD", "LABEL"}
    assert {k for k, _ in instructions} <= known and all(k.isupper() for k, _ in instructions)
    first = next(k for k, _ in instructions if k != "ARG")
    assert first == "FROM" and sum(k == "FROM" for k, _ in instructions) == 1
    args = dict(a.partition("=")[::2] for k, a in instructions if k == "ARG")
    assert {"BASE_IMAGE", "TORCH_VERSION", "TORCH_INDEX_URL", "PIP_INDEX_URL", "PIP_FIND_LINKS"} <= set(args)
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"torch=={args['TORCH_VERSION']}" in pins, "the image's torch build arg must equal the pin"
    sources = extract_copy_command_patterns(text.splitlines())
    assert sorted(sources) == ["README.md", "emergence", "pyproject.toml"]
    assert all((ROOT / s).exists() for s in sources)
    users = [a for k, a in instructions if k == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_container_entrypoint_is_the_installed_cli():
    entrypoint = [a for k, a in dockerfile_instructions((ROOT / "Dockerfile").read_text()) if k == "ENTRYPOINT"]
    assert json.loads(entrypoint[-1]) == ["emergence"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    installed = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts["emergence"] == installed["emergence"] == "emergence.cli:main"


# --- the build context ---------------------------------------------------------------------

JUNK = ["data/raw/wiki/train.jsonl", "models/pretrain/tiny-wiki/model.safetensors", "metrics/eval.json",
        ".venv/bin/python", ".dvc/cache/files/md5/ab/cdef", ".git/HEAD", ".resume/pretrain/x.safetensors",
        "emergence/__pycache__/cli.cpython-311.pyc", "emergence.egg-info/PKG-INFO", ".pytest_cache/v",
        ".modal-outputs.tmp-12/data/raw/x"]


@pytest.fixture()
def cluttered_copy(tmp_path):
    """The project's build inputs next to every kind of data and cache a workspace holds."""
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "emergence", tmp_path / "emergence", ignore=shutil.ignore_patterns("__pycache__"))
    for junk in JUNK:
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_text("x")
    return tmp_path


def expected_context(root: Path) -> set[str]:
    return {"README.md", "pyproject.toml"} | {str(p.relative_to(root)) for p in (root / "emergence").rglob("*.py")}


def docker_context(root: Path) -> set[str]:
    """What `docker build` sends: every file not matched by .dockerignore (Modal's matcher is a
    port of Docker's)."""
    from modal.file_pattern_matcher import FilePatternMatcher
    ignored = FilePatternMatcher(*(root / ".dockerignore").read_text().splitlines())
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not ignored(p.relative_to(root))}


def test_docker_build_context_excludes_data_and_caches(cluttered_copy):
    sent = docker_context(cluttered_copy)
    assert sent == expected_context(cluttered_copy) | {"Dockerfile", ".dockerignore"}


def dockerfile_parts(image):
    """For a Modal image built on the project's Dockerfile: the top layer's commands, the
    Dockerfile's path and the arguments it is built with (read from modal 1.6's lazy loaders;
    nothing is built or sent)."""
    from modal._image import _Image
    from modal._utils.async_utils import synchronizer
    top = image = synchronizer._translate_in(image)
    commands = inspect.getclosurevars(top._load).nonlocals["dockerfile_function"](None).commands
    while not image._rep.startswith("Image.from_dockerfile("):
        (image,) = [d for d in image._deps() if isinstance(d, _Image)]
    loader = inspect.getclosurevars(image._load).nonlocals
    return commands, Path(loader["path"]), inspect.getclosurevars(loader["dockerfile_image"]).nonlocals


def context_upload(built: dict) -> set[str]:
    """The files Modal would upload as build context."""
    from modal.mount import _select_files
    mount = built["context_mount_function"]("2025.06")
    return {str(remote).lstrip("/") for _, remote in _select_files(mount.entries)}


def test_modal_image_is_the_projects_dockerfile_and_uploads_no_data(cluttered_copy):
    from modal._utils.async_utils import synchronizer

    from emergence.backends import modal_app
    for fn in (modal_app.stage, modal_app.chain):
        assert synchronizer._translate_in(fn)._spec.image is synchronizer._translate_in(modal_app.image)
    commands, path, built = dockerfile_parts(modal_app.image)
    assert path == ROOT / "Dockerfile" and built["build_args"] == {}
    assert context_upload(built) == expected_context(ROOT)
    # Modal starts its runtime through the ENTRYPOINT: the top layer clears it.
    assert commands == ["FROM base", "USER root", "ENTRYPOINT []"]
    # The same definition on a workspace full of data and caches uploads only the COPY sources.
    _, path, built = dockerfile_parts(modal_app.project_image(cluttered_copy))
    assert path == cluttered_copy / "Dockerfile"
    assert context_upload(built) == expected_context(cluttered_copy)


# --- the Modal App: functions and their options from params --------------------------------

def test_modal_functions_take_gpu_timeout_and_volume_from_params():
    from emergence.backends import modal_app
    p = params_mod.load(ROOT / "params.yaml")
    for command in (*STAGES, "run", "bench"):
        info = modal_app.stage_function(p, command).info()
        assert info.gpus == ([("A10G", 1)] if command not in ("download", "tokenize") else [])
        assert info.timeout == getattr(p.modal.timeouts, command)
        assert {k: v.name for k, v in info.volumes.items()} == {"/vol": "emergence"}
    other = dataclasses.replace(p, modal=params_mod.ModalParams(
        gpu="H100:2", volume="study-2", timeouts=dataclasses.replace(p.modal.timeouts, pretrain=77)))
    info = modal_app.stage_function(other, "pretrain").info()
    assert info.gpus == [("H100", 2)] and info.timeout == 77 and info.volumes["/vol"].name == "study-2"
    assert modal_app.stage.info().gpus == [] and modal_app.chain.info().gpus == []  # only per call


def test_stage_table_lists_the_paths_dvc_yaml_lists():
    p = params_mod.load(ROOT / "params.yaml")
    values = {"model": p.model, "pretrain_data": p.pretrain_data, "freeze": str(p.freeze).lower(),
              "finetune_samples": str(p.finetune_samples), "task": p.task}
    values |= {"item.size": p.model, "item.data": p.pretrain_data, "item.freeze": values["freeze"],
               "item.samples": values["finetune_samples"]}
    text = re.sub(r"\$\{([\w.]+)\}", lambda m: values.get(m.group(1), m.group(0)), (ROOT / "dvc.yaml").read_text())
    for name, stage in yaml.safe_load(text)["stages"].items():
        outs = [next(iter(o)) if isinstance(o, dict) else o
                for key in ("outs", "metrics", "plots") for o in stage.get(key, [])]
        data_deps = [d for d in stage["deps"] if not d.startswith("emergence/")]
        files = stage_files(name, p, {})
        assert sorted(files.outputs) == sorted(outs), name
        assert sorted(files.inputs) == sorted(data_deps), name


def test_bench_sends_back_its_json_and_commands_that_are_no_stage_stay_here(project):
    from emergence.backends import command_files
    p = params_mod.load("params.yaml")
    assert command_files("bench", p, {"json_path": str(project / "out/b.json")}) == StageFiles((), ("out/b.json",))
    assert command_files("bench", p, {}) == StageFiles((), ())
    assert command_files("probe", p, {}) == stage_files("probe", p, {})
    assert stage_files("list-saved", p, {}) is None
    with pytest.raises(BackendError, match="runs only locally"):
        command_files("list-saved", p, {})


# --- dispatch ------------------------------------------------------------------------------

class FakeDocker:
    """Answers `docker version` and `docker image inspect`, records `docker run`."""

    def __init__(self, engine=True, image=True):
        self.engine, self.image, self.runs = engine, image, []

    def __call__(self, cmd, **kwargs):
        if cmd[:2] == ["docker", "version"]:
            return subprocess.CompletedProcess(cmd, 0 if self.engine else 1, "28.2\n", "")
        if cmd[:3] == ["docker", "image", "inspect"]:
            return subprocess.CompletedProcess(cmd, 0 if self.image else 1, "[]", "")
        self.runs.append(cmd)
        return subprocess.CompletedProcess(cmd, 0)


def test_docker_dispatch_runs_the_same_subcommand_in_the_image(project, monkeypatch):
    from emergence.backends import docker
    fake = FakeDocker()
    monkeypatch.setattr(docker.subprocess, "run", fake)
    monkeypatch.setattr(docker, "host_has_gpu", lambda: True)
    set_params(project, backend="docker")
    before = files_in(project)
    result = CliRunner().invoke(main, ["pretrain", "--size", "small"])
    assert result.exit_code == 0, result.output
    ids = f"{os.getuid()}:{os.getgid()}"
    assert fake.runs == [["docker", "run", "--rm", "--pull=never", "--gpus", "all", "--user", ids,
                          "--env", "HOME=/tmp", "--env", f"PYTHONPATH={project}",
                          "--volume", f"{project}:{project}", "--workdir", str(project), "emergence:latest",
                          "--params", "params.yaml", "--backend", "local", "pretrain", "--size", "small"]]
    # --backend on the command line wins over params; no GPU, no --gpus; params by absolute path.
    set_params(project, backend="local")
    monkeypatch.setattr(docker, "host_has_gpu", lambda: False)
    (project / "conf").mkdir()
    shutil.copy(project / "params.yaml", project / "conf" / "p.yaml")
    result = CliRunner().invoke(main, ["--params", str(project / "conf/p.yaml"), "--backend=docker",
                                       "eval", "--freeze", "true", "--samples", "50"])
    assert result.exit_code == 0, result.output
    assert "--gpus" not in fake.runs[1] and fake.runs[1][fake.runs[1].index("emergence:latest"):] == [
        "emergence:latest", "--params", "conf/p.yaml", "--backend", "local", "eval", "--freeze", "true",
        "--samples", "50"]
    assert files_in(project) == sorted(before + ["conf", "conf/p.yaml"])


def test_docker_without_engine_or_image_says_so_in_one_line(project, monkeypatch, tmp_path_factory):
    set_params(project, backend="docker")
    empty = tmp_path_factory.mktemp("bin")
    monkeypatch.setenv("PATH", str(empty))
    result = CliRunner().invoke(main, ["download"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "no `docker` command" in result.output
    from emergence.backends import docker
    for fake, message in ((FakeDocker(engine=False), "no Docker engine is reachable"),
                          (FakeDocker(image=False), "build it with `docker build -t emergence:latest .`")):
        monkeypatch.setattr(docker.subprocess, "run", fake)
        result = CliRunner().invoke(main, ["tokenize"])
        assert result.exit_code == 1 and result.output.count("\n") == 1 and message in result.output
        assert fake.runs == []
    assert files_in(project) == ["params.yaml"]


def test_modal_dispatch_sends_the_stage_with_its_files(project, monkeypatch):
    from emergence.backends import modal_app
    sent = []
    monkeypatch.setattr(modal_app, "run_stage", lambda p, command, args, files: sent.append((command, args, files)) or 0)
    monkeypatch.setenv("MODAL_TOKEN_ID", "ak-test")
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-test")
    result = CliRunner().invoke(main, ["--backend", "modal", "finetune", "--mode", "frozen", "--samples", "50"])
    assert result.exit_code == 0, result.output
    assert sent == [("finetune", ["--params", "params.yaml", "--backend", "local", "finetune", "--mode", "frozen",
                                  "--samples", "50"],
                     StageFiles(inputs=("params.yaml", "models/pretrain/tiny-wiki", "data/raw/qasrl/train.jsonl",
                                        "data/tokens/tokenizer.json"),
                                outputs=("models/finetune/tiny-wiki-freeze-true-50",
                                         "metrics/finetune/tiny-wiki-freeze-true-50.json",
                                         "metrics/finetune/tiny-wiki-freeze-true-50-loss.csv")))]
    result = CliRunner().invoke(main, ["--backend", "modal", "run", "--skip-pretrain", "--skip-finetune"])
    command, args, files = sent[-1]
    assert command == "run" and args[-3:] == ["run", "--skip-pretrain", "--skip-finetune"]
    assert files.inputs == ("params.yaml", "models/pretrain/tiny-wiki")
    assert files.outputs == ("data/raw", "data/tokens")
    result = CliRunner().invoke(main, ["--backend", "modal", "list-saved"])  # not a stage: runs here
    assert result.exit_code == 0 and "no saved models" in result.output and len(sent) == 2


def test_no_modal_token_fails_fast_naming_the_fix(project):
    # "Fast" is checked by what the run did, not by a clock: it stops before importing torch
    # or writing anything.
    set_params(project, backend="modal")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")} | {"HOME": str(project)}
    probe = ("import sys, emergence.cli\n"
             "try:\n    emergence.cli.main(['pretrain'])\n"
             "except SystemExit as e:\n    print('torch' in sys.modules, e.code)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=project, env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "1"], (out.stdout, out.stderr)
    assert out.stderr.count("\n") == 1 and "no Modal token" in out.stderr and "`modal token new`" in out.stderr
    assert files_in(project) == ["params.yaml"]


def test_modal_credentials_from_env_or_the_active_profile(tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith("MODAL_")]:
        monkeypatch.delenv(key)
    config = tmp_path / "modal.toml"
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(config))
    assert modal_credentials() is None
    config.write_text('[old]\ntoken_id = "ak-1"\ntoken_secret = "as-1"\n[work]\nactive = true\ntoken_id = "ak-2"\n')
    assert modal_credentials() is None  # the active profile has no secret
    monkeypatch.setenv("MODAL_PROFILE", "old")
    assert modal_credentials() == str(config)
    monkeypatch.delenv("MODAL_PROFILE")
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-env")  # env completes the active profile, as in Modal
    assert modal_credentials() == str(config)
    config.write_text("not = [toml")
    with pytest.raises(BackendError, match="not valid TOML"):
        modal_credentials()


# --- the Volume sync, with a local folder standing in for the Volume -----------------------

class FakeVolume:
    """The part of modal.Volume the sync uses, on a folder that is also the functions' mount."""

    def __init__(self, root: Path):
        self.root, self.puts, self.commits = root, [], 0

    def listdir(self, path, recursive=False):
        from modal.exception import NotFoundError
        if not (self.root / path).is_dir():
            raise NotFoundError(path)
        return [type("Entry", (), {"path": str(p.relative_to(self.root))}) for p in (self.root / path).rglob("*")]

    @contextlib.contextmanager
    def batch_upload(self, force=False):
        yield self

    def put_file(self, local, remote):
        self.puts.append(remote)
        (self.root / remote).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, self.root / remote)

    def read_file(self, path):
        yield (self.root / path).read_bytes()

    def reload(self):
        pass

    def commit(self):
        self.commits += 1


@pytest.fixture()
def volume(tmp_path_factory, monkeypatch):
    from emergence.backends import modal_app
    vol = FakeVolume(tmp_path_factory.mktemp("volume"))
    monkeypatch.setattr(modal_app, "VOLUME_MOUNT", str(vol.root))
    monkeypatch.setattr(modal_app, "volume_handle", lambda name: vol)
    return vol


class Local:
    """A Function whose .remote() runs the body here, in a scratch directory like the container's."""

    def __init__(self, fn):
        self.fn = fn

    def remote(self, *args):
        return self.fn.local(*args)


def test_modal_stage_round_trip_uploads_only_new_inputs_and_brings_outputs_back(project, volume):
    from emergence.backends import modal_app
    from emergence.data.download import fingerprint
    p = params_mod.load("params.yaml")
    fingerprint(p, project / "data/source.json")   # the stage before download; always runs here
    files = stage_files("download", p, {})
    files = dataclasses.replace(files, inputs=("params.yaml", *files.inputs))
    digests = modal_app.hash_inputs(files.inputs)
    assert sorted(modal_app.upload_missing(volume, digests)) == ["data/source.json", "params.yaml"]
    assert modal_app.upload_missing(volume, digests) == []  # already there: nothing goes up again
    args = ["--params", "params.yaml", "--backend", "local", "download"]
    result = modal_app.call(Local(modal_app.stage), "emergence download", args, digests, list(files.outputs), "v")
    assert volume.commits == 1 and set(result["files"]) == {
        f"data/raw/{c}/{s}.jsonl" for c in ("wiki", "nq", "qasrl", "squad") for s in ("train", "validation")} | {
        "data/raw/manifest.json"}
    modal_app.fetch_outputs(volume, result["files"], files.outputs, project)
    manifest = json.loads((project / "data/raw/manifest.json").read_text())
    assert manifest["source"] == "embedded" and manifest["records"]["qasrl/validation"] > 30
    assert {f for f in files_in(project) if (project / f).is_file()} == {"params.yaml", "data/source.json",
                                                                         *result["files"]}
    # The next stage's input is this one's output: its blobs are in the Volume already.
    tokenize = stage_files("tokenize", p, {})
    assert modal_app.upload_missing(volume, modal_app.hash_inputs(tokenize.inputs)) == []


def test_modal_failures_bring_nothing_back(project, volume, monkeypatch):
    from emergence.backends import modal_app
    (project / "data/raw").mkdir(parents=True)
    (project / "data/raw/manifest.json").write_text("old")
    before = files_in(project)
    digests = modal_app.hash_inputs(("params.yaml",))
    modal_app.upload_missing(volume, digests)
    tail = ["Traceback (most recent call last):", '  File "pretrain.py", line 9', "FloatingPointError: nan at step 3"]
    monkeypatch.setattr(modal_app, "run_cli", lambda args, cwd: (1, tail))
    with pytest.raises(BackendError) as err:
        modal_app.call(Local(modal_app.stage), "emergence download", [], digests, ["data/raw"], "v")
    assert "failed on Modal (exit 1)" in str(err.value) and "FloatingPointError: nan at step 3" in str(err.value)

    class Lost:
        def remote(self, *args):
            raise RuntimeError("container lost")
    with pytest.raises(BackendError, match="RuntimeError: container lost"):
        modal_app.call(Lost(), "emergence download", [])
    # A blob that does not match its hash on the way back: nothing is replaced, nothing is left.
    produced = {"data/raw/manifest.json": digests["params.yaml"], "data/raw/wiki/train.jsonl": "0" * 64}
    (volume.root / modal_app.blob_name("0" * 64)).parent.mkdir(parents=True)
    (volume.root / modal_app.blob_name("0" * 64)).write_text("corrupt")
    with pytest.raises(BackendError, match="does not match its hash"):
        modal_app.fetch_outputs(volume, produced, ("data/raw",), project)
    assert files_in(project) == before and (project / "data/raw/manifest.json").read_text() == "old"


def test_modal_run_script_takes_every_flag_of_emergence_run():
    from emergence.backends.modal_app import script_args
    assert script_args(["--config-name", "tiny", "--freeze-llm"]) == (
        "params.yaml", ["run", "--config-name", "tiny", "--freeze-llm"], True)
    assert script_args(["--params", "p.yaml", "--skip-pretrain", "--finetune-samples", "100"]) == (
        "p.yaml", ["run", "--skip-pretrain", "--finetune-samples", "100"], True)
    assert script_args(["--list-saved"]) == ("params.yaml", ["list-saved"], False)
    with pytest.raises(click.BadParameter):
        script_args(["--config-name", "huge"])
    with pytest.raises(click.NoSuchOption):
        script_args(["--freeze"])
    with pytest.raises(params_mod.ParamsError):
        script_args(["--finetune-samples", "0"])


# --- the real image ------------------------------------------------------------------------

def docker_engine() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                              timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@pytest.mark.docker
@pytest.mark.slow
def test_image_runs_help_and_a_micro_pipeline_with_the_same_metrics_as_local(project):
    """Builds the image (EMERGENCE_DOCKER_BUILD_ARGS='K=V "K2=V with spaces"' adds build args,
    e.g. a base image and pip sources for an offline machine), then runs every stage in it."""
    if not docker_engine():
        pytest.skip("no Docker engine reachable")
    tag = "emergence:test"
    given = dict(kv.partition("=")[::2] for kv in shlex.split(os.environ.get("EMERGENCE_DOCKER_BUILD_ARGS", "")))
    base = given.get("BASE_IMAGE") or re.search(r"^ARG BASE_IMAGE=(\S+)", (ROOT / "Dockerfile").read_text(), re.M)[1]
    if subprocess.run(["docker", "image", "inspect", base], capture_output=True).returncode:
        pytest.skip(f"base image {base} is not on this engine (nothing is ever pulled)")
    build_args = [a for k, v in given.items() for a in ("--build-arg", f"{k}={v}")]
    subprocess.run(["docker", "build", "--network=host", "--pull=false", "-t", tag, *build_args, str(ROOT)],
                   check=True, capture_output=True, env=os.environ | {"DOCKER_BUILDKIT": "0"})
    help_text = subprocess.run(["docker", "run", "--rm", "--pull=never", tag, "--help"], check=True,
                               capture_output=True, text=True).stdout
    assert "Does semantic-role understanding emerge" in help_text and "--backend" in help_text
    set_params(project, docker={"image": tag})
    metrics = {}
    for backend in ("local", "docker"):
        for stage in STAGES:
            result = CliRunner().invoke(main, ["--backend", backend, stage])
            assert result.exit_code == 0, (backend, stage, result.output)
        metrics[backend] = {name: json.loads((project / "metrics" / name).read_text())
                            for name in ("eval.json", "probe.json")}
        shutil.rmtree(project / "data"), shutil.rmtree(project / "models"), shutil.rmtree(project / "metrics")
    timing = {"finetune_seconds", "pretrain_seconds", "eval_peak_rss_mb", "probe_seconds", "peak_rss_mb"}
    for name in ("eval.json", "probe.json"):
        assert {k: v for k, v in metrics["docker"][name].items() if k not in timing} == {
            k: v for k, v in metrics["local"][name].items() if k not in timing}, name
