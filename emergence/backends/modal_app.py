"""The Modal App: any stage, or the study script's whole chain, in the project's image on a Modal GPU.

Both ways in run the very `emergence` subcommands, with `--backend local`, in the image that
modal.Image.from_dockerfile builds from the project's Dockerfile (build context: the project
directory, narrowed by the Dockerfile's COPY lines and .dockerignore):

- The DVC way (`backend: modal` in params.yaml, or `emergence --backend modal <stage>`): the CLI
  calls `run_stage`. The stage's inputs go up to the Volume as content-addressed blobs
  (blobs/<sha256[:2]>/<sha256>), only those not there yet; the function `stage` rebuilds the
  stage's files in a scratch directory, runs the subcommand and stores its outputs as blobs.
  They come back here, are checked against their hashes, and replace the local outputs only
  once all have arrived; a remote failure brings nothing back. DVC then hashes the outputs as
  if the stage had run here. Outputs of one Modal stage are already blobs when the next needs
  them, so nothing goes up twice.
- The study script's way:
      modal run emergence/backends/modal_app.py --config-name tiny --freeze-llm
  runs `emergence run` with those flags (every flag of `emergence run`, and `--params FILE`) in
  a project directory kept on the Volume (workspace/), so models stay saved there and
  `--skip-pretrain` reuses them; `--list-saved` lists them.

GPU type, per-stage timeouts and the Volume's name come from params.yaml (`modal:`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections import deque
from pathlib import Path, PurePosixPath

import modal
from modal.exception import Error as ModalError
from modal.exception import NotFoundError
from rich.console import Console

from emergence import params as params_mod
from emergence.errors import BackendError
from emergence.files import sha256_file
from emergence.layout import StageFiles
from emergence.run_flags import check_chain_args

VOLUME_MOUNT = "/vol"    # where the functions see the Volume
BLOBS = "blobs"          # the DVC way: content-addressed files
WORKSPACE = "workspace"  # the study script's way: a project directory (data/, models/, metrics/)
TAIL_LINES = 15          # of a failed remote stage's log, shown here
BASE_TIMEOUT = 300       # a function's own; each call sets the stage's timeout from params
CPU_STAGES = ("fingerprint", "download", "tokenize")  # no model to train or score: no GPU worth paying for

console = Console(stderr=True)


def project_root() -> Path:
    """The directory holding the Dockerfile: where `modal run` and DVC run, else this checkout."""
    here = Path.cwd()
    return here if (here / "Dockerfile").is_file() else Path(__file__).resolve().parents[2]


def project_image(context_dir: Path) -> modal.Image:
    """The project's Dockerfile, built by Modal with `context_dir` as its build context.

    Modal starts its own runtime through the image's ENTRYPOINT, so the `emergence` entrypoint is
    cleared, and its functions run as root inside Modal's gVisor sandbox (the image's non-root
    user is for `docker run` on a shared machine)."""
    context_dir = Path(context_dir).absolute()
    return (modal.Image.from_dockerfile(context_dir / "Dockerfile", context_dir=context_dir)
            .dockerfile_commands("USER root", "ENTRYPOINT []"))


app = modal.App("emergence")
image = project_image(project_root())


# --- in the container ----------------------------------------------------------------------

def blob_name(digest: str) -> str:
    return f"{BLOBS}/{digest[:2]}/{digest}"


def files_under(path: Path) -> list[Path]:
    return sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]


def volume_handle(name: str) -> modal.Volume:
    return modal.Volume.from_name(name, create_if_missing=True)


def run_cli(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    """`emergence <args>` in cwd; its log streams on, and its last lines come back."""
    proc = subprocess.Popen([sys.executable, "-m", "emergence.cli", *args], cwd=cwd,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    for line in proc.stderr:
        sys.stderr.write(line)
        tail.append(line.rstrip("\n"))
    return proc.wait(), list(tail)


@app.function(image=image, timeout=BASE_TIMEOUT)
def stage(args: list[str], files: dict[str, str], outputs: list[str], volume_name: str) -> dict:
    """One stage: inputs from their blobs into a scratch project, the subcommand, outputs into
    blobs. Returns {"returncode", "tail"} on failure, {"returncode": 0, "files": {path: sha256}}."""
    vol = volume_handle(volume_name)
    vol.reload()  # blobs uploaded since this container started
    root = Path(VOLUME_MOUNT)
    with tempfile.TemporaryDirectory(prefix="emergence-") as scratch:
        work = Path(scratch)
        for rel, digest in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / blob_name(digest), work / rel)
        returncode, tail = run_cli(args, work)
        if returncode:
            return {"returncode": returncode, "tail": tail}
        missing = [out for out in outputs if not (work / out).exists()]
        if missing:
            return {"returncode": 1, "tail": [f"the stage exited 0 but did not write {missing[0]}"]}
        produced = {}
        for out in outputs:
            for path in files_under(work / out):
                digest = produced[path.relative_to(work).as_posix()] = sha256_file(path)
                blob = root / blob_name(digest)
                if not blob.exists():  # same name, same content: a concurrent writer is harmless
                    blob.parent.mkdir(parents=True, exist_ok=True)
                    tmp = blob.with_name(f"{blob.name}.{uuid.uuid4().hex}.tmp")
                    shutil.copyfile(path, tmp)
                    os.replace(tmp, blob)
    vol.commit()  # before returning: the caller reads these blobs next
    return {"returncode": 0, "files": produced}


@app.function(image=image, timeout=BASE_TIMEOUT)
def chain(args: list[str], params_text: str, volume_name: str) -> dict:
    """The study script's way: `emergence <args>` in the Volume's workspace, which keeps data,
    models and resume checkpoints between runs. Returns {"returncode", "tail"}."""
    vol = volume_handle(volume_name)
    vol.reload()
    workspace = Path(VOLUME_MOUNT) / WORKSPACE
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "params.yaml").write_text(params_text)
    returncode, tail = run_cli(args, workspace)
    vol.commit()
    return {"returncode": returncode, "tail": tail}


# --- here: the DVC way ---------------------------------------------------------------------

def stage_function(p: params_mod.Params, command: str) -> modal.Function:
    """`stage` with this command's GPU (none for the CPU stages), timeout and the Volume from params."""
    return stage.with_options(gpu=None if command in CPU_STAGES else p.modal.gpu,
                              timeout=getattr(p.modal.timeouts, command),
                              volumes={VOLUME_MOUNT: volume_handle(p.modal.volume)})


