"""Task kinds: what the target is, which loss fits, and how accuracy is counted.

A classifier may also train with a regression loss (mse, mae, rmse, huber), as courses
compare them: the loss then reads the softmax of the network's outputs against one-hot
targets, so the network still ends in one logit per class (what inspection, prediction
and the code export read) and accuracy is the argmax, counted the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from app.datasets.base import DatasetInfo
from app.nn.modules import Sampling
from app.spec.training import LossName, TaskKind

GAN_TERMS = ("discriminator", "generator", "d_real", "d_fake")
"""A GAN's parts reported beside its loss (their sum): each side's loss, and the
discriminator's mean probability of 'real' for real and for generated samples (both
0.5 when it cannot tell them apart)."""
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _rmse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(F.mse_loss(out, target) + 1e-12)


def _bce(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, target.to(out.dtype))


LOSSES: dict[str, LossFn] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "rmse": _rmse,
    "huber": F.huber_loss,
    "cross_entropy": F.cross_entropy,
    "bce": _bce,
    "nll": F.nll_loss,
}
"""Loss name -> function(output, target). bce takes logits; nll takes log-probabilities."""

CLASS_LOSSES = {"cross_entropy", "nll", "bce"}
REGRESSION_LOSSES = {"mse", "mae", "rmse", "huber"}
DEFAULT_LOSS: dict[str, LossName] = {
    "classification": "cross_entropy",
    "sequence": "cross_entropy",
    "regression": "mse",
    "reconstruction": "mse",
    "vae": "mse",
    "gan": "bce",
}
RECONSTRUCTS = ("reconstruction", "vae")  # the target is the input


class TaskError(ValueError):
    """The network, the dataset and the task don't fit together."""


