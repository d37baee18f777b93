"""The training speed settings side by side: a small CNN (conv 16, pool, conv 32, pool,
dense 10; ReLU) on mnist-10k, Adam 1e-3, batch 64, LayerLab's trainer vs a plain
PyTorch loop (a DataLoader, .item() every 10 batches, as pytorch/examples' mnist)
applying the same setting by hand: autocast (and a GradScaler for fp16), channels_last
model and batches, torch.compile. Each contender and setting trains in a fresh process.

The first epoch is a warm-up (torch.compile compiles there, oneDNN picks its kernels)
and is not timed; samples/s is that of the fastest later epoch, which other work on a
shared machine disturbs least. A setting is named by its parts,
joined by '+': fp32 (nothing), bf16, fp16, channels_last, compile; e.g.
bf16+channels_last. By default the CPU gets fp32, bf16, channels_last and compile, and
CUDA adds fp16 and bf16+channels_last. Without bf16 units (AVX-512 BF16, AMX) or a
tensor-core GPU, low precision is expected to be slower than fp32, not faster.

    python benchmarks/speed_options.py                  # CPU, the default settings
    python benchmarks/speed_options.py --device cuda --epochs 4
    python benchmarks/speed_options.py --settings fp32,bf16 --epochs 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from common import loader, mnist10k, run_isolated, use_local_mnist

BATCH, LR, SEED = 64, 1e-3, 0
DEFAULTS = {"cpu": ["fp32", "bf16", "channels_last", "compile"],
            "cuda": ["fp32", "bf16", "fp16", "channels_last", "bf16+channels_last", "compile"]}
CONTENDERS = ("layerlab", "plain")
PARTS = ("fp32", "bf16", "fp16", "channels_last", "compile")


def settings_of(name: str) -> dict[str, Any]:
    """'bf16+channels_last' -> the training settings it stands for."""
    parts = name.split("+")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise SystemExit(f"unknown setting {unknown[0]!r}: use {', '.join(PARTS)} joined by +")
    precision = next((p for p in parts if p in ("bf16", "fp16")), "fp32")
    return {"precision": precision, "channels_last": "channels_last" in parts,
            "compile": "compile" in parts}


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (B, 16, 14, 14)
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


CNN_SPEC = {"name": "CNN", "input": {"shape": [1, 28, 28]}, "layers": [
    {"id": "conv1", "type": "conv2d", "filters": 16, "kernel_size": 3, "padding": 1,
     "activation": "relu"},
    {"id": "pool1", "type": "maxpool2d", "pool_size": 2},
    {"id": "conv2", "type": "conv2d", "filters": 32, "kernel_size": 3, "padding": 1,
     "activation": "relu"},
    {"id": "pool2", "type": "maxpool2d", "pool_size": 2},
    {"id": "flat", "type": "flatten"},
    {"id": "out", "type": "dense", "units": 10},
]}


def run_layerlab(device: str, setting: str, epochs: int) -> dict[str, Any]:
    use_local_mnist()
    from app.runs import run_local
    from app.spec import parse_network
    from app.spec.events import EpochEvent, TrainingEvent
    from app.spec.training import TrainingSpec

    training = TrainingSpec.model_validate({
        "dataset": {"name": "mnist-10k"}, "epochs": epochs, "batch_size": BATCH,
        "optimizer": {"name": "adam", "lr": LR}, "validation_split": 0.0, "seed": SEED,
        "device": device, **settings_of(setting)})
    epochs_seen: list[EpochEvent] = []

    def on_event(event: TrainingEvent) -> None:
        if isinstance(event, EpochEvent):
            epochs_seen.append(event)

    final = run_local(parse_network(CNN_SPEC), training, on_event)
    if final.status != "completed":
        raise SystemExit(f"layerlab {setting}: {final.status}: {final.reason}")
    return {"seconds": [e.seconds for e in epochs_seen[1:]],  # the first one warms up
            "train_loss": epochs_seen[-1].metrics["train_loss"],
            "memory_mb": epochs_seen[-1].memory_mb}


def run_plain(device: str, setting: str, epochs: int) -> dict[str, Any]:
    x, y, _, _ = mnist10k()
    options, dev = settings_of(setting), torch.device(device)
    torch.manual_seed(SEED)
    model = cnn().to(dev)
    memory = torch.channels_last if options["channels_last"] else torch.contiguous_format
    model = model.to(memory_format=memory)
    forward = torch.compile(model) if options["compile"] else model
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(options["precision"])
    scaler = torch.amp.GradScaler(device) if dtype == torch.float16 else None
    # fp16: the fused Adam, as LayerLab takes, checks the scaler's inf flag on the device
    optimizer = torch.optim.Adam(model.parameters(), lr=LR,
                                 fused=True if scaler is not None else None)
    data = loader(x, y, BATCH, SEED)
    timed, losses = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        for batch, (xb, yb) in enumerate(data):
            xb, yb = xb.to(dev).contiguous(memory_format=memory), yb.to(dev)
            with torch.autocast(device, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                out = forward(xb)
            loss = nn.functional.cross_entropy(out.float(), yb)
            optimizer.zero_grad()
            (loss if scaler is None else scaler.scale(loss)).backward()
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
                scaler.update()
            if batch % 10 == 0:
                losses.append(loss.item())
        if device == "cuda":
            torch.cuda.synchronize()
        if epoch > 0:
            timed.append(time.perf_counter() - start)
    return {"seconds": timed, "train_loss": losses[-1], "memory_mb": None}


RUNNERS = {"layerlab": run_layerlab, "plain": run_plain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CONTENDERS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--settings", help="comma-separated, e.g. fp32,bf16+channels_last")
    parser.add_argument("--epochs", type=int, default=4, help="including the warm-up one")
    args = parser.parse_args()
    if args.epochs < 2:
        raise SystemExit("--epochs must be at least 2: the first one is not timed")
    settings = args.settings.split(",") if args.settings else DEFAULTS[args.device]
    if args.only:
        print(json.dumps(RUNNERS[args.only](args.device, settings[0], args.epochs)))
        return
    print(f"CNN on mnist-10k, batch {BATCH}, {args.epochs} epochs (the first not timed; "
          f"samples/s of the fastest other), {args.device}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"{'setting':<24} {'LayerLab/s':>10} {'plain/s':>9} {'ratio':>6} "
          f"{'vs fp32':>8} {'loss (LL / plain)':>18} {'LL peak MB':>10}")
    base: float | None = None
    for setting in settings:
        ours, plain = (run_isolated(Path(__file__), name, "--device", args.device,
                                    "--settings", setting, "--epochs", str(args.epochs))
                       for name in CONTENDERS)
        ours_rate, plain_rate = (8000 / min(r["seconds"]) for r in (ours, plain))
        base = base or (ours_rate if setting == "fp32" else None)
        versus = f"{ours_rate / base:7.2f}x" if base else f"{'':>8}"
        memory = f"{ours['memory_mb']:10.0f}" if ours["memory_mb"] else f"{'':>10}"
        print(f"{setting:<24} {ours_rate:10.0f} {plain_rate:9.0f} {ours_rate / plain_rate:5.2f}x "
              f"{versus} {ours['train_loss']:8.3f} / {plain['train_loss']:.3f} {memory}")


if __name__ == "__main__":
    main()
