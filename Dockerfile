# LayerLab server image. CPU PyTorch by default; for CUDA build with
#   --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126

# The browser UI, built with Node; only its static/dist output goes into the image.
FROM node:20-slim AS ui
WORKDIR /ui
COPY static/package.json static/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static/ ./
RUN npm run build

FROM python:3.11-slim

ARG TORCH_SPEC=torch==2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

WORKDIR /srv/layerlab
RUN pip install --no-cache-dir "${TORCH_SPEC}" --index-url "${TORCH_INDEX}"

COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY templates ./templates
COPY static/style.css ./static/style.css
COPY --from=ui /ui/dist ./static/dist
RUN pip install --no-cache-dir -e .

# Listening beyond the container needs an access token (LAYERLAB_TOKEN).
ENV LAYERLAB_HOST=0.0.0.0
EXPOSE 8000
CMD ["layerlab", "serve"]
