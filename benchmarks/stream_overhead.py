"""What live streaming costs training: the MLP of train_throughput.py (mnist-10k, CPU)
trained through a real server with 0, 1 and 20 websocket subscribers, and with one
subscriber that never reads ("1 stalled": a socket with a tiny receive window that takes
the handshake and then nothing).

Targets: slowdown <= 3% with one subscriber or one stalled, <= 10% with 20; p95 latency
from the worker's report to a subscriber < 100 ms. Training time is the sum of the run's
epoch times as the worker measured them; latency uses each metrics block's report time.

    python benchmarks/stream_overhead.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from common import server, use_local_mnist

EPOCHS = 5
SUBSCRIBERS = (0, 1, 20)
STALLED = "1 stalled"
CASES: tuple[int | str, ...] = (*SUBSCRIBERS, STALLED)
TARGETS: dict[int | str, float] = {1: 3.0, 20: 10.0, STALLED: 3.0}  # slowdown, %
REPEATS = 5  # each count runs this often, interleaved; the median time counts
MODEL = {"name": "MLP", "input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "flat", "type": "flatten"},
    {"id": "fc1", "type": "dense", "units": 256, "activation": "relu"},
    {"id": "drop", "type": "dropout", "rate": 0.2},
    {"id": "out", "type": "dense", "units": 10}]}
TRAINING = {"dataset": {"name": "mnist-10k"}, "epochs": EPOCHS, "batch_size": 64,
            "optimizer": {"name": "adam", "lr": 1e-3}, "validation_split": 0.0,
            "device": "cpu"}


async def subscribe(address: str, count: int) -> list[float]:
    """`count` subscribers on one event loop, as browsers elsewhere would be: reads the
    run id from stdin, prints "ready" once all are connected, returns every metrics
    message's latency."""
    url = f"ws://{address}/api/v1/runs/{sys.stdin.readline().strip()}/stream"
    latencies: list[float] = []

    async def one(ws: Any) -> None:
        async for text in ws:
            message: dict[str, Any] = json.loads(text)
            if message["kind"] == "metrics" and message["at"]:
                latencies.append(time.time() - message["at"])
            if message["kind"] == "finished":
                return

    sockets = [await connect(url, open_timeout=60) for _ in range(count)]
    print("ready", flush=True)
    await asyncio.gather(*(one(ws) for ws in sockets))
    return latencies


class NeverReads:
    """A websocket subscriber that completes the handshake and then reads nothing, over
    a socket with a tiny receive window and segment size (a stalled browser on a slow
    link), so the server's kernel buffers for it stay small as well."""

    def __init__(self, url: str) -> None:
        uri = parse_uri(url)
        protocol = ClientProtocol(uri)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 128)
        self.sock.settimeout(30)
        self.sock.connect((uri.host, uri.port))
        protocol.send_request(protocol.connect())
        self.sock.sendall(b"".join(protocol.data_to_send()))
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def got_the_end(self) -> bool:
        """Read what arrived (until quiet for a second): did the final event?"""
        data = b""
        self.sock.settimeout(1.0)
        with contextlib.suppress(OSError):
            while chunk := self.sock.recv(65536):
                data += chunk
        return b'"kind":"finished"' in data

    def close(self) -> None:
        self.sock.close()


def one_run(http: httpx2.Client, address: str, subscribers: int | str,
            app: Any) -> tuple[float, list[float], bool]:
    # Start each run with a warm spare worker whose imports are done, so that no
    # interpreter start-up competes with training for the two cores.
    # The subscribers run in a process of their own, like browsers, not in the server's
    # interpreter where they would compete for its GIL; it starts before the run does.
    # A stalled subscriber is a socket in this process that is never read from.
    if subscribers != STALLED and subscribers:
        child = subprocess.Popen([sys.executable, __file__, address, str(subscribers)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None and child.stdout is not None
        assert child.stdout.readline().strip() == "up"
    app.state.runs.executor.wait_until_warm()
    run_id = http.post("/api/v1/runs", json={"model": MODEL, "training": TRAINING}).json()["id"]
    latencies: list[float] = []
    if subscribers == STALLED:
        stalled = NeverReads(f"ws://{address}/api/v1/runs/{run_id}/stream")
    elif subscribers:
        child.stdin.write(run_id + "\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "ready"
    while http.get(f"/api/v1/runs/{run_id}").json()["status"] in ("queued", "running"):
        time.sleep(0.2)
    held_back = False
    if subscribers == STALLED:
        # Held back: the server still holds messages for it, or gave up on it.
        time.sleep(0.5)
        held_back = bool(app.state.feeds.buffers(run_id)) or not stalled.got_the_end()
        stalled.close()
    elif subscribers:
        out, _ = child.communicate(timeout=60)
        latencies = json.loads(out)
    seconds = http.get(f"/api/v1/runs/{run_id}/metrics?names=epoch_seconds").json()
    return sum(v for v in seconds["epoch_seconds"] if v is not None), latencies, held_back


def main() -> None:
    use_local_mnist()
    with tempfile.TemporaryDirectory() as home, \
            server(Path(home), max_concurrent_runs=1) as (address, app), \
            httpx2.Client(base_url=f"http://{address}", timeout=60) as http:
        one_run(http, address, 0, app)  # warm the data cache
        runs: dict[int | str, list[tuple[float, list[float], bool]]] = {n: [] for n in CASES}
        for _ in range(REPEATS):
            for n in CASES:
                runs[n].append(one_run(http, address, n, app))
        results = {n: (statistics.median(t for t, _, _ in r),
                       [lat for _, lats, _ in r for lat in lats]) for n, r in runs.items()}
        held_back = sum(held for _, _, held in runs[STALLED])
    base = results[0][0]
    print(f"MLP 784-256-10 on mnist-10k, {EPOCHS} epochs, CPU, through a real server; "
          f"median of {REPEATS} runs per subscriber count")
    print(f"{'subscribers':>11} {'train s':>8} {'slowdown':>9} {'target':>7} "
          f"{'p95 latency':>12} {'messages':>9}")
    for n, (train_s, latencies) in results.items():
        slowdown = 100 * (train_s / base - 1)
        target = TARGETS.get(n)
        verdict = ""
        if target is not None:
            verdict = f"<={target:.0f}% {'ok' if slowdown <= target else 'MISS'}"
        p95 = (statistics.quantiles(latencies, n=20)[-1] * 1000
               if len(latencies) > 1 else float("nan"))
        print(f"{n:>11} {train_s:8.2f} {slowdown:8.1f}% {verdict:>9} {p95:10.1f}ms "
              f"{len(latencies):>9}")
    print("p95 latency target: < 100 ms")
    print(f"{STALLED}: held back (the server could not send it everything) in {held_back} "
          f"of {REPEATS} runs; otherwise its whole stream fit in the socket buffers")


if __name__ == "__main__":
    if len(sys.argv) == 3:  # a subscriber process: address, count
        print("up", flush=True)
        print(json.dumps(asyncio.run(subscribe(sys.argv[1], int(sys.argv[2])))))
    else:
        main()
