"""Layers of generative models."""

from __future__ import annotations

from typing import ClassVar, Literal

from app.spec.base import Category, LayerSpecBase


class SamplingSpec(LayerSpecBase):
    """A VAE's latent code from two inputs, the mean and the log-variance: z = mean +
    exp(log_var / 2) * noise while training (the reparameterisation trick), the mean
    itself in evaluation. It also measures the KL divergence the vae task adds to the
    loss."""

    category: ClassVar[Category] = "generative"
    min_inputs: ClassVar[int] = 2
    max_inputs: ClassVar[int] = 2
    type: Literal["sampling"] = "sampling"
