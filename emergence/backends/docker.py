"""The docker backend: the same subcommand in the project's image, on this machine.

The project directory is mounted at its own path and is the working directory, so every
relative and absolute path inside it means the same in the container, and outputs land in the
workspace owned by the caller (`--user`). The workspace's `emergence/` comes first on
PYTHONPATH, so the code that runs is the code DVC hashed as the stage's dependency; the image
supplies Python, torch and the pinned dependencies (rebuild it when pyproject.toml changes).
The image is never pulled: build it with `docker build -t <docker.image> .`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from emergence.errors import BackendError

ENGINE_TIMEOUT_S = 10


def host_has_gpu() -> bool:
    """An NVIDIA GPU the engine can hand to a container (driver device and tools present)."""
    return Path("/dev/nvidiactl").exists() and shutil.which("nvidia-smi") is not None


def docker_command(image: str, args: list[str], project: Path, gpu: bool, user: str) -> list[str]:
    """`docker run` for `emergence <args>` in `image`, with `project` mounted as the workspace."""
    return ["docker", "run", "--rm", "--pull=never", *(["--gpus", "all"] if gpu else []),
            "--user", user, "--env", "HOME=/tmp", "--env", f"PYTHONPATH={project}",
            "--volume", f"{project}:{project}", "--workdir", str(project), image, *args]


def _docker(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S)
    except FileNotFoundError:
        raise BackendError("docker backend: no `docker` command on this machine; install Docker, "
                           "or use --backend local") from None
    except subprocess.TimeoutExpired:
        raise BackendError(f"docker backend: the Docker engine did not answer within {ENGINE_TIMEOUT_S} s; "
                           "check `docker info`, or use --backend local") from None


def check_engine(image: str) -> None:
    """Fail in one line unless an engine answers and holds `image`."""
    version = _docker("version", "--format", "{{.Server.Version}}")
    if version.returncode != 0:
        raise BackendError("docker backend: no Docker engine is reachable (start the Docker daemon; "
                           "`docker info` says why), or use --backend local")
    if _docker("image", "inspect", image).returncode != 0:
        raise BackendError(f"docker backend: no image {image} here (it is never pulled); "
                           f"build it with `docker build -t {image} .`")


def run_in_docker(image: str, args: list[str], project: Path) -> int:
    check_engine(image)
    user = f"{os.getuid()}:{os.getgid()}"
    return subprocess.run(docker_command(image, args, project, host_has_gpu(), user)).returncode
