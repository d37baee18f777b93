"""The run stream stays bounded whatever the run's length and however many sockets a
client opens: a long run's snapshot is thinned to what a chart draws (the metrics
endpoint and `since_step` give every row), one address holds at most
`max_streams_per_client` streams, and a thousand connect/close cycles leave the server's
memory flat. Everything is real: `layerlab serve` in its own process, a run of 13,000
steps in its database (written as the recorder writes a run's reports, before the server
starts: training one would take a minute), real runs to follow, websocket clients on
loopback.

Sizes and memory are recorded (`record_property("detail", ...)`); bounds are asserted."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.api.stream_slots import TRY_AGAIN_LATER
from app.runs.run_states import SNAPSHOT_POINTS
from app.runs.service import RunService
from app.store.base import MetricRow
from app.store.sql import SqlRunStore
from tests.reliability.servers import ServerProcess, create_run, wait_until
from tests.store.factories import make_run

API = "/api/v1"
STREAMS_PER_CLIENT = 5
SNAPSHOT_BYTES = 150_000  # ~60 B a row: a thousand rows and the run, with room to spare
CYCLES = 1000
RSS_GROWTH_MB = 15.0


def training(n_samples: int, epochs: int, batch_size: int) -> dict[str, Any]:
    """The toy MLP on the 2-D circle set, on the CPU."""
    return {"dataset": {"name": "circle", "options": {"n_samples": n_samples}},
            "epochs": epochs, "batch_size": batch_size, "report_every": 50, "device": "cpu"}


def status(http: httpx2.Client, run_id: str) -> str:
    value: str = http.get(f"{API}/runs/{run_id}").json()["status"]
    return value


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Served:
    def __init__(self, server: ServerProcess, http: httpx2.Client, long_run: str) -> None:
        self.server, self.http, self.long_run = server, http, long_run

    def ws(self, run_id: str, query: str = "") -> str:
        return f"{self.server.url.replace('http', 'ws', 1)}{API}/runs/{run_id}/stream{query}"


EPOCHS, STEPS_PER_EPOCH = 130, 100


def write_long_run(home: Path) -> str:
    """A completed run of EPOCHS x STEPS_PER_EPOCH steps in the database of `home`: a
    loss and an accuracy each step (one spike), and each epoch's row at its last step."""
    run_id = "long" + "0" * 28
    store = SqlRunStore(f"sqlite:///{home / 'layerlab.db'}")
    try:
        store.create_run(make_run(run_id, status="completed").model_copy(update={
            "epoch": EPOCHS, "step": EPOCHS * STEPS_PER_EPOCH}))
        for epoch in range(EPOCHS):
            first = epoch * STEPS_PER_EPOCH + 1
            rows = [MetricRow(step=s, epoch=epoch, values={
                "train_loss": 5.0 if s == 7_777 else 1 / (1 + s / 500) + (s % 7) / 100,
                "train_accuracy": 1 - 1 / (2 + s / 500)})
                for s in range(first, first + STEPS_PER_EPOCH)]
            rows[-1].values.update({"val_loss": 0.3, "val_accuracy": 0.9, "epoch_seconds": 0.5,
                                    "epoch_train_loss": 0.31})
            store.append_metrics(run_id, rows)
    finally:
        store.close()
    return run_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server, and a completed run of over 10,000 steps in its database."""
    home = tmp_path_factory.mktemp("stream-bounds")
    run_id = write_long_run(home)
    with ServerProcess(home, LAYERLAB_MAX_STREAMS_PER_CLIENT=str(STREAMS_PER_CLIENT)) as server, \
            httpx2.Client(base_url=server.url, timeout=60) as http:
        assert status(http, run_id) == "completed", server.log()
        yield Served(server, http, run_id)


async def first_message(url: str) -> tuple[dict[str, Any], int]:
    async with connect(url, max_size=2**26, open_timeout=60) as ws:
        text = await ws.recv()
    return json.loads(text), len(text)


def step_rows(columns: dict[str, list[Any]]) -> list[int]:
    """The steps of the metrics endpoint's rows that have a per-step train loss."""
    return [s for s, v in zip(columns["step"], columns["train_loss"], strict=True)
            if v is not None]


def test_a_long_runs_snapshot_is_bounded_and_keeps_its_shape(
        served: Served, record_property: Any) -> None:
    full = served.http.get(f"{API}/runs/{served.long_run}/metrics?points=0")  # every row
    columns = full.json()
    steps = step_rows(columns)
    assert len(steps) > 10_000, len(steps)
    snapshot, size = asyncio.run(first_message(served.ws(served.long_run)))
    record_property("detail", f"a {len(steps):,}-step run: snapshot {size / 1e3:.0f} KB "
                              f"({len(snapshot['metrics']['steps']['step'])} step rows), the "
                              f"metrics endpoint {len(full.content) / 1e3:.0f} KB")
    assert size < SNAPSHOT_BYTES, f"the snapshot is {size} bytes"
    sent = snapshot["metrics"]["steps"]
    assert snapshot["downsampled"] is True and snapshot["total_steps"] == len(steps)
    assert len(sent["step"]) <= 2 * SNAPSHOT_POINTS + 2  # two step metrics, first and last
    assert sum(v is not None for v in sent["values"]["train_loss"]) <= SNAPSHOT_POINTS + 2
    assert sent["step"] == sorted(set(sent["step"])) and set(sent["step"]) <= set(steps)
    assert (sent["step"][0], sent["step"][-1]) == (steps[0], steps[-1])
    # the run's lowest and highest loss are drawn: a spike stays visible
    losses = [v for v in columns["train_loss"] if v is not None]
    assert min(losses) in sent["values"]["train_loss"]
    assert max(losses) in sent["values"]["train_loss"]
    epochs = snapshot["metrics"]["epochs"]  # every epoch row, as they are few
    assert epochs["epoch"] == list(range(EPOCHS))


