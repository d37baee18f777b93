"""How the MNIST MLP preset's test accuracy grows with the training digits: a learning
curve on subsets of mnist-10k's 8,000 training digits (1,000, 2,000, 4,000, 8,000), each
trained for the same number of steps (Adam 1e-3, batches of 64) by LayerLab's trainer and
tested on the same 2,000 held-out digits. A power law fitted to the error rate
(error = a * n^-b, least squares on the logs) is extrapolated to full MNIST's 60,000
training digits: an estimate, printed as such, of what the download would give.

    python benchmarks/mnist_mlp_curve.py [--steps 500] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import math
import statistics
from dataclasses import replace
from pathlib import Path

import torch

from common import use_local_mnist

PRESET = Path(__file__).resolve().parent.parent / "models" / "mnist-mlp.json"
SIZES = (1000, 2000, 4000, 8000)
BATCH, FULL_MNIST = 64, 60_000


def test_accuracy(n: int, steps: int, seed: int) -> float:
    """The preset's test accuracy after `steps` steps on the first n training digits."""
    from app.nn import build_from_plan
    from app.spec.presets import read_network
    from app.spec.training import TrainingSpec
    from app.train import Trainer
    from app.train.session import check_training

    spec = read_network(PRESET)
    training = TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "epochs": max(1, round(steps * BATCH / n)),
        "batch_size": BATCH, "optimizer": {"name": "adam", "lr": 1e-3},
        "validation_split": 0.0, "seed": seed, "device": "cpu", "report_every": 100})
    torch.manual_seed(seed)
    checked = check_training(spec, training)
    data = checked.dataset.load(checked.options)
    subset = replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n])
    trainer = Trainer(build_from_plan(checked.plan, "cpu"), subset, training, checked.task,
                      lambda event: None, torch.device("cpu"))
    return float(trainer.fit().metrics["test_accuracy"])


def power_law(sizes: list[int], errors: list[float]) -> tuple[float, float]:
    """(a, b) of error = a * n^-b, fitted by least squares on log error against log n."""
    xs, ys = [math.log(n) for n in sizes], [math.log(e) for e in errors]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
             / sum((x - mx) ** 2 for x in xs))
    return math.exp(my - slope * mx), -slope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    use_local_mnist()
    torch.set_num_threads(1)
    errors = []
    for n in SIZES:
        scores = [test_accuracy(n, args.steps, seed) for seed in args.seeds]
        errors.append(1 - statistics.fmean(scores))
        print(f"{n:>6} training digits: test accuracy "
              f"{', '.join(f'{s:.4f}' for s in scores)} (mean {1 - errors[-1]:.4f})")
    a, b = power_law(list(SIZES), errors)
    print(f"error ~ {a:.3g} * n^-{b:.3f}; extrapolated to {FULL_MNIST:,} digits: "
          f"test accuracy about {1 - a * FULL_MNIST ** -b:.4f} (an estimate)")


if __name__ == "__main__":
    main()
