"""Load: many runs queued on two worker slots, a hundred subscribers on one run, and a
subscriber that never reads. Everything is real: a server on loopback (uvicorn in a
thread), spawned worker processes, websocket clients. The many clients live in a
process of their own, as browsers would, so that they do not compete with the server
for its GIL.

Timings are recorded (`record_property("detail", ...)`), never asserted."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from datetime import datetime
from itertools import accumulate
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from app.api.routes.stream import SEND_TIMEOUT
from app.api.streaming import MAX_PENDING, MAX_STEPS, StreamBuffer
from app.client import MAX_MESSAGE_BYTES
from app.settings import Settings
from app.spec.events import FINAL_STATUSES
from tests.conftest import serving_app
from tests.reliability.servers import create_run

API = "/api/v1"
ACTIVE = ("queued", "running")
# (run id, subscribers that join at once, subscribers that join once it reports steps)
Plan = list[tuple[str, int, int]]


def toy(n_samples: int, epochs: int, batch_size: int, report_every: int = 20) -> dict[str, Any]:
    """Training settings of the toy MLP preset on the 2-D circle set, on the CPU."""
    return {"dataset": {"name": "circle", "options": {"n_samples": n_samples}},
            "epochs": epochs, "batch_size": batch_size, "report_every": report_every,
            "device": "cpu"}


def train_steps(metrics: dict[str, list[Any]]) -> list[int]:
    """The steps that have a per-step train loss (epoch rows share a step with one)."""
    return [int(step) for step, loss in zip(metrics.get("step", []),
                                            metrics.get("train_loss", []), strict=True)
            if loss is not None]


def snapshot_steps(metrics: dict[str, Any]) -> list[int]:
    """The steps of a stream snapshot's step rows (it sends them apart from epoch rows)."""
    return [int(step) for step in metrics["steps"]["step"]]


def training_seconds(http: httpx2.Client, run_id: str) -> float:
    """The run's training time as the worker measured it: its epochs' seconds."""
    seconds = http.get(f"{API}/runs/{run_id}/metrics", params={"names": "epoch_seconds"})
    return sum(v for v in seconds.json()["epoch_seconds"] if v is not None)


# --- many runs --------------------------------------------------------------------------

class Watch:
    """Polls the server until every run is over: how many run at once, whether it
    answers (no 5xx, no timeout), how long the slowest answer took."""

    def __init__(self, http: httpx2.Client) -> None:
        self.http = http
        self.max_running = 0
        self.polls = 0
        self.slowest = 0.0
        self.errors: list[str] = []

    def get(self, path: str, **params: Any) -> Any:
        started = time.monotonic()
        response = self.http.get(f"{API}{path}", params=params)
        self.slowest = max(self.slowest, time.monotonic() - started)
        if response.status_code != 200:
            self.errors.append(f"GET {path}: {response.status_code} {response.text[:200]}")
            return {"runs": []}
        return response.json()

    def until_done(self, run_ids: list[str], timeout: float) -> dict[str, str]:
        """Poll until none of `run_ids` is queued or running; returns their statuses."""
        deadline = time.monotonic() + timeout
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            self.polls += 1
            running = self.get("/runs", status="running", limit=500)["runs"]
            self.max_running = max(self.max_running, len(running))
            self.get("/health")
            listed = self.get("/runs", limit=500)["runs"]
            statuses = {r["id"]: r["status"] for r in listed if r["id"] in run_ids}
            if len(statuses) == len(run_ids) and not set(statuses.values()) & set(ACTIVE):
                return statuses
            time.sleep(0.1)
        return statuses


def submit_at_once(http: httpx2.Client, count: int, training: dict[str, Any]) -> list[str]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: create_run(http, training, f"load-{i}"), range(count)))


def check_stored(http: httpx2.Client, run_ids: list[str], epochs: int) -> list[str]:
    """Problems with what the store kept of completed runs (empty when all is well)."""
    problems = []
    for run_id in run_ids:
        run = http.get(f"{API}/runs/{run_id}").json()
        metrics = http.get(f"{API}/runs/{run_id}/metrics").json()
        steps = train_steps(metrics)
        if run["status"] != "completed":
            problems.append(f"{run_id}: {run['status']} ({run['error']})")
        elif steps != list(range(1, run["step"] + 1)) or not run["step"]:
            problems.append(f"{run_id}: stored steps {steps[:5]}... for {run['step']} steps")
        elif len([v for v in metrics.get("epoch_seconds", []) if v is not None]) != epochs:
            problems.append(f"{run_id}: epoch rows {metrics.get('epoch_seconds')}")
        elif "test_accuracy" not in run["test_metrics"]:
            problems.append(f"{run_id}: test metrics {run['test_metrics']}")
    return problems


