"""A run through the Python client: its info, its metrics a page at a time, its inspect
views, its live stream, and what can be done with it (stop, pause, resume, continue with
an edit, export)."""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from app.client.base import API, MAX_MESSAGE_BYTES, LayerLabError, decode_array, jsonable
from app.client.wait import wait_until
from app.spec.events import FINAL_STATUSES

if TYPE_CHECKING:
    from app.client.lab import LayerLab

RESTING_STATUSES = FINAL_STATUSES | {"paused", "interrupted"}
"""Statuses a run stays in until someone acts: `Run.wait` returns on these."""
WS_CLOSE_STATUS = {4401: 401, 4403: 403, 4404: 404}
METRIC_PAGE_STEPS = 100_000  # steps asked for at a time at full resolution


def _extend(columns: dict[str, list[Any]], page: dict[str, list[Any]]) -> None:
    """Put a later page's columns after `columns`' (a name one of them lacks is None
    there)."""
    rows = len(columns.get("step", []))
    for name, column in page.items():
        columns.setdefault(name, [None] * rows).extend(column)
    for name in columns.keys() - page.keys():
        columns[name].extend([None] * len(page.get("step", [])))


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
            return self.lab._json("POST", entry["path"], json=jsonable(options))
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
            body["model"] = {"preset": spec} if isinstance(spec, str) else jsonable(spec)
        if training is not None:
            body["training"] = jsonable(training)
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
