"""Per-layer gradient norms, measured during training and reported per epoch.

Speed rules (see DESIGN.md): the squared norms accumulate on the device (one fused norm
over the gradients and one multiply-add a measured step) and are copied out once, at the
epoch's end, where they are summed into layers. Every EVERY-th step is measured: on the
smallest networks, whose steps take a millisecond, measuring each one would cost a
tenth of the training time (benchmarks/gradient_norms_overhead.py).
"""

from __future__ import annotations

import math

import torch

from app.nn.graph_module import GraphNet
from app.spec.gradients import GRAD_NORM_RATIO, grad_norm_name

EVERY = 4
"""The steps measured: the first of each epoch and every EVERY-th after it."""


class GradientNorms:
    """Each trainable layer's gradient norm over an epoch: the root mean square, over the
    epoch's measured steps (see EVERY), of the L2 norm of the layer's gradient (its
    trainable parameters together). `skip_overflow`: leave out a parameter's non-finite
    gradients (fp16 steps the gradient scaler skips), at two more operations a step."""

    def __init__(self, model: torch.nn.Module, device: torch.device,
                 skip_overflow: bool = False, every: int = EVERY) -> None:
        self.every, self.seen = every, 0  # steps this epoch
        self.layers: list[str] = []
        self.params: list[torch.nn.Parameter] = []
        self.owner: list[int] = []  # the layer of each parameter
        layers = ([(node.layer_id, model.layer(node.layer_id)) for node in model.nodes]
                  if isinstance(model, GraphNet) else [])
        for layer_id, module in layers:
            mine = [p for p in module.parameters() if p.requires_grad]
            if mine:
                self.owner.extend([len(self.layers)] * len(mine))
                self.layers.append(layer_id)
                self.params.extend(mine)
        self.skip_overflow = skip_overflow
        self.squares = torch.zeros(len(self.params), device=device)  # summed over steps
        self.steps = torch.zeros(len(self.params), device=device)  # steps with a gradient

    def after_step(self) -> None:
        """Add the gradients now in place (a step's, after backward) to the epoch's sums,
        on the steps measured."""
        self.seen += 1
        if (self.seen - 1) % self.every or not self.params:
            return
        grads = [p.grad for p in self.params]
        present = [g for g in grads if g is not None]
        if len(present) < len(grads):  # a parameter this step did not reach
            self._add_some(grads)
            return
        norms = torch.stack(torch._foreach_norm(present)).float()  # (parameters,)
        if self.skip_overflow:
            finite = norms.isfinite()
            norms = torch.where(finite, norms, 0.0)
            self.steps.add_(finite)
        else:
            self.steps.add_(1.0)
        self.squares.addcmul_(norms, norms)

    def _add_some(self, grads: list[torch.Tensor | None]) -> None:
        for at, grad in enumerate(grads):
            if grad is not None:
                norm = torch.linalg.vector_norm(grad.detach().float())
                counted = norm.isfinite() if self.skip_overflow else torch.ones_like(norm)
                self.squares[at] += torch.where(counted.bool(), norm.square(), 0.0)
                self.steps[at] += counted.float()

    def state(self) -> dict[str, torch.Tensor]:
        """The epoch's sums so far, for a checkpoint: a run resumed mid-epoch goes on
        with them."""
        return {"grad_norms.squares": self.squares, "grad_norms.steps": self.steps,
                "grad_norms.seen": torch.tensor(self.seen)}

    def load_state(self, tensors: dict[str, torch.Tensor]) -> None:
        """Go on from `state`'s sums (a checkpoint without them, or of another network:
        the epoch's measuring starts again)."""
        squares, steps = tensors.get("grad_norms.squares"), tensors.get("grad_norms.steps")
        if squares is None or steps is None or squares.shape != self.squares.shape:
            return
        self.squares.copy_(squares)
        self.steps.copy_(steps)
        self.seen = int(tensors["grad_norms.seen"])

    def epoch_metrics(self) -> dict[str, float]:
        """`grad_norm/<layer>` for each layer that had a gradient this epoch, and
        `grad_norm_ratio` (the first such layer's over the last's); the sums start again."""
        self.seen = 0
        if not self.params:
            return {}
        squares, steps = torch.stack([self.squares, self.steps]).tolist()  # one copy out
        self.squares.zero_()
        self.steps.zero_()
        per_layer = [0.0] * len(self.layers)
        reached = [False] * len(self.layers)
        for layer, square, n in zip(self.owner, squares, steps, strict=True):
            if n:
                per_layer[layer] += square / n
                reached[layer] = True
        means = {self.layers[i]: math.sqrt(v) for i, v in enumerate(per_layer) if reached[i]}
        metrics = {grad_norm_name(layer): mean for layer, mean in means.items()}
        values = list(means.values())
        if len(values) >= 2 and values[-1] > 0 and math.isfinite(values[0] / values[-1]):
            metrics[GRAD_NORM_RATIO] = values[0] / values[-1]
        return {k: v for k, v in metrics.items() if math.isfinite(v)}


__all__ = ["GradientNorms"]