def most_at_once(runs: list[dict[str, Any]]) -> int:
    """The most runs whose stored [started_at, finished_at] spans overlap at one time."""
    edges = sorted(edge for run in runs if run["started_at"] and run["finished_at"]
                   for edge in ((datetime.fromisoformat(run["started_at"]), 1),
                                (datetime.fromisoformat(run["finished_at"]), -1)))
    return max(accumulate(change for _, change in edges), default=0)


def many_runs(tmp_path: Path, count: int, timeout: float,
              subscribers: tuple[int, int] = (0, 0)) -> tuple[str, list[dict[str, Any]]]:
    """`count` tiny runs submitted at once to a server with two worker slots, optionally
    each followed by `subscribers` (that many at once, that many more once it has
    steps); returns the figures and what each subscriber saw."""
    epochs = 2
    training = toy(n_samples=200, epochs=epochs, batch_size=32)
    with serving_app(Settings(home=tmp_path, max_concurrent_runs=2)) as (url, app), \
            httpx2.Client(base_url=url, timeout=30) as http:
        app.state.runs.executor.wait_until_warm()
        started = time.monotonic()
        run_ids = submit_at_once(http, count, training)
        with ExitStack() as stack:
            followers = None
            if sum(subscribers):
                followers = stack.enter_context(Subscribers(
                    url, [(r, *subscribers) for r in run_ids], timeout))
            watch = Watch(http)
            statuses = watch.until_done(run_ids, timeout)
            seen = followers.results(timeout=60) if followers is not None else []
        took = time.monotonic() - started
        stuck = {r: s for r, s in statuses.items() if s in ACTIVE}
        assert len(statuses) == count and not stuck, f"runs not over after {timeout} s: {stuck}"
        assert not watch.errors, watch.errors[:5]
        assert watch.max_running <= 2, f"{watch.max_running} runs ran at once on 2 slots"
        problems = check_stored(http, run_ids, epochs)
        assert not problems, problems[:5]
        runs = [http.get(f"{API}/runs/{r}").json() for r in run_ids]
        overlap = most_at_once(runs)
        assert overlap <= 2, f"the stored run times overlap {overlap} deep on 2 slots"
    steps = {run["id"]: run["step"] for run in runs}
    for one in seen:
        one["expected"] = steps[one["run"]]
    detail = (f"{count} runs in {took:.0f} s, max {watch.max_running} running at once "
              f"when polled, {overlap} by their stored start and end times; {watch.polls} "
              f"polls, slowest answer {watch.slowest * 1000:.0f} ms")
    return detail, seen


@pytest.mark.slow
def test_twenty_runs_queued_on_two_slots_all_complete(
        tmp_path: Path, record_property: Any) -> None:
    detail, _ = many_runs(tmp_path, count=20, timeout=300)
    record_property("detail", detail)


# --- many subscribers -------------------------------------------------------------------

class Subscribers:
    """Websocket subscribers in a spawned process of their own. The ones that join at
    once are connected (snapshot received) when the context is entered."""

    def __init__(self, url: str, plan: Plan, timeout: float) -> None:
        context = mp.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=subscribers_main, args=(url.replace("http", "ws", 1), plan, child, timeout),
            name="load-subscribers", daemon=True)
        self._timeout = timeout

    def __enter__(self) -> Subscribers:
        self._process.start()
        assert self._pipe.poll(120), "the subscribers did not connect in 120 s"
        ready = self._pipe.recv()
        assert ready == "ready", ready
        return self

    def results(self, timeout: float) -> list[dict[str, Any]]:
        """What each subscriber received (waits for them to finish)."""
        assert self._pipe.poll(self._timeout + timeout), "the subscribers did not finish"
        seen: list[dict[str, Any]] = self._pipe.recv()
        return seen

    def __exit__(self, *exc: object) -> None:
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(10)


def subscribers_main(url: str, plan: Plan, pipe: Connection, timeout: float) -> None:
    """Entry point of the subscribers' process."""
    pipe.send(asyncio.run(subscribe(url, plan, pipe, timeout)))


