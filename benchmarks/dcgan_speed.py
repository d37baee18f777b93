"""A DCGAN on mnist-10k: the MNIST DCGAN preset (100 numbers of noise, dense to 128x7x7,
two stride-2 transposed convolutions to a 28x28 image; a discriminator of two stride-2
convolutions and one logit), bce with the non-saturating generator loss, Adam 2e-4
betas (0.5, 0.999), batch 64, 2 epochs, CPU. LayerLab's trainer (the gan task) vs a
plain PyTorch loop of the same two models with two optimizers and a DataLoader, each in
a fresh process.

Both train on the same 7,200 images (LayerLab's default validation split of 0.1 holds
out the rest) and do the same work per batch: D on the real batch and on a fresh fake
batch, then G through D on fresh noise. The plain loop is the textbook one (fakes
detached for D, D's gradients computed and thrown away during G's update); like
LayerLab it draws the 64 fixed-noise samples every 50 steps and scores both losses on
the held-out images at each epoch's end.

Target: samples/s (real training images per second) >= 0.95x the plain loop. Each side's
final losses are printed (the last epoch's means while training, and on the 2,000 test
digits against as many fakes); LayerLab's last sample grid is saved as
build/benchmarks/dcgan_samples.png to look at.

    python benchmarks/dcgan_speed.py
    python benchmarks/dcgan_speed.py --epochs 1 --seeds 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from common import ROOT, Clock, loader, mnist10k, run_isolated, use_local_mnist

EPOCHS, BATCH, LR, BETAS = 2, 64, 2e-4, (0.5, 0.999)
SEEDS = 3  # seeds 0, 1, 2: about 35 s a run on 2 idle CPU cores, 4 to 5 minutes in all
VALIDATION, NOISE, SAMPLE_EVERY, SAMPLES = 0.1, 100, 50, 64
TARGET = 0.95
GRID = ROOT / "build" / "benchmarks" / "dcgan_samples.png"
KEYS = ("seconds", "train_d", "train_g", "test_d", "test_g")


class Generator(nn.Module):
    """The preset's generator layers, written by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(NOISE, 128 * 7 * 7, bias=False), nn.Unflatten(1, (128, 7, 7)),
            nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(z)
        return out


