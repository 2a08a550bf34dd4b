# The project's image: the `emergence` CLI with the dependencies pinned in pyproject.toml, for
# the docker and modal backends (emergence/backends/). The defaults build for an NVIDIA GPU
# such as Modal's A10G:
#     docker build -t emergence:latest .
# Build args choose the base, the torch build and where pip finds packages (README, "Where
# stages run", shows a CPU build from a local mirror).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# torch==TORCH_VERSION from TORCH_INDEX_URL. PyPI's Linux x86_64 wheel is the CUDA build (with
# its CUDA libraries; an A10G is sm_86); https://download.pytorch.org/whl/cu126 picks a CUDA
# version, https://download.pytorch.org/whl/cpu a CPU-only image. Keep TORCH_VERSION equal to
# the pin in pyproject.toml.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://pypi.org/simple
# pip's sources for the rest; unset means pip's defaults (PyPI). A mirror, wheels served over
# HTTP, or a CA bundle for a TLS-intercepting proxy go here. Build args reach RUN as env vars.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_CERT

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# torch first: the largest layer, and the one that changes least.
RUN python3 -m venv /opt/venv \
 && pip install --index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION"

# Then the pinned dependencies, read from pyproject.toml, so that a code or README change reuses
# this layer.
WORKDIR /opt/emergence
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --requirement /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# Then the package itself (same pins, nothing left to resolve).
COPY README.md ./
COPY emergence ./emergence
RUN pip install --no-deps . && rm -rf build

# Stages run as an unprivileged user; the docker backend passes the caller's uid with --user so
# that outputs in the mounted workspace belong to the caller.
RUN useradd --create-home --uid 1000 --shell /bin/bash emergence
USER emergence
WORKDIR /project
ENTRYPOINT ["emergence"]
CMD ["--help"]