def test_since_step_gives_every_row_after_it(served: Served) -> None:
    columns = served.http.get(f"{API}/runs/{served.long_run}/metrics?points=0").json()
    steps = step_rows(columns)
    since = steps[-400]
    detail = served.http.get(f"{API}/runs/{served.long_run}/metrics",
                             params={"since_step": since}).json()
    assert step_rows(detail) == steps[-399:]
    snapshot, _ = asyncio.run(first_message(served.ws(served.long_run,
                                                      f"?since_step={since}")))
    sent = snapshot["metrics"]["steps"]
    assert snapshot["downsampled"] is False and snapshot["total_steps"] == 399
    assert sent["step"] == steps[-399:]
    assert sent["values"]["train_loss"] == [v for v in detail["train_loss"] if v is not None]
    over_http = served.http.get(f"{API}/runs/{served.long_run}/stream",
                                params={"since_step": since}).json()
    assert over_http["metrics"]["steps"]["step"] == steps[-399:]
    refused = served.http.get(f"{API}/runs/{served.long_run}/stream",
                              params={"since_step": "soon"})
    assert refused.status_code == 422 and "since_step" in refused.text


async def hold_streams(url: str, count: int) -> dict[str, Any]:
    """Open `count` streams of a paused run (each stays open after its snapshot), then one
    more; close one and open another. What each step saw."""
    opened = [await connect(url, open_timeout=60) for _ in range(count)]
    try:
        for ws in opened:
            assert json.loads(await ws.recv())["kind"] == "snapshot"
        extra = await connect(url, open_timeout=60)
        try:
            await asyncio.wait_for(extra.recv(), 30)
            refused: tuple[Any, Any] = (None, None)
        except ConnectionClosed as closed:
            refused = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, None)
        await opened.pop().close()
        again = await connect(url, open_timeout=60)
        opened.append(again)
        kind = json.loads(await asyncio.wait_for(again.recv(), 30))["kind"]
        return {"refused": refused, "after_one_closed": kind}
    finally:
        for ws in opened:
            await ws.close()


def test_a_client_over_its_stream_bound_is_refused_with_a_reason(served: Served) -> None:
    http = served.http
    run_id = create_run(http, training(n_samples=200, epochs=10_000, batch_size=32), "held")
    try:
        wait_until(lambda: http.get(f"{API}/runs/{run_id}").json()["step"] > 0,
                   what="the run reporting steps")
        assert http.post(f"{API}/runs/{run_id}/pause").status_code == 202
        wait_until(lambda: status(http, run_id) == "paused", what="the run pausing")
        seen = asyncio.run(hold_streams(served.ws(run_id), STREAMS_PER_CLIENT))
    finally:
        http.post(f"{API}/runs/{run_id}/stop")
    code, reason = seen["refused"]
    assert code == TRY_AGAIN_LATER, seen
    assert f"at most {STREAMS_PER_CLIENT}" in reason, reason
    assert seen["after_one_closed"] == "snapshot"  # a closed stream gives its slot back


async def cycles(url: str, count: int) -> None:
    """Connect, read the snapshot, close; `count` times."""
    for _ in range(count):
        async with connect(url, max_size=2**26, open_timeout=60) as ws:
            await ws.recv()


@pytest.mark.soak  # minutes of cycles: `make soak`
def test_connect_close_cycles_leave_the_server_memory_flat(
        served: Served, record_property: Any) -> None:
    url = served.ws(served.long_run)
    asyncio.run(cycles(url, 100))  # warm: first allocations, caches, thread pool
    before = rss_mb(served.server.pid)
    asyncio.run(cycles(url, CYCLES))
    after = rss_mb(served.server.pid)
    record_property("detail", f"server RSS {before:.0f} MB -> {after:.0f} MB after "
                              f"{CYCLES} connect/close cycles ({after - before:+.1f} MB)")
    assert after - before < RSS_GROWTH_MB, f"{before:.0f} -> {after:.0f} MB"


def test_subscriptions_that_ended_leave_nothing_held(
        service: RunService, record_property: Any) -> None:
    """Each stream subscribes to its run's events and unsubscribes when it closes: a
    thousand runs followed and left keep no entry (and no memory) in the service."""
    run_ids = [uuid.uuid4().hex for _ in range(CYCLES)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for run_id in run_ids:
            service.subscribe(run_id, lambda _, __: None)()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    record_property("detail", f"{CYCLES} runs followed and left: {grown / 1e3:+.1f} KB held "
                              f"by the service")
    assert service.followed() == []