async def subscribe(url: str, plan: Plan, pipe: Connection,
                    timeout: float) -> list[dict[str, Any]]:
    """Follow runs as `plan` says, all on one event loop; sends "ready" on `pipe` once
    the first cohort has its snapshots. Returns each subscriber's record: its train
    steps in the order received (snapshot, then stream), the final status (from the
    finished event, or from the snapshot of a run already over), the status it joined."""
    opening = asyncio.Semaphore(50)
    records: list[dict[str, Any]] = []
    early: list[asyncio.Task[None]] = []
    late: list[asyncio.Task[None]] = []

    async def follow(record: dict[str, Any], first_step: asyncio.Event) -> None:
        try:
            async with opening:
                ws = await connect(f"{url}{API}/runs/{record['run']}/stream",
                                   open_timeout=60, max_size=MAX_MESSAGE_BYTES)
            async with ws:
                snapshot = json.loads(await ws.recv())
                record["joined"] = snapshot["run"]["status"]
                record["steps"] = snapshot_steps(snapshot["metrics"])
                if record["steps"] or record["joined"] in FINAL_STATUSES:
                    first_step.set()
                if record["joined"] in FINAL_STATUSES:
                    record["final"] = record["joined"]
                    return
                async for text in ws:
                    message = json.loads(text)
                    if message["kind"] == "metrics":
                        record["steps"].extend(message["step"])
                        first_step.set()
                    elif message["kind"] == "finished":
                        record["final"] = message["status"]
                        return
        except Exception as exc:  # reported by the test
            record["error"] = repr(exc)
        finally:
            first_step.set()  # a late cohort never waits on a subscriber that is gone

    def start(run_id: str, cohort: str, first_step: asyncio.Event) -> asyncio.Task[None]:
        record: dict[str, Any] = {"run": run_id, "cohort": cohort, "steps": [],
                                  "final": None, "joined": None, "error": None}
        records.append(record)
        return asyncio.ensure_future(follow(record, first_step))

    async def join_late(run_id: str, count: int, first_step: asyncio.Event) -> None:
        await first_step.wait()
        late.extend(start(run_id, "late", first_step) for _ in range(count))

    launchers = []
    for run_id, at_once, later in plan:
        first_step = asyncio.Event()
        early.extend(start(run_id, "early", first_step) for _ in range(at_once))
        if later:
            launchers.append(asyncio.ensure_future(join_late(run_id, later, first_step)))
    while any(r["cohort"] == "early" and r["joined"] is None and r["error"] is None
              for r in records):
        await asyncio.sleep(0.05)  # until the first cohort has its snapshots
    pipe.send("ready")
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*early, *launchers)
            await asyncio.gather(*late)
    except TimeoutError:
        for record in records:
            if record["final"] is None and record["error"] is None:
                record["error"] = f"still waiting after {timeout} s"
    return records


def check_seen(seen: list[dict[str, Any]]) -> list[str]:
    """Problems with what subscribers received (empty when each got every step of its
    run exactly once, in order, and the final event)."""
    problems = []
    for i, one in enumerate(seen):
        expected = list(range(1, one["expected"] + 1))
        steps = one["steps"]
        where = f"subscriber {i} ({one['cohort']}, joined {one['joined']})"
        if one["error"] is not None:
            problems.append(f"{where}: {one['error']}")
        if steps != expected:
            missing = sorted(set(expected) - set(steps))
            twice = len(steps) - len(set(steps))
            problems.append(f"{where}: {len(steps)} steps of {len(expected)}, missing "
                            f"{missing[:10]}, {twice} repeated, in order: {steps == sorted(steps)}")
        if one["final"] != "completed":
            problems.append(f"{where}: final {one['final']}")
    return problems