@dataclass(frozen=True)
class Task:
    """Adapts outputs and targets for one task kind and loss."""

    kind: TaskKind
    loss_name: LossName
    loss_fn: LossFn
    beta: float = 1.0  # vae: the weight of the KL term

    @property
    def terms(self) -> tuple[str, ...]:
        """Names of the parts of the loss reported beside it (a VAE's two terms)."""
        if self.kind == "gan":
            return GAN_TERMS
        return ("reconstruction", "kl") if self.kind == "vae" else ()

    def loss_terms(self, model: torch.nn.Module, out: torch.Tensor, target: torch.Tensor
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The batch's loss and its parts, in the order of `terms`. A VAE's is the
        reconstruction loss summed over each sample's values (averaged over the batch)
        plus beta times the KL divergence its sampling layers measured."""
        loss = self.loss_fn(out, target)
        if self.kind != "vae":
            return loss, []
        reconstruction = loss * target[0].numel()
        kl = sum((m.kl for m in model.modules() if isinstance(m, Sampling)),
                 torch.zeros((), device=out.device))
        assert isinstance(kl, torch.Tensor)
        return reconstruction + self.beta * kl, [reconstruction, kl]

    @property
    def on_probabilities(self) -> bool:
        """A classifier trained with a regression loss: the loss compares the softmax of
        its logits with one-hot targets."""
        return self.kind == "classification" and self.loss_name in REGRESSION_LOSSES

    @property
    def counts_accuracy(self) -> bool:
        return self.kind in ("classification", "sequence")

    @property
    def regression_metrics(self) -> bool:
        return self.kind == "regression"

    def outputs_and_targets(self, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shape both so that loss_fn(out, target) is the loss of the batch."""
        if self.kind in RECONSTRUCTS:
            return out, x
        if self.kind == "sequence":
            if out.dim() == 3 and y.dim() == 2:  # (B, T, V) vs (B, T): every position
                return out.reshape(-1, out.shape[-1]), y.reshape(-1)
            if out.dim() == 3:  # (B, T, V) vs (B,): the last position predicts
                out = out[:, -1]
            if y.dim() == 2:  # (B, V) vs (B, T): predict the token after the window
                y = y[:, -1]
        if self.loss_name == "bce":
            return out.reshape(-1), y.reshape(-1)
        if self.on_probabilities:  # (B, C) probabilities against (B, C) one-hot rows
            probabilities = torch.softmax(out, dim=-1)
            return probabilities, F.one_hot(y, out.shape[-1]).to(probabilities.dtype)
        if self.kind == "regression":
            return out.reshape(y.shape), y  # e.g. (B, 1, 1) against (B, 1)
        return out, y

    def correct(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Number of right predictions in the batch (a device tensor: no sync)."""
        if self.loss_name == "bce":
            return ((out > 0).long() == target.long()).sum()
        if self.on_probabilities:  # the target is one-hot
            return (out.argmax(dim=-1) == target.argmax(dim=-1)).sum()
        return (out.argmax(dim=-1) == target).sum()


def make_task(info: DatasetInfo, kind: TaskKind | None, loss: LossName | None,
              output_shape: tuple[int, ...], output_layer: str, beta: float = 1.0) -> Task:
    """Choose task and loss, and check that the network's output fits the dataset."""
    kind = kind or info.tasks[0]
    supported = (*info.tasks, "vae") if "reconstruction" in info.tasks else info.tasks
    if info.dtype == "float":
        supported = (*supported, "gan")  # any float samples can be generated
    if kind not in supported:
        raise TaskError(f"dataset {info.name!r} supports {', '.join(supported)}, not {kind}")
    loss = loss or DEFAULT_LOSS[kind]
    if kind == "gan":  # its output is checked when the network is split (app.train.gan)
        if loss != "bce":
            raise TaskError(f"a gan trains with bce (the discriminator's logit against real "
                            f"and fake labels), not {loss}")
        return Task(kind, loss, LOSSES[loss], beta)
    if kind in ("regression", *RECONSTRUCTS) and loss in CLASS_LOSSES - {"bce"}:
        raise TaskError(f"{loss} is a classification loss: use mse, mae, rmse or huber for {kind}")
    if kind == "sequence" and loss not in CLASS_LOSSES:
        raise TaskError(f"{loss} is a regression loss: use cross_entropy (or nll) for "
                        f"{kind}")
    if kind == "sequence" and loss == "bce":
        raise TaskError("bce predicts one yes/no value: use cross_entropy (or nll) for "
                        "next-token prediction")
    _check_output(info, kind, loss, output_shape, output_layer)
    return Task(kind, loss, LOSSES[loss], beta)


def _check_output(info: DatasetInfo, kind: TaskKind, loss: str, shape: tuple[int, ...],
                  layer: str) -> None:
    gives = f"the output layer '{layer}' gives {shape}"
    if kind in RECONSTRUCTS and shape != info.input_shape:
        raise TaskError(f"{gives} but {kind} needs the input shape {info.input_shape}: "
                        "end the decoder with a reshape to it")
    if kind == "regression" and math.prod(shape) != math.prod(info.target_shape or (1,)):
        raise TaskError(f"{gives} but dataset {info.name!r} has targets of shape "
                        f"{info.target_shape}: set the last dense layer's units to "
                        f"{math.prod(info.target_shape or (1,))}")
    if kind == "classification":
        classes = info.num_classes or 0
        if loss == "bce":
            if classes != 2 or math.prod(shape) != 1:
                raise TaskError(f"{gives}; bce needs 2 classes and 1 output unit "
                                f"(dataset {info.name!r} has {classes} classes)")
        elif shape != (classes,):
            probabilities = (f"; {loss} compares the softmax of one logit per class with "
                             "one-hot targets" if loss in REGRESSION_LOSSES else "")
            raise TaskError(f"{gives} but dataset {info.name!r} has {classes} classes: "
                            f"end with a dense layer of {classes} units{probabilities}")
    if kind == "sequence" and shape[-1:] != (info.vocab_size,):
        raise TaskError(f"{gives} but dataset {info.name!r} has a vocabulary of "
                        f"{info.vocab_size}: end with a dense layer of {info.vocab_size} units")
    if kind == "sequence" and len(shape) == 2 and shape[0] != info.input_shape[0]:
        raise TaskError(f"{gives}: one prediction per position needs {info.input_shape[0]} "
                        "positions, as many as the input; or pool to one vector")
