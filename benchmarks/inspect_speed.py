"""How long does each inspect view take to answer through the REST API, the first time and
when it is asked again? And how soon is generated text on screen?

Three runs are trained through a real server first: the Keras CNN preset on mnist-10k
(one epoch), the character transformer on chars (one epoch) and the toy MLP on xor.
Then every view each run lists (GET /runs/{id}/inspect) is asked for with its usual
parameters, as the Inspect tab asks:
  - first load: with the server's inspection caches emptied before it (the run's
    network rebuilt from its checkpoint, its dataset read, nothing kept), so each view
    pays all of it. Target on the Keras CNN after one epoch: < 500 ms;
  - revisit: the same request again (the answer kept with the weights). The browser
    keeps answers too, so there a revisit costs no request at all.
Baseline, in the same run: GET /runs/{id} (the smallest round trip through the same
server and client).

Generate: the character transformer writing 200 characters at temperature 0.8, timed from
the request to the 200th character received: streamed (POST /inspect/generate/stream,
what the Generate view reads, target < 1 s) beside the whole text in one answer (POST
/inspect/generate, the baseline: what the view waited for before it streamed).

Each figure is the median of REPEATS rounds.

    cd benchmarks && python inspect_speed.py
"""

from __future__ import annotations

import base64
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import torch
from PIL import Image

from common import server, use_local_mnist

REPEATS = 5
FIRST_LOAD_TARGET_MS = 500.0
GENERATE_TARGET_MS = 1000.0
CHARACTERS = 200
RUNS: dict[str, dict[str, Any]] = {
    "mnist-keras-cnn": {"model": {"preset": "mnist-keras-cnn"}, "training": {
        "dataset": {"name": "mnist-10k"}, "epochs": 1, "device": "cpu"}},
    "char-transformer": {"model": {"preset": "char-transformer"}, "training": {
        "dataset": {"name": "chars", "options": {"seq_len": 64, "stride": 16}}, "epochs": 1,
        "device": "cpu"}},
    "toy-mlp (xor)": {"model": {"preset": "toy-mlp"}, "training": {
        "dataset": {"name": "xor"}, "epochs": 20, "device": "cpu"}},
}


def blank_png() -> str:
    image = Image.new("L", (28, 28))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def layer_ids(spec: dict[str, Any]) -> list[str]:
    return [layer["id"] for layer in spec["layers"]]


def requests_for(view: dict[str, Any], spec: dict[str, Any], maps_layer: str | None
                 ) -> dict[str, Any] | None:
    """The request the Inspect tab makes for a view (None: a view it does not ask alone)."""
    name = view["name"]
    ids = layer_ids(spec)
    if view["method"] == "POST":
        bodies: dict[str, dict[str, Any] | None] = {
            "activations": {"sample": 0, "max_channels": 32},
            "activations/channel": {"sample": 0, "layer": maps_layer, "channel": 0}
            if maps_layer else None,
            "attention": {"sample": 0}, "saliency": {"sample": 0}, "predict": {"sample": 0},
            "draw": {"png": blank_png()}, "step": {},
            "generate": {"prompt": "to be", "length": 50},
            "latent/interpolate": None, "translate": {"examples": 8},
        }
        body = bodies.get(name, {})
        return None if body is None else {"json": body}
    queries: dict[str, dict[str, Any]] = {
        "embedding": {"layer": ids[max(0, len(ids) - 2)], "samples": 500},
        "confusion/cell": {"label": 0, "predicted": 0},
        "sample": {"index": 0}, "filters": {"max_filters": 32},
    }
    return {"params": queries.get(name, {})}


def timed_ms(call: Callable[[], httpx2.Response]) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.text[:300]
    return elapsed