def hundred_subscribers(tmp_path: Path, at_once: int, late: int,
                        training: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """`at_once` subscribers join a run while it waits in the queue, `late` more once it
    reports its first steps; returns the figures and what each one saw. They all come
    from one address, as many browsers behind one proxy: its stream bound is raised."""
    with serving_app(Settings(home=tmp_path, max_concurrent_runs=1,
                              max_streams_per_client=at_once + late)) as (url, app), \
            httpx2.Client(base_url=url, timeout=30) as http:
        app.state.runs.executor.wait_until_warm()
        # A long run holds the only slot so that the subscribers join before ours starts.
        blocker = create_run(http, toy(n_samples=1000, epochs=10_000, batch_size=32), "blocker")
        run_id = create_run(http, training, "followed")
        with Subscribers(url, [(run_id, at_once, late)], timeout=180) as followers:
            assert http.get(f"{API}/runs/{run_id}").json()["status"] == "queued"
            assert http.post(f"{API}/runs/{blocker}/stop").status_code == 202
            seen = followers.results(timeout=60)
        run = http.get(f"{API}/runs/{run_id}").json()
        assert run["status"] == "completed", run["error"]
        assert train_steps(http.get(f"{API}/runs/{run_id}/metrics").json()) == list(
            range(1, run["step"] + 1))
        seconds = training_seconds(http, run_id)
    for one in seen:
        one["expected"] = run["step"]
    mid_run = sum(1 for one in seen if one["cohort"] == "late" and one["steps"]
                  and one["joined"] == "running")
    detail = (f"{len(seen)} subscribers, {run['step']} steps in {seconds:.1f} s of "
              f"training; {mid_run} of {late} late ones joined mid-run")
    return detail, seen


@pytest.mark.slow
def test_a_hundred_subscribers_on_one_run_all_receive_every_step(
        tmp_path: Path, record_property: Any) -> None:
    # 720 training points in batches of 16: 45 steps an epoch, 360 in all, each reported.
    detail, seen = hundred_subscribers(tmp_path, at_once=60, late=40,
                                       training=toy(n_samples=1000, epochs=8, batch_size=16,
                                                    report_every=1))
    record_property("detail", detail)
    assert len(seen) == 100
    problems = check_seen(seen)
    assert not problems, f"{len(problems)} problems: {problems[:5]}"


# --- a subscriber that never reads ------------------------------------------------------

class NeverReads:
    """A websocket client that completes the handshake and then reads nothing, over a
    socket with a tiny receive window and segment size, like a stalled browser on a slow
    link: the server's kernel send buffer stays small (on loopback it would otherwise
    soak up megabytes), so the server soon has to hold messages back."""

    def __init__(self, url: str) -> None:
        uri = parse_uri(url)
        self.protocol = ClientProtocol(uri, max_size=MAX_MESSAGE_BYTES)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 128)
        self.sock.settimeout(30)
        self.sock.connect((uri.host, uri.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self._response: Response | None = None
        self._frames: list[Frame] = []
        while self._response is None:
            self._receive(self.sock.recv(4096))
        assert self._response.status_code == 101, self._response

    def _receive(self, data: bytes) -> None:
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                self._response = event
            elif isinstance(event, Frame):
                self._frames.append(event)

    def read_all(self, quiet: float = 5.0) -> list[dict[str, Any]]:
        """Read what the server sent, until it closes or stays quiet for `quiet` s."""
        self.sock.settimeout(quiet)
        with suppress(TimeoutError, OSError):
            while not any(f.opcode is Opcode.CLOSE for f in self._frames):
                data = self.sock.recv(65536)
                self._receive(data)
                if not data:
                    break
        return [json.loads(bytes(f.data)) for f in self._frames if f.opcode is Opcode.TEXT]

    def close(self) -> None:
        self.sock.close()


def read_stream(url: str, into: dict[str, Any]) -> None:
    """A subscriber that reads everything (run in a thread)."""

    async def follow() -> None:
        async with connect(url, open_timeout=60, max_size=MAX_MESSAGE_BYTES) as ws:
            async for text in ws:
                message = json.loads(text)
                if message["kind"] == "snapshot":
                    into["steps"] = snapshot_steps(message["metrics"])
                elif message["kind"] == "metrics":
                    into["steps"].extend(message["step"])
                elif message["kind"] == "finished":
                    into["final"] = message["status"]
                    return

    try:
        asyncio.run(follow())
    except Exception as exc:  # reported by the test
        into["error"] = repr(exc)


def follow_one_run(url: str, app: FastAPI, http: httpx2.Client,
                   stalled: bool) -> dict[str, Any]:
    """One run followed by a reading subscriber and, if `stalled`, first by one that
    never reads; returns what the reader got, the stalled one's server-side buffer
    backlog (largest seen), when the server let it go and what it had sent it."""
    feeds = app.state.feeds
    app.state.runs.executor.wait_until_warm()  # each run starts on a warm worker
    # Long enough that what the stalled one is sent outgrows the kernel's buffers while
    # the run still trains (~100 KB fit on loopback): only then does the server hold back.
    run_id = create_run(http, toy(n_samples=2000, epochs=150, batch_size=64, report_every=5),
                        "stalled" if stalled else "baseline")
    stream = f"{url.replace('http', 'ws', 1)}{API}/runs/{run_id}/stream"
    out: dict[str, Any] = {"run": run_id, "steps": [], "final": None, "error": None,
                           "largest": (0, 0), "received": None}
    never: NeverReads | None = None
    buffer: StreamBuffer | None = None
    left: float | None = None  # when the stalled one's buffer left the run's feed

    def look() -> None:
        nonlocal left
        if buffer is not None and left is None:
            out["largest"] = tuple(map(max, out["largest"], buffer.backlog))
            if buffer not in feeds.buffers(run_id):
                left = time.monotonic()

    try:
        if stalled:
            never = NeverReads(stream)
            deadline = time.monotonic() + 10
            while not feeds.buffers(run_id) and time.monotonic() < deadline:
                time.sleep(0.01)
            (buffer,) = feeds.buffers(run_id)
        reader = threading.Thread(target=read_stream, args=(stream, out))
        reader.start()
        while reader.is_alive():
            look()
            reader.join(0.02)
        ended = time.monotonic()  # the reader has the final event
        deadline = ended + SEND_TIMEOUT + 30
        while feeds.buffers(run_id) and time.monotonic() < deadline:
            look()
            time.sleep(0.02)
        look()
        out["released"] = not feeds.buffers(run_id)
        out["left"] = None if left is None else left - ended
        if never is not None:
            out["received"] = never.read_all()
    finally:
        if never is not None:
            never.close()
    run = http.get(f"{API}/runs/{run_id}").json()
    out["status"], out["expected"] = run["status"], run["step"]
    out["seconds"] = training_seconds(http, run_id)
    return out


@pytest.mark.slow
def test_a_subscriber_that_never_reads_does_not_hold_training_back(
        tmp_path: Path, record_property: Any) -> None:
    with serving_app(Settings(home=tmp_path, max_concurrent_runs=1)) as (url, app), \
            httpx2.Client(base_url=url, timeout=30) as http:
        baseline = follow_one_run(url, app, http, stalled=False)
        stalled = follow_one_run(url, app, http, stalled=True)
    messages, steps = stalled["largest"]
    received = stalled["received"] or [{"kind": "nothing", "metrics": {}}]
    got = (snapshot_steps(received[0]["metrics"]) if "metrics" in received[0] else []) + [
        s for m in received[1:] if m["kind"] == "metrics" for s in m["step"]]
    left = stalled["left"]
    let_go = ("was never let go" if left is None else
              f"was let go {abs(left):.1f} s {'after' if left >= 0 else 'before'} the run ended")
    record_property("detail", (
        f"training {baseline['seconds']:.2f} s without, {stalled['seconds']:.2f} s with a "
        f"subscriber that never reads; its server-side backlog peaked at {messages} "
        f"messages / {steps} steps; it got {len(got)} of {stalled['expected']} steps and "
        f"{let_go}"))
    for run in (baseline, stalled):
        assert run["status"] == "completed"
        assert run["error"] is None, run["error"]
        assert run["final"] == "completed"
        assert run["steps"] == list(range(1, run["expected"] + 1)), "the reader missed steps"
        assert run["released"], "the server still holds a subscriber of an ended run"
    # The stalled one was held back: it never got the end, and what it got is in order.
    assert received[0]["kind"] == "snapshot", received[0]["kind"]
    assert "finished" not in [m["kind"] for m in received]
    assert got == list(range(1, len(got) + 1))
    # ...and what the server kept for it stayed within the buffer's bounds.
    assert 0 < messages <= MAX_PENDING and steps <= MAX_STEPS


# --- soak ---------------------------------------------------------------------------------

@pytest.mark.soak
def test_soak_a_hundred_runs_on_two_slots_with_five_hundred_subscribers(
        tmp_path: Path, record_property: Any) -> None:
    detail, seen = many_runs(tmp_path, count=100, timeout=900, subscribers=(3, 2))
    joined = Counter(one["joined"] for one in seen)
    record_property("detail", f"{detail}; {len(seen)} subscribers, joining runs that were "
                              + ", ".join(f"{status} ({n})" for status, n in joined.items()))
    assert len(seen) == 500
    problems = check_seen(seen)
    assert not problems, f"{len(problems)} problems: {problems[:5]}"
