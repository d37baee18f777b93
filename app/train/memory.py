"""Memory a training batch needs, estimated from the traced shapes before anything is
allocated: a run whose batch would not fit is refused when it is created, not killed
by the kernel's out-of-memory killer once it trains."""

from __future__ import annotations

from collections.abc import Collection

from app.nn import NetworkSummary
from app.spec import SpecLimits
from app.train.tasks import TaskError


def batch_activation_mb(summary: NetworkSummary, batch: int) -> float:
    """Activations of `batch` samples: every layer's output and attention's score
    matrices, kept from the forward pass for the backward pass."""
    return summary.activation_mb * batch


def layers_mb(summary: NetworkSummary, layer_ids: Collection[str]) -> float:
    """Activations of one sample through the layers `layer_ids` alone: a GAN's
    discriminator also judges the real batch beside the generated one."""
    return sum(layer.activation_bytes for layer in summary.layers
               if layer.id in layer_ids) / 2**20


def fitting_batch(summary: NetworkSummary, limits: SpecLimits | None, wanted: int) -> int:
    """The largest batch up to `wanted` whose activations fit the bound (at least 1)."""
    bound = (limits or SpecLimits()).batch_bound_mb()
    if summary.activation_mb <= 0:
        return wanted
    return max(1, min(wanted, int(bound // summary.activation_mb)))


def check_batch_memory(summary: NetworkSummary, batch_size: int,
                       limits: SpecLimits | None, extra_mb: float = 0.0) -> None:
    """Refuse a batch whose activations exceed LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB
    (by default a share of the worker's or the machine's memory), saying what to change;
    `extra_mb` per sample is held beside the network's own (a GAN's real batch)."""
    bound = (limits or SpecLimits()).batch_bound_mb()
    per_sample = summary.activation_mb + extra_mb
    needed = per_sample * batch_size
    if needed <= bound:
        return
    fits = int(bound // per_sample)
    change = (f"set training.batch_size to {fits:,} or less, or use" if fits >= 1
              else "even one sample does not fit: use")
    raise TaskError(
        f"a batch of {batch_size:,} samples needs about {needed:,.0f} MiB of activations "
        f"({per_sample:,.3g} MiB per sample, attention's score matrices "
        f"included), over the bound of {bound:,.0f} MiB "
        f"(LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB): {change} fewer filters, heads or "
        "tokens, or a smaller input")
