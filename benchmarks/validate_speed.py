"""How long does checking a 50-layer spec take? Target: under 50 ms.

Validation = pydantic parsing + graph checks + shape inference on the meta device
(+ FLOPs). Printed side by side with the naive baseline: building the same network
for real on the CPU and pushing one sample through it (which, unlike the meta
device, allocates every weight: fine here, ruinous for a 50M-parameter spec).

Then hostile specs (huge recurrent layers, long sequences, huge dense, conv and
embedding layers, deep stacks), each timed as a first validation beside the 50-layer
spec: every one should answer, valid or refused, within 100 ms.

    python benchmarks/validate_speed.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch

from app.nn import analyze, build
from app.nn.infer import clear_shape_cache
from app.spec import SpecError, parse_network

TARGET_MS = 50.0
HOSTILE_TARGET_MS = 100.0
REPEATS = 15


def fifty_layer_spec(width: int = 1, distinct: bool = False) -> dict[str, Any]:
    """A VGG-style CNN for 3x32x32: 4 stages of 3 conv/batchnorm/relu blocks.

    As in VGG, the blocks of a stage are identical (same filters); `distinct` gives
    every block its own filter count, so no two layers share a shape (the worst case).
    """
    layers: list[dict[str, Any]] = []
    filters = 16 * width
    for stage in range(4):
        for block in range(3):
            name = f"s{stage}b{block}"
            layers += [
                {"id": f"{name}_conv", "type": "conv2d",
                 "filters": filters + block if distinct else filters,
                 "kernel_size": 3, "padding": "same"},
                {"id": f"{name}_bn", "type": "batchnorm"},
                {"id": f"{name}_relu", "type": "activation", "activation": "relu"},
            ]
        layers.append({"id": f"pool{stage}", "type": "maxpool2d", "pool_size": 2})
        filters *= 2
    layers += [
        {"id": "flat", "type": "flatten"},
        {"id": "fc1", "type": "dense", "units": 256, "activation": "relu"},
        {"id": "drop", "type": "dropout", "rate": 0.5},
        {"id": "fc2", "type": "dense", "units": 64, "activation": "relu"},
        {"id": "bn", "type": "batchnorm"},
        {"id": "drop2", "type": "dropout", "rate": 0.2},
        {"id": "fc3", "type": "dense", "units": 32, "activation": "tanh"},
        {"id": "ln", "type": "layernorm"},
        {"id": "drop3", "type": "dropout", "rate": 0.1},
        {"id": "out", "type": "dense", "units": 10},
    ]
    assert len(layers) == 50, len(layers)
    return {"name": "VGG-style 50", "input": {"shape": [3, 32, 32]}, "layers": layers}


def recurrent(cell: str, steps: int, features: int = 1, **fields: Any) -> dict[str, Any]:
    return {"input": {"shape": [steps, features]}, "layers": [{"id": "l", "type": cell, **fields}]}


def stack(layer: dict[str, Any], depth: int, shape: list[int]) -> dict[str, Any]:
    return {"input": {"shape": shape}, "layers": [{**layer, "id": f"l{i}"} for i in range(depth)]}


def hostile_specs() -> dict[str, dict[str, Any]]:
    """Specs that once cost seconds to minutes of CPU to validate (or to refuse)."""
    return {
        "lstm 8192 units, 8192 steps": recurrent("lstm", 8192, hidden_size=8192),
        "lstm 8192 units, 65536 steps": recurrent("lstm", 65536, hidden_size=8192),
        "gru 8192 units x 16 layers": recurrent("gru", 4096, hidden_size=8192, num_layers=16),
        "lstm 1024 units, 65536 steps (valid)": recurrent("lstm", 65536, hidden_size=1024,
                                                           return_sequences=True),
        "bi-gru 512 x 4, 65536 steps (valid)": recurrent("gru", 65536, 64, hidden_size=512,
                                                          num_layers=4, bidirectional=True),
        "dense 65536 on 65536 values": stack({"type": "dense", "units": 65536}, 2, [65536]),
        "conv2d 4096 filters 7x7, twice": stack(
            {"type": "conv2d", "filters": 4096, "kernel_size": 7}, 2, [3, 64, 64]),
        "embedding 1M tokens x 8192": {
            "input": {"shape": [16], "dtype": "token", "vocab_size": 1_000_000},
            "layers": [{"id": "e", "type": "embedding", "dim": 8192}]},
        "256 distinct gru layers, 65536 steps": {
            "input": {"shape": [65536, 4]},
            "layers": [{"id": f"l{i}", "type": "gru", "hidden_size": 512 + i,
                        "return_sequences": True} for i in range(256)]},
        "256 lstm layers, 4096 steps (valid)": stack(
            {"type": "lstm", "hidden_size": 64, "return_sequences": True}, 256, [4096, 1]),
    }


def validate_or_refuse(data: dict[str, Any]) -> str:
    try:
        analyze(parse_network(data))
    except SpecError:
        return "refused"
    return "valid"


def print_hostile(normal_ms: float) -> None:
    print(f"hostile specs, first validation, median of {REPEATS} runs "
          f"(target < {HOSTILE_TARGET_MS:.0f} ms each)")
    print(f"  {'50-layer spec (for comparison)':<40} {'valid':>8} {normal_ms:8.1f} ms")
    for label, data in hostile_specs().items():
        answer = validate_or_refuse(data)
        ms = timed_ms(lambda d=data: validate_or_refuse(d), clear_shape_cache)
        verdict = "" if ms < HOSTILE_TARGET_MS else "  MISSES the target"
        print(f"  {label:<40} {answer:>8} {ms:8.1f} ms{verdict}")


def timed_ms(fn: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    samples = []
    for _ in range(REPEATS):
        before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    data = fifty_layer_spec()
    worst = fifty_layer_spec(distinct=True)
    analyze(parse_network(fifty_layer_spec(width=2)))  # load torch kernels, as a server does once

    def validate() -> None:
        analyze(parse_network(data))

    def validate_worst() -> None:
        analyze(parse_network(worst))

    def edit_one_layer() -> None:
        data["layers"][-1]["units"] = data["layers"][-1]["units"] % 20 + 1
        analyze(parse_network(data))

    def real_cpu_forward() -> None:
        with torch.no_grad():
            build(parse_network(data)).eval()(torch.zeros(1, 3, 32, 32))

    rows = [
        ("first validation (empty shape cache)", timed_ms(validate, clear_shape_cache)),
        ("first validation, all 50 layers distinct", timed_ms(validate_worst, clear_shape_cache)),
        ("re-validation, unchanged spec", timed_ms(validate)),
        ("re-validation after editing one layer", timed_ms(edit_one_layer)),
        ("baseline: real CPU build + 1-sample forward", timed_ms(real_cpu_forward)),
    ]
    print(f"validate a 50-layer spec, median of {REPEATS} runs (target < {TARGET_MS:.0f} ms)")
    for label, ms in rows:
        print(f"  {label:<46} {ms:8.1f} ms")
    baseline = rows[-1][1]
    for label, ms in rows[:-1]:
        verdict = "meets" if ms < TARGET_MS else "MISSES"
        print(f"{label}: {verdict} the {TARGET_MS:.0f} ms target "
              f"({baseline / ms:.1f}x the baseline's speed)")
    print_hostile(rows[0][1])


if __name__ == "__main__":
    main()
