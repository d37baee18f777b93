"""What recording each layer's gradient norm costs: the trainer on a small MLP (six
hidden dense layers of 16 sigmoids, the vanishing-gradient lesson's network) on the
circle, with no norms recorded, with the norms of every EVERY-th step (as the trainer
records them) and with those of every step. Runs alternate, one thread each; the
fastest of each is shown, as other work on a shared machine disturbs it least.

    python benchmarks/gradient_norms_overhead.py
    python benchmarks/gradient_norms_overhead.py --device cuda --repeats 5
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import torch

from app.runs import run_local
from app.spec import parse_network
from app.spec.events import TrainingEvent
from app.spec.training import TrainingSpec
from app.train import gradients, loop

SPEC = parse_network({"name": "deep sigmoid MLP", "input": {"shape": [2]}, "layers": [
    *({"id": f"h{i}", "type": "dense", "units": 16, "activation": "sigmoid"}
      for i in range(1, 7)),
    {"id": "out", "type": "dense", "units": 2},
]})
MODES = {"none": 0, f"every {gradients.EVERY}th step": gradients.EVERY, "every step": 1}


def recorder(every: int) -> type[gradients.GradientNorms]:
    """The trainer's recorder measuring every `every`-th step; 0: no layers, no work."""

    class Norms(gradients.GradientNorms):
        def __init__(self, model: torch.nn.Module, device: torch.device,
                     skip_overflow: bool = False) -> None:
            super().__init__(model if every else torch.nn.Module(), device, skip_overflow,
                             every=every or 1)

    return Norms


def timed(training: TrainingSpec, every: int) -> float:
    def ignore(_: TrainingEvent) -> None:
        pass

    start = time.perf_counter()
    with mock.patch.object(loop, "GradientNorms", recorder(every)):
        final = run_local(SPEC, training, ignore)
    assert final.status == "completed", final.reason
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    training = TrainingSpec.model_validate({
        "dataset": {"name": "circle", "options": {"n_samples": 2000}}, "epochs": args.epochs,
        "batch_size": 32, "device": args.device, "validation_split": 0.2,
        "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9}})
    steps = args.epochs * 50  # 1,600 training samples in batches of 32
    timed(training, 1)  # warm-up: imports, the dataset, kernels
    best = dict.fromkeys(MODES, float("inf"))
    for _ in range(args.repeats):
        for mode, every in MODES.items():
            best[mode] = min(best[mode], timed(training, every))
    print(f"{steps} steps on {args.device}, fastest of {args.repeats}:")
    for mode, seconds in best.items():
        overhead = 100 * (seconds / best["none"] - 1)
        print(f"  {mode:18} {seconds:.3f} s  {1e6 * seconds / steps:5.0f} us/step  "
              f"{overhead:+5.1f}%")


if __name__ == "__main__":
    main()
