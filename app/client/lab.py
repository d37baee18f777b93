"""A Python client for a LayerLab server: submit runs, wait for them, read their metrics
and follow them live.

    from app.client import LayerLab

    lab = LayerLab("http://127.0.0.1:8000")
    run = lab.submit("toy-mlp", {"dataset": {"name": "circle"}, "epochs": 5})
    for message in run.stream():        # the snapshot, then each training event
        print(message["kind"])
    print(run.wait()["test_metrics"])

Errors the server answers (4xx/5xx) raise `LayerLabError` with its message and the
per-layer issues; a server that cannot be reached raises httpx2's `TransportError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2
from pydantic import BaseModel

from app.client.base import API, MAX_MESSAGE_BYTES, LayerLabError, decode_array, jsonable
from app.client.runs import Run
from app.client.sweeps import Sweep

__all__ = ["MAX_MESSAGE_BYTES", "LayerLab", "LayerLabError", "Run", "decode_array"]


class LayerLab:
    """A LayerLab server. `http=` takes an existing httpx2 client (Starlette's TestClient
    is one); its base URL is then the server's. Use as a context manager to close it."""

    def __init__(self, url: str = "http://127.0.0.1:8000", token: str | None = None,
                 timeout: float = 30, *, http: httpx2.Client | None = None) -> None:
        self._owns_http = http is None
        self.http = http if http is not None else httpx2.Client(base_url=url, timeout=timeout)
        self.url = str(self.http.base_url).rstrip("/")
        self.token = token
        self.timeout = timeout

    def __enter__(self) -> LayerLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __repr__(self) -> str:
        return f"LayerLab({self.url!r})"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        """One API call (path under /api/v1); raises LayerLabError on a 4xx/5xx."""
        headers = self.headers | kwargs.pop("headers", {})
        response = self.http.request(method, f"{API}{path}", headers=headers, **kwargs)
        if response.is_error:
            raise LayerLabError.from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "/health")
        return result

    def presets(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", "/presets")
        return result

    def preset(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/presets/{name}")
        return result

    def validate(self, spec: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
        """Shapes, parameters and FLOPs per layer; LayerLabError (422) naming each bad layer."""
        result: dict[str, Any] = self._json("POST", "/specs/validate", json=jsonable(spec))
        return result

    def submit(self, spec: str | Mapping[str, Any] | BaseModel,
               training: Mapping[str, Any] | BaseModel | None = None,
               name: str | None = None,
               init_from: str | Mapping[str, Any] | None = None) -> Run:
        """Queue a run of a spec (dict or NetworkSpec) or of a preset named by a string;
        a preset trains with its own settings, or with `training` laid over them (a spec
        needs `training`). `init_from` (a run id, {"run_id", "epoch"}, or {"import_id"}
        of an imported network) starts it from those weights."""
        model = {"preset": spec} if isinstance(spec, str) else jsonable(spec)
        body: dict[str, Any] = {"model": model}
        if training is not None:
            body["training"] = jsonable(training)
        if name is not None:
            body["name"] = name
        if init_from is not None:
            body["init_from"] = ({"run_id": init_from} if isinstance(init_from, str)
                                 else dict(init_from))
        created = self._json("POST", "/runs", json=body)
        return Run(self, created["id"], created)

    def upload_csv(self, table: str | Path | bytes) -> str:
        """Upload a CSV table (a file's path, or its bytes) and return its upload_id:
        train on it with dataset {"name": "csv", "options": {"upload_id", "target"}}."""
        data = table if isinstance(table, bytes) else Path(table).read_bytes()
        created = self._json("POST", "/datasets/csv/uploads", content=data,
                             headers={"Content-Type": "text/csv"})
        return str(created["upload_id"])

    def upload_images(self, archive: str | Path | bytes) -> dict[str, Any]:
        """Upload a zip of one folder of images per class (a file's path, or its bytes);
        returns {upload_id, classes, images, colour, side}: train on it with dataset
        {"name": "images", "options": {"upload_id"}}."""
        data = archive if isinstance(archive, bytes) else Path(archive).read_bytes()
        name = "images" if isinstance(archive, bytes) else Path(archive).name
        created: dict[str, Any] = self._json("POST", "/datasets/images/uploads", content=data,
                                             params={"name": name},
                                             headers={"Content-Type": "application/zip"})
        return created

    def image_uploads(self) -> dict[str, Any]:
        """The stored image folders ({upload_id, name, classes, images, created_at, ...},
        newest first) under `folders`, and the bytes the uploads use of their quota."""
        result: dict[str, Any] = self._json("GET", "/datasets/images/uploads")
        return result

    def copy_image_folder(self, path: str) -> dict[str, Any]:
        """Name a folder of class folders on the server (under its
        LAYERLAB_IMAGE_FOLDERS_ROOT) as an image dataset: returns as upload_images does."""
        created: dict[str, Any] = self._json("POST", "/datasets/images/folders",
                                             json={"path": path})
        return created

    def import_onnx(self, model: str | Path | bytes, name: str | None = None) -> dict[str, Any]:
        """Import a network from an ONNX file (a path, or its bytes); returns {id, name,
        network, carried, fresh, max_error, ...}: open `network` as a spec, and start a run
        from its weights with init_from={"import_id": id}. LayerLabError 422 names every
        operator no layer expresses."""
        data = model if isinstance(model, bytes) else Path(model).read_bytes()
        params = {"filename": "model.onnx" if isinstance(model, bytes) else Path(model).name}
        if name is not None:
            params["name"] = name
        created: dict[str, Any] = self._json(
            "POST", "/imports/onnx", content=data, params=params,
            headers={"Content-Type": "application/octet-stream"})
        return created

    def imports(self) -> list[dict[str, Any]]:
        """The imported networks, newest first."""
        found: list[dict[str, Any]] = self._json("GET", "/imports")
        return found

    def delete_import(self, import_id: str) -> None:
        """Delete an imported network (runs started from it keep their weights)."""
        self.request("DELETE", f"/imports/{import_id}")

    def uploads(self) -> dict[str, Any]:
        """The uploaded tables ({upload_id, size, created_at}, newest first) under
        `uploads`, and the bytes they use of the server's quota."""
        result: dict[str, Any] = self._json("GET", "/datasets/csv/uploads")
        return result

    def delete_upload(self, upload_id: str) -> None:
        """Delete an uploaded table; LayerLabError 409 names a run that still uses it."""
        self.request("DELETE", f"/datasets/csv/uploads/{upload_id}")

    def runs(self, status: str | Sequence[str] | None = None, limit: int = 50,
             offset: int = 0, *, search: str = "", dataset: str | None = None,
             task: str | None = None, sort: str = "created", order: str | None = None
             ) -> list[dict[str, Any]]:
        """Run summaries (with a status, or any of several), newest first unless `sort`
        names a column (name, status, network, dataset, task, epochs, score, test,
        duration, tags; `order` asc or desc); `search` words are each found in a run's
        name, description, network, dataset or tags. `runs_found` gives the total too."""
        return self.runs_found(status, limit, offset, search=search, dataset=dataset,
                               task=task, sort=sort, order=order)[0]

    def runs_found(self, status: str | Sequence[str] | None = None, limit: int = 50,
                   offset: int = 0, *, search: str = "", dataset: str | None = None,
                   task: str | None = None, sort: str = "created", order: str | None = None
                   ) -> tuple[list[dict[str, Any]], int]:
        """A page of run summaries as `runs` lists them, and how many runs match in all."""
        statuses = [status] if isinstance(status, str) else list(status or [])
        given = {"status": statuses or None, "dataset": dataset, "task": task,
                 "order": order, "q": search or None}
        params: dict[str, Any] = {"limit": limit, "offset": offset, "sort": sort,
                                  **{k: v for k, v in given.items() if v is not None}}
        page = self._json("GET", "/runs", params=params)
        return page["runs"], page["total"]

    def run(self, run_id: str) -> Run:
        """A run by id (fetched, so an unknown id raises LayerLabError 404)."""
        return Run(self, run_id, self._json("GET", f"/runs/{run_id}"))

    def submit_sweep(self, spec: str | Mapping[str, Any] | BaseModel,
                     training: Mapping[str, Any] | BaseModel | None,
                     parameters: Mapping[str, Any], *, method: str = "grid",
                     trials: int | None = None, seed: int = 0, metric: str = "val_loss",
                     mode: str = "auto", name: str | None = None,
                     early_stopping: str = "none", repeats: int = 1) -> Sweep:
        """Queue a run per trial of a spec (or a preset named by a string) and training
        settings (None: a preset's own), each with `parameters` set to values tried:
        {path: [values]} for a grid, or also {path: {"low", "high", "log", "integer"}} for
        a search of `trials` configurations: `method` random, tpe or cmaes (these two ask
        for each next one as trials end). `early_stopping` (median, hyperband) stops
        trials that lag; `repeats` trains each configuration with that many seeds. Paths:
        layers.<id>.<field>, input.<field>, else a training setting (optimizer.lr,
        batch_size...). Trials are ranked by `metric`."""
        tried = {path: jsonable(values) for path, values in parameters.items()}
        sweep: dict[str, Any] = {"method": method, "parameters": tried, "seed": seed,
                                 "metric": metric, "mode": mode,
                                 "early_stopping": early_stopping, "repeats": repeats}
        if trials is not None:
            sweep["trials"] = trials
        body: dict[str, Any] = {"model": {"preset": spec} if isinstance(spec, str)
                                else jsonable(spec), "sweep": sweep}
        if training is not None:
            body["training"] = jsonable(training)
        if name is not None:
            body["name"] = name
        created = self._json("POST", "/sweeps", json=body)
        return Sweep(self, created["id"], created)

    def sweeps(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Sweep summaries, newest first: status, counts by status, best run and score."""
        found: list[dict[str, Any]] = self._json(
            "GET", "/sweeps", params={"limit": limit, "offset": offset})["sweeps"]
        return found

    def sweep(self, sweep_id: str) -> Sweep:
        """A sweep by id (fetched, so an unknown id raises LayerLabError 404)."""
        return Sweep(self, sweep_id, self._json("GET", f"/sweeps/{sweep_id}"))
