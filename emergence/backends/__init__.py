"""Where a stage runs: `local` (this process), `docker` (the project's image here) or `modal`
(the same image on a Modal GPU).

The CLI hands a stage to `run_elsewhere` when params or `--backend` pick docker or modal. The
same subcommand then runs with the same flags and `--backend local` inside the container or
the Modal function, and its outputs land in this workspace, where DVC hashes them as if the
stage had run here. dvc.yaml does not change.

Nothing here imports docker or modal code until a stage is sent there, and the training core
never imports this package. Which files a stage reads and writes is emergence.layout's table.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from emergence import layout
from emergence.errors import BackendError
from emergence.layout import StageFiles
from emergence.params import Params


def command_files(command: str, p: Params, flags: dict) -> StageFiles:
    """What `emergence <command>` reads and writes, for the Volume sync: a stage's (or `run`'s) row
    of layout's table, or for `bench` the --json file it was given."""
    if command == "bench":
        return StageFiles((), (str(project_path(flags["json_path"])),) if flags.get("json_path") else ())
    files = layout.stage_files(command, p, flags)
    if files is None:
        raise BackendError(f"`emergence {command}` runs only locally (use --backend local)")
    return files


def project_path(path: str | Path) -> Path:
    """`path` relative to the project root (the working directory), which is all a container or a
    Modal function sees of this machine."""
    full = Path(path).absolute()
    root = Path.cwd().absolute()
    if not full.is_relative_to(root):
        raise BackendError(f"{path}: outside the project ({root}), so the container cannot see it; "
                           "move it into the project or use --backend local")
    return full.relative_to(root)


def local_argv(argv: list[str], params_path: str) -> list[str]:
    """The command line to run elsewhere: the same subcommand and flags, the params file named
    relative to the project root, and `--backend local` so that it runs there and goes no further."""
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--backend", "--params"):
            skip = True
        elif not arg.startswith(("--backend=", "--params=")):
            rest.append(arg)
    return ["--params", str(project_path(params_path)), "--backend", "local", *rest]


def run_elsewhere(p: Params, command: str, flags: dict, argv: list[str], params_path: str) -> int:
    """Run `emergence <argv>` on p.backend; returns the exit code of the stage there."""
    if p.backend == "modal":
        require_modal_token()  # before anything slow or networked
    args = local_argv(argv, params_path)
    if p.backend == "docker":  # the project is mounted: no file list needed
        from emergence.backends.docker import run_in_docker
        return run_in_docker(p.docker.image, args, Path.cwd().absolute())
    if p.backend == "modal":
        files = command_files(command, p, flags)
        files = replace(files, inputs=(str(project_path(params_path)), *files.inputs))
        from emergence.backends.modal_app import run_stage
        return run_stage(p, command, args, files)
    raise BackendError(f"backend {p.backend!r} has no runner")


# --- Modal credentials, checked without importing modal or touching the network --------------

def modal_credentials() -> str | None:
    """Where a Modal token comes from ("env" or the config file), or None. Modal reads each
    setting from MODAL_<KEY> first, then from the active profile of ~/.modal.toml
    (MODAL_CONFIG_PATH, MODAL_PROFILE); a token is token_id + token_secret, or an OAuth
    refresh token."""
    path = Path(os.environ.get("MODAL_CONFIG_PATH") or Path.home() / ".modal.toml")
    profile: dict = {}
    if path.is_file():
        try:
            import tomllib
            config = tomllib.loads(path.read_text())
        except ImportError:  # Python 3.10: modal depends on `toml`
            import toml
            config = toml.loads(path.read_text())
        except ValueError:
            raise BackendError(f"{path}: not valid TOML; fix it or run `modal token new`") from None
        name = os.environ.get("MODAL_PROFILE") or next(
            (k for k, v in config.items() if isinstance(v, dict) and v.get("active") is True), "default")
        profile = config.get(name) if isinstance(config.get(name), dict) else {}

    def setting(key: str) -> tuple[str | None, str]:
        value = os.environ.get(f"MODAL_{key.upper()}")
        return (value, "env") if value else (profile.get(key), str(path))

    (token_id, source), (secret, _) = setting("token_id"), setting("token_secret")
    if token_id and secret:
        return source
    refresh, source = setting("oauth_refresh_token")
    return source if refresh else None


def require_modal_token() -> str:
    source = modal_credentials()
    if source is None:
        raise BackendError("modal backend: no Modal token (MODAL_TOKEN_ID/MODAL_TOKEN_SECRET or ~/.modal.toml); "
                           "run `modal token new`, or use --backend local")
    return source
