"""How long do the inspection views take on CPU, next to the bare PyTorch forward they wrap?

Targets (CPU, untrained preset networks: speed does not depend on the weights):
  - activations: every layer of `mnist-keras-cnn` for one real MNIST test digit
    (mnist-10k, default max_channels=64): < 100 ms;
  - boundary: a 100x100 decision boundary of `toy-mlp` over the xor train points,
    output "classes": < 200 ms;
  - attention: the maps of `char-transformer` for a 64-token sequence of random ids
    within its vocabulary: < 100 ms;
  - units: every unit's map of `toy-mlp` (2-8-8-2, tanh) over a 64x64 grid of the xor
    plane, with each weight's gradient on 256 training points: < 50 ms.

The baseline of each is the plain PyTorch cost of the same work without LayerLab's
encoding: one eval-mode forward of the same batch under torch.no_grad() -- with forward
hooks keeping every layer's output (activations), of the 10,000 grid points (boundary),
with the attention modules asked to keep their weights (attention), of the 4,096 grid points
with hooks on every layer plus one backward pass of the batch (units). The gap between the
two columns is what the inspection layer adds (min/max, float16 cuts, base64, pydantic).
Each figure is the median of REPEATS runs after one warm-up run; torch's default threads.

    cd benchmarks && python inspect_overhead.py
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from app.datasets import load_dataset
from app.inspect import activations, attention, boundary
from app.inspect.capture import attention_modules
from app.inspect.units import units
from app.nn import GraphNet, build
from app.spec.presets import load_presets

from common import use_local_mnist

MODELS = Path(__file__).resolve().parent.parent / "models"
REPEATS = 20
SEED = 0
SAMPLE = 0  # index of the MNIST test digit
RESOLUTION = 100
SEQUENCE = 64  # tokens
TARGETS_MS = {"activations": 100.0, "boundary": 200.0, "attention": 100.0, "units": 50.0}
UNIT_GRID = 64


def median_ms(fn: Callable[[], object]) -> float:
    """Median wall time of `fn` in ms over REPEATS runs, after one warm-up run."""
    fn()
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def hooked_forward(model: GraphNet, batch: torch.Tensor) -> dict[str, torch.Tensor]:
    """Baseline for activations: a forward that keeps every layer's output."""
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for node in model.nodes:
        def keep(_: nn.Module, __: object, out: torch.Tensor, key: str = node.layer_id) -> None:
            outputs[key] = out
        handles.append(model.layer(node.layer_id).register_forward_hook(keep))
    try:
        with torch.no_grad():
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def forward_keeping_attention(model: GraphNet, batch: torch.Tensor) -> list[torch.Tensor]:
    """Baseline for attention: a forward with every attention module keeping its weights."""
    modules = list(attention_modules(model).values())
    for module in modules:
        module.keep_weights = True
    try:
        with torch.no_grad():
            model(batch)
        return [m.weights for m in modules if m.weights is not None]
    finally:
        for module in modules:
            module.keep_weights, module.weights = False, None


def main() -> None:
    use_local_mnist()
    torch.manual_seed(SEED)
    presets = load_presets(MODELS)
    rows: list[tuple[str, str, float, float]] = []  # (view, what, layerlab ms, baseline ms)

    # activations: one real digit through the Keras CNN
    cnn = build(presets["mnist-keras-cnn"]).eval()
    digit = load_dataset("mnist-10k").x_test[SAMPLE]
    shown = activations(cnn, digit)
    assert [layer.id for layer in shown.layers] == [node.layer_id for node in cnn.nodes]
    rows.append(("activations", f"mnist-keras-cnn: {len(shown.layers)} layers, 1 digit",
                 median_ms(lambda: activations(cnn, digit)),
                 median_ms(lambda: hooked_forward(cnn, digit[None]))))

    # boundary: toy MLP over the xor points
    mlp = build(presets["toy-mlp"]).eval()
    xor = load_dataset("xor")
    points, labels = xor.x_train, xor.y_train
    grid = boundary(mlp, points, labels, "classes", RESOLUTION)
    assert grid.resolution == RESOLUTION
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, RESOLUTION),
                            torch.linspace(x0, x1, RESOLUTION), indexing="ij")
    plane = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)

    def plain_grid() -> torch.Tensor:
        with torch.no_grad():
            return mlp(plane)

    rows.append(("boundary", f"toy-mlp: {RESOLUTION}x{RESOLUTION} grid, {len(points)} xor points",
                 median_ms(lambda: boundary(mlp, points, labels, "classes", RESOLUTION)),
                 median_ms(plain_grid)))

    # attention: a random 64-token sequence through the character transformer
    spec = presets["char-transformer"]
    assert tuple(spec.input.shape) == (SEQUENCE,), spec.input.shape
    transformer = build(spec).eval()
    vocab = spec.input.vocab_size
    assert vocab is not None
    tokens = torch.randint(0, vocab, (SEQUENCE,))
    maps = attention(transformer, tokens)
    heads = maps.layers[0].heads
    rows.append(("attention", f"char-transformer: {len(maps.layers)}x{heads} heads, "
                              f"{SEQUENCE} tokens",
                 median_ms(lambda: attention(transformer, tokens)),
                 median_ms(lambda: forward_keeping_attention(transformer, tokens[None]))))

    # units: every unit of the toy MLP over a 64x64 grid, with gradients on a batch
    batch = (points[:256], labels[:256])

    def cross_entropy(model: nn.Module, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(out, target)

    drawn = units(mlp, points, UNIT_GRID, batch, cross_entropy)
    assert [layer.units for layer in drawn.layers] == [8, 8, 2]
    unit_plane = torch.stack(torch.meshgrid(torch.linspace(-1, 1, UNIT_GRID),
                                            torch.linspace(-1, 1, UNIT_GRID), indexing="ij"),
                             dim=-1).reshape(-1, 2)

    def plain_units() -> None:
        hooked_forward(mlp, unit_plane)
        mlp.zero_grad()
        nn.functional.cross_entropy(mlp(batch[0]), batch[1]).backward()

    rows.append(("units", f"toy-mlp: 8+8+2 units over {UNIT_GRID}x{UNIT_GRID}, gradients on "
                          "256 points",
                 median_ms(lambda: units(mlp, points, UNIT_GRID, batch, cross_entropy)),
                 median_ms(plain_units)))

    # torch's threads spin-wait on each other: other work on these cores slows tiny ops a lot
    load = os.getloadavg()[0]
    print(f"inspection views on CPU, torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads, {os.cpu_count()} cores (load {load:.1f}); median of {REPEATS} runs "
          f"after a warm-up")
    print(f"{'view':<12} {'LayerLab':>9} {'baseline':>9} {'overhead':>9} {'target':>9} "
          f"{'verdict':>7}  case")
    for view, what, ours, base in rows:
        target = TARGETS_MS[view]
        verdict = "ok" if ours < target else "MISS"
        print(f"{view:<12} {ours:6.1f} ms {base:6.1f} ms {ours - base:+6.1f} ms "
              f"{'< ' + format(target, '.0f') + ' ms':>9} {verdict:>7}  {what}")
    print("baseline: the same eval-mode forward under torch.no_grad(), without encoding\n"
          "  (hooks on every layer / the 10,000 grid points / attention keeping its weights /\n"
          "  the unit grid with hooks and one backward of the batch)")


if __name__ == "__main__":
    main()
