"""The names under which a run's epochs report its layers' gradient norms, shared by the
trainer that measures them, the store that keeps them and the claims that read them."""

from __future__ import annotations

GRAD_NORM_PREFIX = "grad_norm/"
"""`grad_norm/<layer id>`: the L2 norm of the layer's gradient (all its trainable
parameters together, after any clipping), averaged over the epoch's steps."""
GRAD_NORM_RATIO = "grad_norm_ratio"
"""The first trainable layer's grad_norm over the last's, in the network's order: far
below 1 when the gradient vanishes on its way back."""


def grad_norm_name(layer_id: str) -> str:
    return GRAD_NORM_PREFIX + layer_id


def is_gradient_metric(name: str) -> bool:
    """Whether an epoch metric measures gradients (not how well the network does)."""
    return name.startswith(GRAD_NORM_PREFIX) or name == GRAD_NORM_RATIO


__all__ = ["GRAD_NORM_PREFIX", "GRAD_NORM_RATIO", "grad_norm_name", "is_gradient_metric"]