def hash_inputs(paths: tuple[str, ...]) -> dict[str, str]:
    digests = {}
    for path in map(Path, paths):
        if not path.exists():
            raise BackendError(f"{path}: not found, but the stage reads it (run the stage that writes it first)")
        for file in files_under(path):
            digests[file.as_posix()] = sha256_file(file)
    return digests


def upload_missing(vol, digests: dict[str, str]) -> list[str]:
    """Put the files whose content the Volume does not hold yet; returns their paths."""
    try:
        present = {PurePosixPath(entry.path).name for entry in vol.listdir(BLOBS, recursive=True)}
    except NotFoundError:
        present = set()
    missing = {digest: rel for rel, digest in digests.items() if digest not in present}
    if missing:
        with vol.batch_upload(force=True) as batch:
            for digest, rel in missing.items():
                batch.put_file(rel, blob_name(digest))
    return sorted(missing.values())


def fetch_outputs(vol, produced: dict[str, str], outputs: tuple[str, ...], root: Path) -> None:
    """Download every produced file beside the workspace and check its hash; only then replace
    each output, so a failure on the way leaves the old outputs (or none), never a mix."""
    staging = root / f".modal-outputs.tmp-{os.getpid()}"
    try:
        for rel, digest in produced.items():
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(dest, "wb") as f:
                for chunk in vol.read_file(blob_name(digest)):
                    f.write(chunk)
            if sha256_file(dest) != digest:
                raise BackendError(f"{rel}: the copy from the Volume does not match its hash; no output was replaced")
        for out in outputs:
            staged, target = staging / out, root / out
            if not staged.exists():  # an output directory the stage left empty
                staged.mkdir(parents=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            os.replace(staged, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remote_failure(what: str, returncode: int | None, tail: list[str]) -> BackendError:
    lines = "\n".join(f"  | {line}" for line in tail)
    status = f"exit {returncode}" if returncode is not None else "raised"
    return BackendError(f"modal: `{what}` failed on Modal ({status}); no output came back. Its last lines:\n{lines}")


def call(fn: modal.Function, what: str, *args) -> dict:
    """fn.remote(*args) -> its result dict; every failure becomes a BackendError with the
    remote traceback's last lines."""
    try:
        result = fn.remote(*args)
    except Exception as err:  # the function's own exception, a timeout, a lost container ...
        tail = "".join(traceback.format_exception(err)).rstrip().splitlines()[-TAIL_LINES:]
        raise remote_failure(what, None, tail) from None
    if result["returncode"]:
        raise remote_failure(what, result["returncode"], result["tail"])
    return result


def run_stage(p: params_mod.Params, command: str, args: list[str], files: StageFiles) -> int:
    """The DVC way, for one stage: sync inputs up, run, sync outputs back. Returns 0 or raises."""
    digests = hash_inputs(files.inputs)
    vol = volume_handle(p.modal.volume)
    fn = stage_function(p, command)
    console.print(f"modal: starting app {app.name!r} (the image builds on first use) for `emergence {command}`",
                  highlight=False)
    try:
        with modal.enable_output(), app.run():
            sent = upload_missing(vol, digests)
            console.print(f"modal: {len(sent)} of {len(digests)} input files uploaded to Volume {p.modal.volume!r}",
                          highlight=False)
            result = call(fn, f"emergence {command}", args, digests, list(files.outputs), p.modal.volume)
            fetch_outputs(vol, result["files"], files.outputs, Path.cwd())
    except ModalError as err:  # the app, the image build or the Volume, before or after the stage
        raise BackendError(f"modal: {type(err).__name__}: {err}") from None
    console.print(f"modal: {len(result['files'])} output files back in {', '.join(files.outputs)}", highlight=False)
    return 0


# --- here: the study script's way ----------------------------------------------------------

def script_args(argv: list[str]) -> tuple[str, list[str], bool]:
    """`modal run` arguments -> (params file, the `emergence` subcommand and its flags, GPU
    wanted). Checks the flags with `emergence run`'s own parser."""
    argv = list(argv)
    params_path = "params.yaml"
    if "--params" in argv:
        i = argv.index("--params")
        params_path = argv[i + 1] if i + 1 < len(argv) else ""
        del argv[i:i + 2]
    if argv == ["--list-saved"]:
        return params_path, ["list-saved"], False
    check_chain_args(argv)
    return params_path, ["run", *argv], True


@app.local_entrypoint()
def main(*argv: str) -> None:
    """modal run emergence/backends/modal_app.py [--params FILE] [flags of `emergence run`] | --list-saved"""
    import click
    try:
        params_path, command, gpu = script_args(list(argv))
        p = params_mod.load(params_path)
    except (click.ClickException, params_mod.ParamsError) as err:
        console.print(f"[red]error:[/] {err.format_message() if isinstance(err, click.ClickException) else err}",
                      highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    fn = chain.with_options(gpu=p.modal.gpu if gpu else None,
                            timeout=p.modal.timeouts.run if gpu else BASE_TIMEOUT,
                            volumes={VOLUME_MOUNT: volume_handle(p.modal.volume)})
    args = ["--params", "params.yaml", "--backend", "local", *command]  # params.yaml: the copy in the workspace
    try:
        call(fn, "emergence " + " ".join(command), args, Path(params_path).read_text(), p.modal.volume)
    except BackendError as err:
        console.print(f"[red]error:[/] {err}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    if gpu:
        console.print(f"models stay in Volume {p.modal.volume!r} under {WORKSPACE}/models/; list them with "
                      "`modal run emergence/backends/modal_app.py --list-saved`", highlight=False)
