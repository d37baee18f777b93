"""A VAE on mnist-10k: the MNIST VAE preset (784-512-256-2-256-512-784, 2-D latent),
bce + KL, Adam 1e-3, batch 128, 10 epochs, CPU. LayerLab's trainer (the vae task) vs a
plain PyTorch loop of the same model with a DataLoader, each in a fresh process.

Target: samples/s >= 0.95x the plain loop, with a reconstruction BCE as good (nats per
test digit, the mean from the decoder at z = mean). LayerLab's decoded latent grid is
saved as build/benchmarks/vae_grid.png to look at.

    python benchmarks/vae_speed.py
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

from common import ROOT, Clock, loader, mnist10k, run_isolated, use_local_mnist

EPOCHS, BATCH, LR = 10, 128, 1e-3
SEEDS = (0, 1, 2)
TARGET = 0.95
GRID = ROOT / "build" / "benchmarks" / "vae_grid.png"


class PlainVAE(nn.Module):
    """The preset's layers, written by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(),
                                     nn.Linear(512, 256), nn.ReLU())
        self.mean, self.log_var = nn.Linear(256, 2), nn.Linear(256, 2)
        self.decoder = nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 512),
                                     nn.ReLU(), nn.Linear(512, 784))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean) if self.training else mean
        return self.decoder(z).view(-1, 1, 28, 28), mean, log_var


def losses(model: PlainVAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits, mean, log_var = model(x)
    bce = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(1)).mean()
    return bce, kl


def run_layerlab(device: str, seed: int) -> dict[str, Any]:
    use_local_mnist()
    from app.inspect.latent import decode_codes, grid_codes
    from app.runs import run_local
    from app.spec.events import EpochEvent, StartedEvent, TrainingEvent
    from app.spec.presets import read_network
    from app.spec.training import TrainingSpec

    spec = read_network(ROOT / "models" / "mnist-vae.json")
    training = TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "task": "vae", "loss": "bce", "epochs": EPOCHS,
        "batch_size": BATCH, "optimizer": {"name": "adam", "lr": LR},
        "validation_split": 0.0, "seed": seed, "device": device})
    clock = Clock()

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, StartedEvent):
            clock.start()
        elif isinstance(event, EpochEvent) and event.epoch == EPOCHS - 1:
            clock.stop()

    trained: list[Any] = []

    def keep(model: Any, epoch: int, step: int) -> tuple[()]:
        """An epoch hook: the model, to draw its latent grid once trained."""
        trained[:] = [model]
        return ()

    final = run_local(spec, training, on_event, hooks=[keep])
    if seed == SEEDS[0]:
        images = decode_codes(trained[0].cpu(), grid_codes(2, 15, 3.0), squash=True)
        save_grid(images.images, 15)
    return {"seconds": clock.total, "bce": final.metrics["test_reconstruction"],
            "kl": final.metrics["test_kl"]}


def save_grid(encoded: Any, steps: int) -> None:
    from PIL import Image

    from app.inspect import decode

    images = decode(encoded).reshape(steps, steps, 28, 28)
    mosaic = images.permute(0, 2, 1, 3).reshape(steps * 28, steps * 28)
    GRID.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((mosaic.clamp(0, 1) * 255).byte().numpy(), mode="L").save(GRID)


def run_plain(device: str, seed: int) -> dict[str, Any]:
    x, y, x_test, _ = mnist10k()
    dev = torch.device(device)
    torch.manual_seed(seed)
    model = PlainVAE().to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    data = loader(x, y, BATCH, seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        for batch, (xb, _) in enumerate(data):
            xb = xb.to(dev)
            optimizer.zero_grad()
            bce, kl = losses(model, xb)
            (bce + kl).backward()
            optimizer.step()
            if batch % 10 == 0:
                (bce + kl).item()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        bce, kl = losses(model, x_test.to(dev))
    return {"seconds": seconds, "bce": float(bce), "kl": float(kl)}


RUNNERS = {"layerlab": run_layerlab, "plain": run_plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=RUNNERS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    if args.only:
        runs = [RUNNERS[args.only](args.device, seed) for seed in SEEDS]
        print(json.dumps({key: statistics.median(r[key] for r in runs)
                          for key in ("seconds", "bce", "kl")}))
        return
    samples = EPOCHS * 8000
    results = {name: run_isolated(Path(__file__), name, "--device", args.device)
               for name in RUNNERS}
    ours = samples / results["layerlab"]["seconds"]
    print(f"MNIST VAE (2-D latent) on mnist-10k, {EPOCHS} epochs, batch {BATCH}, "
          f"{args.device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"medians of seeds {SEEDS}")
    print(f"{'trainer':<10} {'seconds':>8} {'samples/s':>10} {'LayerLab is':>12} "
          f"{'test BCE':>9} {'test KL':>8}")
    for name, result in results.items():
        rate = samples / result["seconds"]
        print(f"{name:<10} {result['seconds']:8.2f} {rate:10.0f} {ours / rate:11.2f}x "
              f"{result['bce']:9.1f} {result['kl']:8.2f}")
    ratio = ours / (samples / results["plain"]["seconds"])
    print(f"speed: {ratio:.2f}x the plain loop ({'ok' if ratio >= TARGET else 'MISS'}: "
          f"target >= {TARGET}); the latent grid: {GRID.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
