"""A run's task: its kind (app.train.task_kinds) with the loss it trains with. `make_task`
chooses both and checks that the network's output fits the dataset."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from app.datasets.base import DatasetInfo
from app.spec.training import LossName, TaskKind
from app.spec.views import OutputKind
from app.train.losses import LOSSES, LossFn
from app.train.task_kinds import GAN_TERMS, TASK_KINDS, TaskError, TaskKindDef, kind_of

__all__ = ["GAN_TERMS", "LOSSES", "Task", "TaskError", "make_task"]


@dataclass(frozen=True)
class Task:
    """Adapts outputs and targets for one task kind and loss."""

    kind: TaskKindDef
    loss_name: LossName
    loss_fn: LossFn
    beta: float = 1.0  # vae: the weight of the KL term

    @property
    def terms(self) -> tuple[str, ...]:
        """Names of the parts of the loss reported beside it (a VAE's two terms)."""
        return self.kind.terms

    @property
    def output(self) -> OutputKind:
        return self.kind.output(self.loss_name)

    def loss_terms(self, model: torch.nn.Module, out: torch.Tensor, target: torch.Tensor
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The batch's loss and its parts, in the order of `terms`."""
        return self.kind.loss_terms(self.beta, model, self.loss_fn(out, target), target)

    @property
    def on_probabilities(self) -> bool:
        """A classifier trained with a regression loss: the loss compares the softmax of
        its logits with one-hot targets."""
        return self.kind.on_probabilities(self.loss_name)

    @property
    def counts_accuracy(self) -> bool:
        return self.kind.counts_accuracy

    @property
    def regression_metrics(self) -> bool:
        return self.kind.regression_metrics

    def outputs_and_targets(self, out: torch.Tensor, x: torch.Tensor,
                            y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shape both so that loss_fn(out, target) is the loss of the batch."""
        return self.kind.outputs_and_targets(self.loss_name, out, x, y)

    def correct(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Number of right predictions in the batch (a device tensor: no sync)."""
        return self.kind.correct(self.loss_name, out, target)


def make_task(info: DatasetInfo, kind: TaskKind | None, loss: LossName | None,
              output_shape: tuple[int, ...], output_layer: str, beta: float = 1.0) -> Task:
    """Choose task and loss, and check that the network's output fits the dataset."""
    chosen = kind_of(kind, info)
    if not chosen.supported_by(info):
        supported = [k.name for k in TASK_KINDS.values() if k.supported_by(info)]
        raise TaskError(f"dataset {info.name!r} supports {', '.join(supported)}, not "
                        f"{chosen.name}")
    loss = loss or chosen.default_loss
    chosen.check_loss(loss)
    chosen.check_output(info, loss, output_shape,
                        f"the output layer '{output_layer}' gives {output_shape}")
    return Task(chosen, loss, LOSSES[loss], beta)
