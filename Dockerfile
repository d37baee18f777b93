# LayerLab server image: the API, the browser UI and the training workers.
#
#   docker build -t layerlab .                          # CPU PyTorch on python:3.11-slim
#   docker build -t layerlab:ray --build-arg EXTRAS=ray .   # plus Ray (LAYERLAB_EXECUTOR=ray)
#
# CUDA: the CUDA wheels of PyTorch bring their own CUDA libraries, so the torch index alone
# selects a GPU build; a CUDA base image is optional and goes with it as a pair:
#
#   docker build -t layerlab:cuda \
#     --build-arg BASE_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 \
#     --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126 .
#
# A base image without Python (nvidia/cuda) gets its distribution's python3 (3.12 on
# Ubuntu 24.04). Everything is installed into the virtual environment /opt/venv.

ARG BASE_IMAGE=python:3.11-slim

# The browser UI, built with Node; only its static/dist output goes into the image.
FROM node:20-slim AS ui
WORKDIR /ui
COPY static/package.json static/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static/ ./
RUN npm run build

FROM ${BASE_IMAGE}

ARG TORCH_SPEC=torch==2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Optional extras of pyproject.toml, comma-separated: "ray" for LAYERLAB_EXECUTOR=ray.
# The PostgreSQL driver (psycopg) is a core dependency and always installed.
ARG EXTRAS=""
# The user the server runs as; its data lives in /data (LAYERLAB_HOME).
ARG UID=10001

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN if ! command -v python3 >/dev/null 2>&1; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3 python3-venv \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /srv/layerlab
RUN pip install --no-cache-dir "${TORCH_SPEC}" --index-url "${TORCH_INDEX}"

COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY templates ./templates
COPY static/style.css ./static/style.css
COPY --from=ui /ui/dist ./static/dist
RUN pip install --no-cache-dir -e ".${EXTRAS:+[${EXTRAS}]}"

# The code stays root-owned (read-only to the server); the user owns only /data, which a
# fresh named volume mounted there copies, ownership included.
RUN useradd --create-home --uid "${UID}" --user-group layerlab \
    && mkdir -p /data/datasets \
    && chown -R layerlab:layerlab /data
VOLUME ["/data"]

# Listening beyond the container needs an access token (LAYERLAB_TOKEN, 16+ characters).
ENV LAYERLAB_HOST=0.0.0.0 \
    LAYERLAB_PORT=8000 \
    LAYERLAB_HOME=/data \
    LAYERLAB_DATA_DIR=/data/datasets
EXPOSE 8000

# /api/v1/health answers without the token. Python's urllib, as slim images have no curl;
# the Host header is one the server accepts (LAYERLAB_ALLOWED_HOSTS, else loopback).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import json, os, urllib.request as u; hosts = [h for h in json.loads(os.environ.get('LAYERLAB_ALLOWED_HOSTS') or '[]') if '*' not in h]; u.urlopen(u.Request('http://127.0.0.1:%s/api/v1/health' % os.environ.get('LAYERLAB_PORT', '8000'), headers={'Host': (hosts or ['127.0.0.1'])[0]}), timeout=4)"]

USER layerlab
CMD ["layerlab", "serve"]
