"""Weights as training would leave them, and seeded batches, for the tests that check a
network written out and read back (exports, imports) computes what it did."""

from __future__ import annotations

import torch

from app.nn import build
from app.spec import NetworkSpec


def trained_state(spec: NetworkSpec) -> dict[str, torch.Tensor]:
    """Seeded weights unlike any fresh initialisation (biases, norms and BatchNorm
    statistics included) but of the same scale, as training would leave them."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    state = {}
    for key, value in build(spec).state_dict().items():
        if not value.is_floating_point():
            state[key] = value
        elif key.endswith("running_var"):
            state[key] = torch.rand(value.shape, generator=generator) + 0.5
        else:
            spread = value.std().item() if value.numel() > 1 else 0.0
            noise = torch.randn(value.shape, generator=generator)
            state[key] = value + 0.5 * (spread or 0.1) * noise
    return state


def reference_model(spec: NetworkSpec, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    model = build(spec)
    model.load_state_dict(state)
    return model.eval()


def random_batch(spec: NetworkSpec, batch: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, *spec.input.shape)
    if spec.input.dtype == "token":
        assert spec.input.vocab_size is not None
        return torch.randint(0, spec.input.vocab_size, shape, generator=generator)
    return torch.randn(shape, generator=generator)