class Discriminator(nn.Module):
    """The preset's discriminator layers, written by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out


def bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    logits = logits.reshape(-1)
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def run_layerlab(device: str, seed: int, epochs: int) -> dict[str, Any]:
    use_local_mnist()
    from app.runs import run_local
    from app.spec.events import EpochEvent, StartedEvent, TrainingEvent
    from app.spec.presets import read_network
    from app.spec.training import TrainingSpec

    spec = read_network(ROOT / "models" / "mnist-dcgan.json")
    training = TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "task": "gan", "loss": "bce", "epochs": epochs,
        "batch_size": BATCH, "optimizer": {"name": "adam", "lr": LR, "betas": list(BETAS)},
        "validation_split": VALIDATION, "seed": seed, "device": device,
        "gan": {"sample_every": SAMPLE_EVERY, "samples": SAMPLES}})
    clock, last_epoch = Clock(), {}

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, StartedEvent):
            assert event.train_samples == train_samples(), event.train_samples
            clock.start()
        elif isinstance(event, EpochEvent) and event.epoch == epochs - 1:
            clock.stop()
            last_epoch.update(event.metrics)

    grids: list[torch.Tensor] = []

    def keep(samples: torch.Tensor, epoch: int, step: int) -> tuple[()]:
        """The sample hook: the generator's samples for the run's fixed noise."""
        grids[:] = [samples]
        return ()

    final = run_local(spec, training, on_event, sample_hook=keep)
    if final.status != "completed":
        raise RuntimeError(f"the run ended {final.status}: {final.reason}")
    if seed == 0:
        save_grid(grids[0])
    return {"seconds": clock.total, "train_d": last_epoch["train_discriminator"],
            "train_g": last_epoch["train_generator"],
            "test_d": final.metrics["test_discriminator"],
            "test_g": final.metrics["test_generator"]}


def save_grid(samples: torch.Tensor, scale: int = 4, gap: int = 2) -> None:
    """An 8x8 mosaic of (64, 1, 28, 28) samples in [0, 1], grey between the tiles,
    upscaled without smoothing."""
    from PIL import Image

    side = int(len(samples) ** 0.5)
    tiles = F.pad(samples[:side * side, 0], (0, gap, 0, gap), value=0.5)
    size = 28 + gap
    mosaic = tiles.reshape(side, side, size, size).permute(0, 2, 1, 3).reshape(side * size,
                                                                                side * size)
    mosaic = F.pad(mosaic, (gap, 0, gap, 0), value=0.5)
    image = Image.fromarray((mosaic.clamp(0, 1) * 255).byte().numpy(), mode="L")
    GRID.parent.mkdir(parents=True, exist_ok=True)
    image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST).save(GRID)


def train_samples() -> int:
    return 8000 - int(8000 * VALIDATION)


@torch.no_grad()
def score(generator: Generator, discriminator: Discriminator, x: torch.Tensor,
          noise: torch.Tensor) -> tuple[float, float]:
    """(D loss, G loss) in eval mode on real images and as many fakes."""
    generator.eval()
    discriminator.eval()
    real, fake = discriminator(x), discriminator(generator(noise))
    generator.train()
    discriminator.train()
    return float(bce(real, 1.0) + bce(fake, 0.0)), float(bce(fake, 1.0))


def run_plain(device: str, seed: int, epochs: int) -> dict[str, Any]:
    from app.train import holdout  # the same held-out images as LayerLab's split

    x, y, x_test, _ = mnist10k()
    val, train = holdout(len(x), VALIDATION, seed)
    assert len(train) == train_samples()
    dev = torch.device(device)
    torch.manual_seed(seed)
    generator, discriminator = Generator().to(dev), Discriminator().to(dev)
    opt_g = torch.optim.Adam(generator.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=BETAS)
    fixed = torch.randn(SAMPLES, NOISE, generator=torch.Generator().manual_seed(seed + 1))
    fixed, x_val = fixed.to(dev), x[val].to(dev)
    val_noise = torch.randn(len(val), NOISE, generator=torch.Generator().manual_seed(seed + 2))
    data = loader(x[train], y[train], BATCH, seed)

    def sample() -> torch.Tensor:
        with torch.no_grad():
            generator.eval()
            samples = generator(fixed).cpu()
            generator.train()
        return samples

    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        sums, seen = torch.zeros(2, device=dev), 0
        for batch, (real, _) in enumerate(data):
            if step % SAMPLE_EVERY == 0:
                sample()
            real = real.to(dev)
            n = len(real)
            fake = generator(torch.randn(n, NOISE, device=dev))
            d_loss = bce(discriminator(real), 1.0) + bce(discriminator(fake.detach()), 0.0)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(discriminator(generator(torch.randn(n, NOISE, device=dev))), 1.0)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            sums += torch.stack([d_loss.detach(), g_loss.detach()]) * n
            seen += n
            step += 1
            if batch % 10 == 0:
                d_loss.item(), g_loss.item()
        score(generator, discriminator, x_val, val_noise.to(dev))  # the epoch's validation
    seconds = time.perf_counter() - start
    sample()  # the generator the run ends with
    train_d, train_g = (sums / seen).tolist()
    test_noise = torch.randn(len(x_test), NOISE,
                             generator=torch.Generator().manual_seed(seed + 2)).to(dev)
    test_d, test_g = score(generator, discriminator, x_test.to(dev), test_noise)
    return {"seconds": seconds, "train_d": train_d, "train_g": train_g, "test_d": test_d,
            "test_g": test_g}


RUNNERS = {"layerlab": run_layerlab, "plain": run_plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=RUNNERS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seeds", type=int, default=SEEDS, help="seeds 0 to this - 1")
    args = parser.parse_args()
    seeds = tuple(range(args.seeds))
    if args.only:
        runs = [RUNNERS[args.only](args.device, seed, args.epochs) for seed in seeds]
        print(json.dumps({key: statistics.median(r[key] for r in runs) for key in KEYS}))
        return
    samples = args.epochs * train_samples()
    results = {name: run_isolated(Path(__file__), name, "--device", args.device,
                                  "--epochs", str(args.epochs), "--seeds", str(args.seeds))
               for name in RUNNERS}
    ours = samples / results["layerlab"]["seconds"]
    print(f"MNIST DCGAN on mnist-10k ({train_samples()} training images), {args.epochs} "
          f"epochs, batch {BATCH}, Adam {LR:g} betas {BETAS}, {args.device}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; medians of seeds {seeds}")
    print(f"{'trainer':<10} {'seconds':>8} {'samples/s':>10} {'LayerLab is':>12} "
          f"{'train D':>8} {'train G':>8} {'test D':>7} {'test G':>7}")
    for name, result in results.items():
        rate = samples / result["seconds"]
        print(f"{name:<10} {result['seconds']:8.2f} {rate:10.0f} {ours / rate:11.2f}x "
              f"{result['train_d']:8.3f} {result['train_g']:8.3f} {result['test_d']:7.3f} "
              f"{result['test_g']:7.3f}")
    ratio = ours / (samples / results["plain"]["seconds"])
    print(f"speed: {ratio:.2f}x the plain loop ({'ok' if ratio >= TARGET else 'MISS'}: "
          f"target >= {TARGET}); losses: D = bce(D(real), 1) + bce(D(fake), 0), G = "
          f"bce(D(fake), 1), the last epoch's means and on the test digits; LayerLab's "
          f"samples: {GRID.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
