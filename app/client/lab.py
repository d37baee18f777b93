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

import base64
import json
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
from pydantic import BaseModel

from app.client.sweeps import Sweep
from app.client.wait import wait_until
from app.spec.events import FINAL_STATUSES

API = "/api/v1"
RESTING_STATUSES = FINAL_STATUSES | {"paused", "interrupted"}
"""Statuses a run stays in until someone acts: `Run.wait` returns on these."""
WS_CLOSE_STATUS = {4401: 401, 4403: 403, 4404: 404}
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a snapshot holds every metric so far


def decode_array(array: Mapping[str, Any]) -> np.ndarray:
    """An array from an answer (`{"shape", "dtype", "data"}`) as a numpy array."""
    raw = base64.b64decode(array["data"])
    dtype = np.dtype(array["dtype"]).newbyteorder("<")
    return np.frombuffer(raw, dtype=dtype).reshape(array["shape"])


class LayerLabError(Exception):
    """The server refused a request: its HTTP status, message and per-field issues."""

    def __init__(self, status: int, detail: str,
                 errors: list[dict[str, Any]] | None = None) -> None:
        self.status, self.detail, self.errors = status, detail, list(errors or [])
        lines = [f"{status}: {detail}"]
        for issue in self.errors:
            where = issue.get("layer_id") or issue.get("field")
            lines.append(f"  {where}: {issue.get('message')}" if where
                         else f"  {issue.get('message')}")
        super().__init__("\n".join(lines))

    @classmethod
    def from_response(cls, response: httpx2.Response) -> LayerLabError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "detail" in body:
            detail = body["detail"]
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            return cls(response.status_code, detail if isinstance(detail, str)
                       else json.dumps(detail), errors)
        text = response.text.strip() or response.reason_phrase
        return cls(response.status_code, text[:500])


