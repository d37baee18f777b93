"""Validating a spec costs little whatever the spec: one over the activation bound is
refused before the layers past it run, one only over max_params is traced whole (on the
meta device a layer's trace costs the same whatever its weights) and shown as too big to
train here, and a recurrent layer is traced at the same cost whatever its sequence
length. Cost is asserted structurally, as the number of PyTorch operations validation
dispatches; the time and memory measured are recorded (`record_property("detail", ...)`)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from torch.utils._python_dispatch import TorchDispatchMode

from app.nn import analyze
from app.nn.infer import clear_shape_cache
from app.spec import SpecError, SpecLimits, parse_network

API = "/api/v1"
# Tracing any one spec here takes a few hundred operations; a recurrent layer traced
# step by step took tens of thousands (about four per time step and layer).
MAX_OPS = 2_000


# Only over max_params: shown layer by layer, with `trainable: false`.
OVER = 200


def recurrent(cell: str, steps: int, features: int = 1, **fields: Any) -> dict[str, Any]:
    return {"version": 1, "input": {"shape": [steps, features]},
            "layers": [{"id": "l", "type": cell, **fields}]}


def stack(layer: dict[str, Any], depth: int, shape: list[int]) -> dict[str, Any]:
    return {"version": 1, "input": {"shape": shape},
            "layers": [{**layer, "id": f"l{i}"} for i in range(depth)]}


HOSTILE: dict[str, tuple[dict[str, Any], int]] = {
    "lstm of 8192 units on 8192 steps": (recurrent("lstm", 8192, hidden_size=8192), OVER),
    "lstm of 8192 units on 65536 steps": (recurrent("lstm", 65536, hidden_size=8192), OVER),
    "gru of 8192 units, 16 layers": (recurrent("gru", 4096, hidden_size=8192, num_layers=16),
                                     OVER),
    "lstm of 1024 units on 65536 steps": (recurrent("lstm", 65536, hidden_size=1024,
                                                    return_sequences=True), 200),
    "bidirectional gru, 4 layers, 65536 steps": (
        recurrent("gru", 65536, 64, hidden_size=512, num_layers=4, bidirectional=True), 200),
    "rnn of 4096 units on 65536 steps": (recurrent("rnn", 65536, 64, hidden_size=4096), 200),
    "dense of 65536 units on 65536 values": (
        stack({"type": "dense", "units": 65536}, 2, [65536]), OVER),
    "conv2d of 4096 filters, 7x7, twice": (
        stack({"type": "conv2d", "filters": 4096, "kernel_size": 7}, 2, [3, 64, 64]), OVER),
    "embedding of a million tokens of 8192 values": (
        {"version": 1, "input": {"shape": [16], "dtype": "token", "vocab_size": 1_000_000},
         "layers": [{"id": "e", "type": "embedding", "dim": 8192}]}, OVER),
    "256 stacked lstm layers on 65536 steps": (
        stack({"type": "lstm", "hidden_size": 64, "return_sequences": True}, 256, [65536, 1]),
        422),
    "256 distinct gru layers on 65536 steps, over the activation limit": (
        {"version": 1, "input": {"shape": [65536, 4]},
         "layers": [{"id": f"l{i}", "type": "gru", "hidden_size": 512 + i,
                     "return_sequences": True} for i in range(256)]}, 422),
    "256 stacked lstm layers on 4096 steps": (
        stack({"type": "lstm", "hidden_size": 64, "return_sequences": True}, 256, [4096, 1]),
        200),
}


class OpCounter(TorchDispatchMode):
    """Counts every PyTorch operation dispatched (meta ones included) while active."""

    def __init__(self) -> None:
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        self.ops += 1
        return func(*args, **(kwargs or {}))


def ops_to_validate(data: dict[str, Any]) -> int:
    clear_shape_cache()
    with OpCounter() as counter, suppress(SpecError):
        analyze(parse_network(data), enforce=False)  # as POST /specs/validate does
    return counter.ops


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_spec_is_answered_without_tracing_its_size(
        name: str, client: TestClient, record_property: Any) -> None:
    data, status = HOSTILE[name]
    ops = ops_to_validate(data)
    clear_shape_cache()
    start = time.perf_counter()
    response = client.post(f"{API}/specs/validate", json=data)
    elapsed_ms = (time.perf_counter() - start) * 1000
    record_property("detail", f"{response.status_code} in {elapsed_ms:.0f} ms, {ops} ops")
    assert response.status_code == status, response.text
    assert ops <= MAX_OPS
    if status == OVER:
        body = response.json()
        trainable = body["total_params"] <= SpecLimits().max_params
        assert body["trainable"] is trainable
        assert trainable or "LAYERLAB_LIMITS__MAX_PARAMS" in body["over_limits"][0]["message"]


def test_tracing_a_recurrent_layer_costs_the_same_whatever_the_sequence_length() -> None:
    short = ops_to_validate(recurrent("lstm", 16, 3, hidden_size=32, num_layers=2))
    long = ops_to_validate(recurrent("lstm", 2_000, 3, hidden_size=32, num_layers=2))
    assert long == short


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("fields", [{}, {"bidirectional": True, "num_layers": 2},
                                    {"return_sequences": True}])
def test_a_long_sequence_reports_what_tracing_every_step_reports(
        cell: str, fields: dict[str, Any]) -> None:
    """Shapes and FLOPs computed from short sequences equal those of the full trace."""
    long = recurrent(cell, 300, 5, hidden_size=7, **fields)
    clear_shape_cache()
    computed = analyze(parse_network(long))
    clear_shape_cache()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.nn.infer._SHORT_STEPS", (1_000, 1_001))  # trace every step
        traced = analyze(parse_network(long))
    assert computed == traced
    assert computed.layers[0].flops > 0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_fifty_parallel_validations_of_the_bomb_leave_memory_where_it_was(
        client: TestClient, record_property: Any) -> None:
    bomb = HOSTILE["lstm of 8192 units on 8192 steps"][0]

    def validate(_: int) -> int:
        return client.post(f"{API}/specs/validate", json=bomb).status_code

    validate(0)  # the first request loads what every later one shares
    before = rss_mb()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(validate, range(50)))
    elapsed_s = time.perf_counter() - start
    grown = rss_mb() - before
    record_property("detail", f"50 in {elapsed_s * 1000:.0f} ms, RSS {before:.0f} MB "
                              f"-> {before + grown:.0f} MB ({grown:+.1f} MB)")
    assert statuses == [OVER] * 50
    assert grown < 30