def streamed_ms(http: httpx2.Client, run_id: str, body: dict[str, Any]) -> float:
    """Milliseconds from the request to the CHARACTERS-th streamed character."""
    start = time.perf_counter()
    received = 0
    with http.stream("POST", f"/api/v1/runs/{run_id}/inspect/generate/stream",
                     json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line and "text" in (message := json.loads(line)):
                received += len(message["text"])
                if received >= CHARACTERS:
                    return (time.perf_counter() - start) * 1000
    raise AssertionError(f"only {received} characters were streamed")


def main() -> None:
    use_local_mnist()
    home = Path(tempfile.mkdtemp(prefix="layerlab-inspect-bench-"))
    rows: list[tuple[str, str, float, float]] = []
    floors: dict[str, float] = {}
    generate: tuple[float, float] | None = None
    with server(home) as (address, app), httpx2.Client(
            base_url=f"http://{address}", timeout=600) as http:
        ids = {}
        for name, body in RUNS.items():
            created = http.post("/api/v1/runs", json={"name": name, **body})
            assert created.status_code == 201, created.text
            ids[name] = created.json()["id"]
        for name, run_id in ids.items():
            deadline = time.monotonic() + 900
            while (status := http.get(f"/api/v1/runs/{run_id}").json()["status"]) not in (
                    "completed", "failed", "diverged"):
                assert time.monotonic() < deadline, f"{name} did not finish"
                time.sleep(0.5)
            assert status == "completed", f"{name}: {status}"
        for name, run_id in ids.items():
            run = http.get(f"/api/v1/runs/{run_id}").json()
            spec = run["spec"]
            views = http.get(f"/api/v1/runs/{run_id}/inspect").json()["views"]
            activations = http.post(f"/api/v1/runs/{run_id}/inspect/activations",
                                    json={"sample": 0, "max_channels": 1})
            maps = (next((a["id"] for a in activations.json()["layers"] if a["kind"] == "maps"),
                         None) if activations.status_code == 200 else None)
            floors[name] = statistics.median(
                timed_ms(lambda r=run_id: http.get(f"/api/v1/runs/{r}")) for _ in range(REPEATS))
            for view in views:
                request = requests_for(view, spec, maps)
                if request is None:
                    continue
                url = f"/api/v1/runs/{run_id}/inspect/{view['name']}"

                def call(url: str = url, request: dict[str, Any] = request,
                         method: str = view["method"]) -> httpx2.Response:
                    return http.request(method, url, **request)

                first, again = [], []
                for _ in range(REPEATS):
                    app.state.subjects.clear()  # the cold path: nothing kept
                    first.append(timed_ms(call))
                    again.append(timed_ms(call))
                rows.append((name, view["name"], statistics.median(first),
                             statistics.median(again)))
        body = {"prompt": "to be, or not to be", "length": CHARACTERS, "temperature": 0.8}
        transformer = ids["char-transformer"]
        streamed_ms(http, transformer, body)  # warm-up
        streamed = [streamed_ms(http, transformer, body | {"seed": s}) for s in range(REPEATS)]
        whole = [timed_ms(lambda s=s: http.post(
            f"/api/v1/runs/{transformer}/inspect/generate", json=body | {"seed": 100 + s}))
            for s in range(REPEATS)]
        generate = (statistics.median(streamed), statistics.median(whole))

    load = os.getloadavg()[0]
    print(f"inspect views through the REST API on CPU, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} cores (load {load:.1f}); "
          f"median of {REPEATS}")
    print(f"{'run':<18} {'view':<20} {'first load':>11} {'revisit':>9} {'target':>9} verdict")
    for run, view, first, again in rows:
        target = run == "mnist-keras-cnn"
        verdict = ("ok" if first < FIRST_LOAD_TARGET_MS else "MISS") if target else ""
        print(f"{run:<18} {view:<20} {first:8.1f} ms {again:6.1f} ms "
              f"{'< 500 ms' if target else '':>9} {verdict}")
    for run, floor in floors.items():
        print(f"baseline {run:<18} GET /runs/{{id}}: {floor:.1f} ms")
    assert generate is not None
    streamed, whole = generate
    print(f"generate {CHARACTERS} characters (char-transformer): streamed, the "
          f"{CHARACTERS}th on screen after {streamed:.0f} ms (target < "
          f"{GENERATE_TARGET_MS:.0f} ms: {'ok' if streamed < GENERATE_TARGET_MS else 'MISS'}); "
          f"baseline, the whole text in one answer: {whole:.0f} ms")


if __name__ == "__main__":
    main()