def _jsonable(value: Any) -> Any:
    """A pydantic model (NetworkSpec, TrainingSpec) as JSON data; anything else as is."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


METRIC_PAGE_STEPS = 100_000  # steps asked for at a time at full resolution


def _extend(columns: dict[str, list[Any]], page: dict[str, list[Any]]) -> None:
    """Put a later page's columns after `columns`' (a name one of them lacks is None
    there)."""
    rows = len(columns.get("step", []))
    for name, column in page.items():
        columns.setdefault(name, [None] * rows).extend(column)
    for name in columns.keys() - page.keys():
        columns[name].extend([None] * len(page.get("step", [])))


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
        result: dict[str, Any] = self._json("POST", "/specs/validate", json=_jsonable(spec))
        return result

    def submit(self, spec: str | Mapping[str, Any] | BaseModel,
               training: Mapping[str, Any] | BaseModel | None = None,
               name: str | None = None,
               init_from: str | Mapping[str, Any] | None = None) -> Run:
        """Queue a run of a spec (dict or NetworkSpec) or of a preset named by a string;
        a preset trains with its own settings, or with `training` laid over them (a spec
        needs `training`). `init_from` (a run id, {"run_id", "epoch"}, or {"import_id"}
        of an imported network) starts it from those weights."""
        model = {"preset": spec} if isinstance(spec, str) else _jsonable(spec)
        body: dict[str, Any] = {"model": model}
        if training is not None:
            body["training"] = _jsonable(training)
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
        tried = {path: _jsonable(values) for path, values in parameters.items()}
        sweep: dict[str, Any] = {"method": method, "parameters": tried, "seed": seed,
                                 "metric": metric, "mode": mode,
                                 "early_stopping": early_stopping, "repeats": repeats}
        if trials is not None:
            sweep["trials"] = trials
        body: dict[str, Any] = {"model": {"preset": spec} if isinstance(spec, str)
                                else _jsonable(spec), "sweep": sweep}
        if training is not None:
            body["training"] = _jsonable(training)
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


class Run:
    """One run on the server. `data` is the last answer about it (see `info()`)."""

    def __init__(self, lab: LayerLab, run_id: str, data: dict[str, Any] | None = None) -> None:
        self.lab, self.id, self.data = lab, run_id, data or {}
        self._views: dict[str, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"Run({self.id!r}, status={self.data.get('status')!r})"

    def info(self) -> dict[str, Any]:
        """The run now: spec, training config, status, timings, metrics, error."""
        self.data = self.lab._json("GET", f"/runs/{self.id}")
        return self.data

    @property
    def status(self) -> str:
        status: str = self.info()["status"]
        return status

    def wait(self, timeout: float | None = None, poll: float = 0.5) -> dict[str, Any]:
        """Poll until the run is over, paused or interrupted; return its info."""
        return wait_until(self.info, lambda info: info["status"] in RESTING_STATUSES, timeout,
                          poll, lambda info: f"run {self.id} is still {info['status']}")

    def metrics(self, names: str | list[str] | None = None, since_step: int | None = None,
                until_step: int | None = None, points: int = 0) -> dict[str, list[Any]]:
        """Columns: {"step": [...], "epoch": [...], name: [...]} for the steps after
        since_step, up to until_step. Every row by default, asked for METRIC_PAGE_STEPS
        steps at a time; with `points`, at most that many values a metric (each one's
        lowest and highest of every stretch of steps), as a chart draws a long run."""
        params: dict[str, Any] = {"points": points}
        if names:
            params["names"] = names if isinstance(names, str) else ",".join(names)
        if points:
            return self._metrics_page(params, since_step, until_step)[0]
        columns: dict[str, list[Any]] = {}
        after = -1 if since_step is None else since_step
        while True:
            end = after + METRIC_PAGE_STEPS
            end = end if until_step is None else min(end, until_step)
            page, last = self._metrics_page(params, after, end)
            _extend(columns, page)
            after = end
            if last is None or after >= last or (until_step is not None and after >= until_step):
                return columns

    def _metrics_page(self, params: dict[str, Any], since_step: int | None,
                      until_step: int | None) -> tuple[dict[str, list[Any]], int | None]:
        """One answer of the metrics endpoint, and the run's last stored step."""
        bounds = {"since_step": since_step, "until_step": until_step}
        response = self.lab.request("GET", f"/runs/{self.id}/metrics", params={
            **params, **{k: v for k, v in bounds.items() if v is not None}})
        last = response.headers.get("X-Last-Step")
        return response.json(), None if last is None else int(last)

    def views(self) -> list[dict[str, Any]]:
        """The inspect views that apply to this run: name, title, description, method,
        path and the JSON schema of its parameters."""
        views: list[dict[str, Any]] = self.lab._json("GET", f"/runs/{self.id}/inspect")["views"]
        return views

    def inspect(self, view: str, **options: Any) -> Any:
        """A look inside (see docs/inspection.md), e.g. `inspect("boundary", resolution=50)`
        or `inspect("activations", sample=0)`; `views()` lists the ones that apply and
        their options. Arrays in the answer decode with `decode_array`."""
        if self._views is None:  # a run's network and task, so its views, never change
            self._views = {entry["name"]: entry for entry in self.views()}
        listed = self._views
        if view not in listed:
            raise LayerLabError(404, f"no view {view!r} applies to run {self.id}; views: "
                                     f"{', '.join(listed) or 'none'}")
        entry = listed[view]
        if entry["method"] == "POST":
            return self.lab._json("POST", entry["path"], json=_jsonable(options))
        return self.lab._json("GET", entry["path"], params=options)

    def samples(self, step: int | None = None, real: bool = False) -> dict[str, Any]:
        """A GAN's sample grid from its fixed noise (default: the latest step), arrays
        decoded: {"steps", "step", "epoch", "samples", "real" (None unless asked)}."""
        options: dict[str, Any] = {"real": real} | ({} if step is None else {"step": step})
        grid: dict[str, Any] = self.inspect("samples", **options)
        grid["samples"] = decode_array(grid["samples"])
        grid["real"] = decode_array(grid["real"]) if grid.get("real") else None
        return grid

    def stream(self) -> Iterator[dict[str, Any]]:
        """Follow the run live: the snapshot {"kind": "snapshot", "run", "metrics":
        {"steps", "epochs"}} (its step rows and epoch rows so far, as columns), then each
        event as the server sends it; ends after the final event (at once, after the
        snapshot, when the run is already over)."""
        path = f"{API}/runs/{self.id}/stream"
        connect = getattr(self.lab.http, "websocket_connect", None)
        messages = (_test_stream(connect, path, self.lab.headers) if connect is not None
                    else self._ws_stream(path))
        try:
            for message in messages:
                if message.get("kind") == "snapshot":
                    self.data = message.get("run", self.data)
                yield message
                if message.get("kind") == "finished":
                    return
        finally:
            messages.close()

    def _ws_stream(self, path: str) -> Generator[dict[str, Any], None, None]:
        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        url = re.sub(r"^http", "ws", self.lab.url) + path
        try:
            socket = connect(url, additional_headers=self.lab.headers,
                             max_size=MAX_MESSAGE_BYTES, open_timeout=self.lab.timeout)
        except InvalidStatus as exc:
            self.info()  # raises the server's own answer (404, 401) where there is one
            raise LayerLabError(exc.response.status_code,
                                "the server refused the stream") from None
        with socket:
            try:
                while True:
                    yield json.loads(socket.recv())
            except ConnectionClosed as exc:
                if exc.rcvd is None:
                    raise
                if exc.rcvd.code in WS_CLOSE_STATUS:
                    raise LayerLabError(WS_CLOSE_STATUS[exc.rcvd.code],
                                        exc.rcvd.reason or "refused") from None
                if exc.rcvd.code not in (1000, 1001):
                    raise

    def _post(self, action: str) -> dict[str, Any]:
        self.data = self.lab._json("POST", f"/runs/{self.id}/{action}")
        return self.data

    def stop(self) -> dict[str, Any]:
        """Stop a queued, running or paused run."""
        return self._post("stop")

    def pause(self) -> dict[str, Any]:
        """Pause a running run (its weights are kept in a checkpoint)."""
        return self._post("pause")

    def resume(self) -> dict[str, Any]:
        """Resume a paused or interrupted run from its last checkpoint, or one that failed
        because of the disk or its worker (see its `failure`)."""
        return self._post("resume")

    def continue_with(self, spec: str | Mapping[str, Any] | BaseModel | None = None,
                      training: Mapping[str, Any] | BaseModel | None = None,
                      name: str | None = None) -> Run:
        """A new run going on from this paused or ended one after an edit of its network
        or training settings (what is None stays as it was); see its `origin`."""
        body: dict[str, Any] = {}
        if spec is not None:
            body["model"] = {"preset": spec} if isinstance(spec, str) else _jsonable(spec)
        if training is not None:
            body["training"] = _jsonable(training)
        if name is not None:
            body["name"] = name
        created = self.lab._json("POST", f"/runs/{self.id}/continue", json=body)
        return Run(self.lab, created["id"], created)

    def delete(self) -> None:
        """Delete a run that is not active, with its files."""
        self.lab.request("DELETE", f"/runs/{self.id}")

    def export(self, fmt: str, path: str | Path) -> Path:
        """Download the run in `fmt` (GET /runs/{id}/export/{fmt}) to `path`: a file, or a
        folder that gets the server's file name."""
        response = self.lab.request("GET", f"/runs/{self.id}/export/{fmt}")
        target = Path(path)
        if target.is_dir():
            found = re.search(r'filename="?([^";]+)"?',
                              response.headers.get("content-disposition", ""))
            target /= Path(found.group(1)).name if found else f"{self.id}.{fmt}"
        target.write_bytes(response.content)
        return target


def _test_stream(connect: Any, path: str,
                 headers: dict[str, str]) -> Generator[dict[str, Any], None, None]:
    """The stream through an in-process client's `websocket_connect` (Starlette's
    TestClient), which reports any close as WebSocketDisconnect."""
    from starlette.websockets import WebSocketDisconnect

    try:
        with connect(path, headers=headers) as socket:
            while True:
                yield json.loads(socket.receive_text())
    except WebSocketDisconnect as exc:
        if exc.code in WS_CLOSE_STATUS:
            raise LayerLabError(WS_CLOSE_STATUS[exc.code], exc.reason or "refused") from None
        if exc.code not in (1000, 1001):
            raise
