"""Shared by the benchmarks: the mnist-10k data, a plain PyTorch loop, subprocess runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import uvicorn
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def use_local_mnist() -> None:
    """Point mnist-10k at the shared real files unless the caller chose a folder."""
    if "LAYERLAB_MNIST_DIR" not in os.environ and SHARED_MNIST.exists():
        os.environ["LAYERLAB_MNIST_DIR"] = str(SHARED_MNIST)


def mnist10k() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_test, y_test): 8,000 / 2,000 real digits, (N, 1, 28, 28)."""
    use_local_mnist()
    from app.datasets import load_dataset

    data = load_dataset("mnist-10k")
    return data.x_train, data.y_train, data.x_test, data.y_test


def plain_epoch(model: nn.Module, loader: DataLoader[Any], optimizer: torch.optim.Optimizer,
                device: torch.device, log_interval: int = 10) -> None:
    """One epoch the way pytorch/examples' mnist trains: a DataLoader, .item() to log."""
    model.train()
    for batch, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if batch % log_interval == 0:
            loss.item()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(x), 1000):
        out = model(x[start:start + 1000].to(device))
        correct += int((out.argmax(1) == y[start:start + 1000].to(device)).sum())
    return correct / len(x)


def loader(x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> DataLoader[Any]:
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def run_isolated(script: Path, contender: str, *args: str) -> dict[str, Any]:
    """Run one contender in a fresh interpreter (no shared caches or imports) and read
    the JSON it prints on its last line."""
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    result = subprocess.run([sys.executable, str(script), "--only", contender, *args],
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{result.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


class Clock:
    """Wall time with pauses, so evaluation done only for the benchmark is not counted."""

    def __init__(self) -> None:
        self.total = 0.0
        self._since: float | None = None

    def start(self) -> None:
        self._since = time.perf_counter()

    def stop(self) -> float:
        if self._since is not None:
            self.total += time.perf_counter() - self._since
            self._since = None
        return self.total


@contextmanager
def server(home: Path, **settings: Any) -> Iterator[tuple[str, Any]]:
    """A real LayerLab server (uvicorn in a thread) on a free loopback port, with its
    settings' fields given as keywords; yields its "host:port" and the app (whose
    executor says when a warm worker is ready)."""
    from app.api import create_app
    from app.settings import Settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(home=home, **settings))
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                   log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uvicorn_server.started, "the server did not start"
    try:
        yield f"127.0.0.1:{port}", app
    finally:
        uvicorn_server.should_exit = True
        thread.join(30)
