"""Task kinds, one object each: what sets a kind apart lives on it — the datasets it fits,
its default loss and the losses it takes, what the network's output must look like, how
outputs meet targets, the metrics and loss terms it reports, the inspect views it adds and
the dashboard charts it draws. Code elsewhere asks the kind; it never tests a kind's name.

A new kind is a subclass registered with `@task_kind` (and its name in the spec's
`TaskKind`); a test checks that the two list the same kinds."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from app.datasets.base import DatasetInfo
from app.nn.logits import Squash
from app.nn.modules import Sampling
from app.spec import NetworkSpec
from app.spec.training import LossName, TaskKind
from app.spec.views import OutputKind
from app.train.losses import CLASS_LOSSES, REGRESSION_LOSSES

GAN_TERMS = ("discriminator", "generator", "d_real", "d_fake")
"""A GAN's parts reported beside its loss (their sum): each side's loss, and the
discriminator's mean probability of 'real' for real and for generated samples (both
0.5 when it cannot tell them apart)."""


class TaskError(ValueError):
    """The network, the dataset and the task don't fit together."""


class TaskKindDef:
    """One task kind. Subclasses set the class attributes and override the checks and the
    output/target adaptation where the kind differs from a plain supervised task."""

    name: ClassVar[TaskKind]
    description: ClassVar[str]
    default_loss: ClassVar[LossName]
    reconstructs: ClassVar[bool] = False  # the target is the input itself
    reads_samples: ClassVar[bool] = True  # False: the network reads noise, not the dataset
    counts_accuracy: ClassVar[bool] = False
    regression_metrics: ClassVar[bool] = False  # mae and r2
    terms: ClassVar[tuple[str, ...]] = ()  # the parts of the loss reported beside it
    views: ClassVar[tuple[str, ...]] = ()  # inspect views only this kind gives
    charts: ClassVar[tuple[str, ...]] = ("loss",)  # the dashboard's charts of its metrics
    # the training fields only this kind (and kinds built on it) reads
    settings: ClassVar[tuple[str, ...]] = ()
    # training settings a client takes when a person switches to this kind
    training_defaults: ClassVar[dict[str, Any]] = {}

    @property
    def metrics(self) -> tuple[str, ...]:
        """What each report carries (as train_<name>, val_<name>, test_<name>)."""
        return ("loss", *(("accuracy",) if self.counts_accuracy else ()),
                *(("mae", "r2") if self.regression_metrics else ()), *self.terms)

    def supported_by(self, info: DatasetInfo) -> bool:
        """Whether a dataset can be trained on with this kind."""
        return self.name in info.tasks

    def check_loss(self, loss: LossName) -> None:
        """Raise TaskError when the loss does not fit the kind."""

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
        """Raise TaskError when the network's output shape does not fit the dataset;
        `gives` names the output layer and its shape, to begin the message."""

    def check_network(self, spec: NetworkSpec) -> None:
        """Raise TaskError when the network lacks a layer the kind needs."""

    def output(self, loss: LossName) -> OutputKind:
        """What the network's output means, for inspection."""
        return "value"

    def on_probabilities(self, loss: LossName) -> bool:
        """Whether the loss reads the softmax of the logits against one-hot targets."""
        return False

    def squash_in_loss(self, loss: LossName) -> Squash | None:
        """The squash the loss applies to the network's output itself (cross_entropy a
        softmax, bce a sigmoid): an output layer ending in it trains on the logits
        before it (app.nn.logits)."""
        if loss == "cross_entropy" or self.on_probabilities(loss):
            return "softmax"
        return "sigmoid" if loss == "bce" else None

    def outputs_and_targets(self, loss: LossName, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shape both so that the loss of (out, target) is the loss of the batch."""
        if self.reconstructs:
            return out, x
        if loss == "bce":
            return out.reshape(-1), y.reshape(-1)
        return out, y

    def correct(self, loss: LossName, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Number of right predictions in the batch (a device tensor: no sync)."""
        return (out.argmax(dim=-1) == target).sum()

    def loss_terms(self, beta: float, model: torch.nn.Module, loss: torch.Tensor,
                   target: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The batch's loss and its parts (in the order of `terms`) from the loss of
        (out, target)."""
        return loss, []


TASK_KINDS: dict[str, TaskKindDef] = {}
"""Kind name -> its definition, in the order datasets list them."""


def task_kind(cls: type[TaskKindDef]) -> type[TaskKindDef]:
    """Register a task kind (a class decorator)."""
    TASK_KINDS[cls.name] = cls()
    return cls


def kind_of(name: str | None, info: DatasetInfo) -> TaskKindDef:
    """The kind a run trains: the one it names, or its dataset's first."""
    return TASK_KINDS[name or info.tasks[0]]


def _refuse_class_losses(kind: str, loss: LossName) -> None:
    if loss in CLASS_LOSSES - {"bce"}:
        raise TaskError(f"{loss} is a classification loss: use mse, mae, rmse or huber for "
                        f"{kind}")


@task_kind
class Classification(TaskKindDef):
    """A class per sample. A classifier may also train with a regression loss (mse, mae,
    rmse, huber), as courses compare them: the loss then reads the softmax of the logits
    against one-hot targets, so the network still ends in one logit per class (what
    inspection, prediction and the code export read) and accuracy is the argmax."""

    name = "classification"
    description = "Predict a class for each sample."
    default_loss = "cross_entropy"
    counts_accuracy = True
    views = ("confusion",)
    charts = ("loss", "accuracy")

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
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

    def output(self, loss: LossName) -> OutputKind:
        return "binary" if loss == "bce" else "classes"

    def on_probabilities(self, loss: LossName) -> bool:
        return loss in REGRESSION_LOSSES

    def outputs_and_targets(self, loss: LossName, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.on_probabilities(loss):  # (B, C) probabilities against (B, C) one-hot rows
            probabilities = torch.softmax(out, dim=-1)
            return probabilities, F.one_hot(y, out.shape[-1]).to(probabilities.dtype)
        return super().outputs_and_targets(loss, out, x, y)

    def correct(self, loss: LossName, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if loss == "bce":
            return ((out > 0).long() == target.long()).sum()
        if self.on_probabilities(loss):  # the target is one-hot
            return (out.argmax(dim=-1) == target.argmax(dim=-1)).sum()
        return super().correct(loss, out, target)


@task_kind
class Regression(TaskKindDef):
    name = "regression"
    description = "Predict a number (or a few) for each sample."
    default_loss = "mse"
    regression_metrics = True
    views = ("predictions",)

    def check_loss(self, loss: LossName) -> None:
        _refuse_class_losses(self.name, loss)

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
        size = math.prod(info.target_shape or (1,))
        if math.prod(shape) != size:
            raise TaskError(f"{gives} but dataset {info.name!r} has targets of shape "
                            f"{info.target_shape}: set the last dense layer's units to {size}")

    def outputs_and_targets(self, loss: LossName, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if loss == "bce":
            return super().outputs_and_targets(loss, out, x, y)
        return out.reshape(y.shape), y  # e.g. (B, 1, 1) against (B, 1)


@task_kind
class Reconstruction(TaskKindDef):
    name: ClassVar[TaskKind] = "reconstruction"  # typed wide: Vae extends this kind
    description = "Give the input back (an autoencoder): the input is the target."
    default_loss = "mse"
    reconstructs = True
    views: ClassVar[tuple[str, ...]] = ("reconstructions",)
    settings: ClassVar[tuple[str, ...]] = ("input_noise",)

    def check_loss(self, loss: LossName) -> None:
        _refuse_class_losses(self.name, loss)

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
        if shape != info.input_shape:
            raise TaskError(f"{gives} but {self.name} needs the input shape "
                            f"{info.input_shape}: end the decoder with a reshape to it")

    def output(self, loss: LossName) -> OutputKind:
        return "reconstruction"


@task_kind
class NextToken(TaskKindDef):
    name: ClassVar[TaskKind] = "sequence"  # typed wide: Seq2Seq extends this kind
    description = "Predict the next token of a sequence (a language model)."
    default_loss = "cross_entropy"
    counts_accuracy = True
    views = ("generate",)
    charts = ("loss", "accuracy")

    def check_loss(self, loss: LossName) -> None:
        if loss not in CLASS_LOSSES:
            raise TaskError(f"{loss} is a regression loss: use cross_entropy (or nll) for "
                            f"{self.name}")
        if loss == "bce":
            raise TaskError("bce predicts one yes/no value: use cross_entropy (or nll) for "
                            "next-token prediction")

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
        if shape[-1:] != (info.vocab_size,):
            raise TaskError(f"{gives} but dataset {info.name!r} has a vocabulary of "
                            f"{info.vocab_size}: end with a dense layer of {info.vocab_size} "
                            "units")
        if len(shape) == 2 and shape[0] != info.input_shape[0]:
            raise TaskError(f"{gives}: one prediction per position needs "
                            f"{info.input_shape[0]} positions, as many as the input; or pool "
                            "to one vector")

    def output(self, loss: LossName) -> OutputKind:
        return "tokens"

    def outputs_and_targets(self, loss: LossName, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if out.dim() == 3 and y.dim() == 2:  # (B, T, V) vs (B, T): every position
            return out.reshape(-1, out.shape[-1]), y.reshape(-1)
        if out.dim() == 3:  # (B, T, V) vs (B,): the last position predicts
            out = out[:, -1]
        if y.dim() == 2:  # (B, V) vs (B, T): predict the token after the window
            y = y[:, -1]
        return out, y


@task_kind
class Seq2Seq(NextToken):
    """Translation with an encoder-decoder: the input holds the source tokens, then the
    decoder's input (a start token and the target shifted right by one: teacher
    forcing), and the network gives one prediction per target position. Accuracy
    counts tokens; greedy decoding (the translate view) feeds the decoder its own
    predictions instead."""

    name = "seq2seq"
    description = ("Translate a source sequence to a target sequence (an encoder-decoder "
                   "trained with teacher forcing).")
    views = ("translate",)

    def supported_by(self, info: DatasetInfo) -> bool:
        return self.name in info.tasks and info.source_len is not None

    def check_output(self, info: DatasetInfo, loss: LossName, shape: tuple[int, ...],
                     gives: str) -> None:
        positions = info.target_shape[0]
        if shape != (positions, info.vocab_size):
            raise TaskError(f"{gives} but dataset {info.name!r} needs one score per token of "
                            f"its vocabulary of {info.vocab_size} at each of the "
                            f"{positions} target positions, ({positions}, {info.vocab_size}): "
                            f"end with a dense layer of {info.vocab_size} units on the "
                            "decoder's output")

    def outputs_and_targets(self, loss: LossName, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # (B, T, V) against (B, T): every target position is one prediction
        return out.reshape(-1, out.shape[-1]), y.reshape(-1)


@task_kind
class Vae(Reconstruction):
    name = "vae"
    description = ("A variational autoencoder: reconstruct the input through a sampled "
                   "latent code, the KL divergence keeping the codes near a unit gaussian.")
    terms = ("reconstruction", "kl")
    views = ("reconstructions", "latent", "latent/grid", "latent/interpolate")
    charts = ("loss", "terms")
    settings = ("input_noise", "beta")

    def supported_by(self, info: DatasetInfo) -> bool:
        return "reconstruction" in info.tasks

    def check_network(self, spec: NetworkSpec) -> None:
        if not any(layer.type == "sampling" for layer in spec.layers):
            raise TaskError("a vae needs a sampling layer: add one that reads a mean and a "
                            "log-variance layer (two dense layers of the latent size)")

    def loss_terms(self, beta: float, model: torch.nn.Module, loss: torch.Tensor,
                   target: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The reconstruction loss summed over each sample's values (averaged over the
        batch) plus beta times the KL divergence its sampling layers measured."""
        reconstruction = loss * target[0].numel()
        kl = sum((m.kl for m in model.modules() if isinstance(m, Sampling)),
                 torch.zeros((), device=loss.device))
        assert isinstance(kl, torch.Tensor)
        return reconstruction + beta * kl, [reconstruction, kl]


@task_kind
class Gan(TaskKindDef):
    """The network is a generator followed by a discriminator; it reads noise. Its output
    is checked when the network is split (app.train.gan), and its trainer alternates the
    two sides."""

    name = "gan"
    description = "Generate samples like the dataset's: a generator against a discriminator."
    default_loss = "bce"
    reads_samples = False
    terms = GAN_TERMS
    views = ("samples",)
    charts = ("loss", "samples", "gan_losses", "gan_d")
    settings = ("gan",)
    # DCGAN's Adam: with the usual defaults the discriminator wins at once
    training_defaults = {"optimizer": {"name": "adam", "lr": 0.0002, "betas": [0.5, 0.999]}}

    def supported_by(self, info: DatasetInfo) -> bool:
        return info.dtype == "float"  # any float samples can be generated

    def check_loss(self, loss: LossName) -> None:
        if loss != "bce":
            raise TaskError(f"a gan trains with bce (the discriminator's logit against real "
                            f"and fake labels), not {loss}")
