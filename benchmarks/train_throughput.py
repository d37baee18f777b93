"""Training throughput: MLP 784-256-10 (ReLU, dropout 0.2), Adam 1e-3, batch 64,
5 epochs on mnist-10k, CPU. LayerLab's trainer vs a plain PyTorch loop with a
DataLoader, the same loop written for speed by hand (the data on the device, no host
sync: "resident"), PyTorch Lightning and Keras 3 (torch backend), each in a fresh
process.

Targets: >= 1.0x the plain loop, >= 1.6x Lightning, >= 2x Keras, same test accuracy
(within 0.5 points). Each contender trains once per seed in SEEDS: the time is the
median, the accuracy the mean (± the spread across seeds), since a single seed's test
accuracy on 2,000 digits wanders by about half a point either way.

    python benchmarks/train_throughput.py            # all four, side by side
    python benchmarks/train_throughput.py --device cuda
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from common import Clock, accuracy, loader, mnist10k, plain_epoch, run_isolated, use_local_mnist

EPOCHS, BATCH, LR = 5, 64, 1e-3
SEEDS = (0, 1, 2, 3, 4)
CONTENDERS = ("layerlab", "plain", "resident", "lightning", "keras")
TARGETS = {"plain": 1.0, "lightning": 1.6, "keras": 2.0}


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 10))


def run_layerlab(device: str, seed: int) -> dict[str, Any]:
    use_local_mnist()
    from app.runs import run_local
    from app.spec import parse_network
    from app.spec.events import EpochEvent, StartedEvent, TrainingEvent
    from app.spec.training import TrainingSpec

    spec = parse_network({"name": "MLP", "input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "flat", "type": "flatten"},
        {"id": "fc1", "type": "dense", "units": 256, "activation": "relu"},
        {"id": "drop", "type": "dropout", "rate": 0.2},
        {"id": "out", "type": "dense", "units": 10},
    ]})
    training = TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "epochs": EPOCHS, "batch_size": BATCH,
        "optimizer": {"name": "adam", "lr": LR}, "validation_split": 0.0, "seed": seed,
        "device": device})
    clock = Clock()

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, StartedEvent):
            clock.start()
        elif isinstance(event, EpochEvent) and event.epoch == EPOCHS - 1:
            clock.stop()

    final = run_local(spec, training, on_event)
    return {"seconds": clock.total, "test_accuracy": final.metrics["test_accuracy"]}


def run_plain(device: str, seed: int) -> dict[str, Any]:
    x, y, x_test, y_test = mnist10k()
    dev = torch.device(device)
    torch.manual_seed(seed)
    model = mlp().to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    data = loader(x, y, BATCH, seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        plain_epoch(model, data, optimizer, dev)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "test_accuracy": accuracy(model, x_test, y_test, dev)}


def run_resident(device: str, seed: int) -> dict[str, Any]:
    """The plain loop as it is best written by hand: the data moved to the device once,
    each epoch's order drawn there, no host sync in the loop (the loss is never read)."""
    x, y, x_test, y_test = mnist10k()
    dev = torch.device(device)
    torch.manual_seed(seed)
    model = mlp().to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = x.to(dev), y.to(dev)
    generator = torch.Generator(dev).manual_seed(seed)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    start = time.perf_counter()
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), device=dev, generator=generator)
        for first in range(0, len(x), BATCH):
            batch = order[first:first + BATCH]
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "test_accuracy": accuracy(model, x_test, y_test, dev)}


def run_lightning(device: str, seed: int) -> dict[str, Any]:
    import lightning as L

    x, y, x_test, y_test = mnist10k()
    torch.manual_seed(seed)
    clock = Clock()

    class Lit(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def training_step(self, batch: Any, _: int) -> torch.Tensor:
            inputs, labels = batch
            loss = nn.functional.cross_entropy(self.net(inputs), labels)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=LR)

    class Timer(L.Callback):
        def on_train_start(self, *_: Any) -> None:
            clock.start()

        def on_train_end(self, *_: Any) -> None:
            clock.stop()

    model = Lit()
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="gpu" if device == "cuda" else "cpu",
                        devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        callbacks=[Timer()])
    trainer.fit(model, loader(x, y, BATCH, seed))
    dev = torch.device(device)
    return {"seconds": clock.total,
            "test_accuracy": accuracy(model.net.to(dev), x_test, y_test, dev)}


def run_keras(device: str, seed: int) -> dict[str, Any]:
    import keras

    x, y, x_test, y_test = mnist10k()
    keras.utils.set_random_seed(seed)
    clock = Clock()

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            clock.start()

        def on_train_end(self, logs: Any = None) -> None:
            clock.stop()

    model = keras.Sequential([
        keras.Input((1, 28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.2),
        keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(LR), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x.numpy(), y.numpy(), batch_size=BATCH, epochs=EPOCHS, verbose=0,
              callbacks=[Timer()])
    _, test_accuracy = model.evaluate(x_test.numpy(), y_test.numpy(), verbose=0)
    return {"seconds": clock.total, "test_accuracy": float(test_accuracy)}


RUNNERS = {"layerlab": run_layerlab, "plain": run_plain, "resident": run_resident,
           "lightning": run_lightning, "keras": run_keras}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CONTENDERS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    if args.only:
        runs = [RUNNERS[args.only](args.device, seed) for seed in SEEDS]
        accuracies = [r["test_accuracy"] for r in runs]
        print(json.dumps({
            "seconds": statistics.median(r["seconds"] for r in runs),
            "test_accuracy": statistics.mean(accuracies),
            "accuracy_stdev": statistics.stdev(accuracies)}))
        return
    samples = EPOCHS * 8000
    results = {name: run_isolated(Path(__file__), name, "--device", args.device)
               for name in CONTENDERS}
    ours = samples / results["layerlab"]["seconds"]
    print(f"MLP 784-256-10 on mnist-10k, {EPOCHS} epochs, batch {BATCH}, {args.device}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"median time and mean accuracy of seeds {SEEDS}")
    print(f"{'trainer':<10} {'seconds':>8} {'samples/s':>10} {'LayerLab is':>12} "
          f"{'target':>11} {'test acc (± sd)':>16}")
    for name, result in results.items():
        rate = samples / result["seconds"]
        ratio = ours / rate
        target = TARGETS.get(name)
        verdict = "" if target is None else f">={target:.1f}x {'ok' if ratio >= target else 'MISS'}"
        print(f"{name:<10} {result['seconds']:8.2f} {rate:10.0f} {ratio:11.2f}x {verdict:>11} "
              f"{100 * result['test_accuracy']:8.2f}% ± {100 * result['accuracy_stdev']:.2f}")
    ours_acc = 100 * results["layerlab"]["test_accuracy"]
    gap = max(abs(100 * r["test_accuracy"] - ours_acc) for r in results.values())
    print(f"largest accuracy gap to LayerLab: {gap:.2f} points "
          f"({'ok' if gap <= 0.5 else 'MISS'}: target <= 0.5)")


if __name__ == "__main__":
    main()
