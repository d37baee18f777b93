"""Generative adversarial networks. A GAN is one network spec: the generator (reading the
noise at the network input) followed by the discriminator (reading the generator's output
and ending in one logit). Training alternates the two sides on one optimizer: each
update leaves the other side frozen, so only its own parameters get gradients and step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from app.datasets.base import DatasetInfo
from app.nn import Plan
from app.nn.graph_module import GraphNet
from app.spec import NETWORK_INPUT, NetworkSpec
from app.spec.events import FinishedEvent, TrainingEvent
from app.spec.graph import resolve_inputs
from app.spec.training import GanSpec
from app.train.loop import Trainer
from app.train.optim import penalty
from app.train.task_kinds import GAN_TERMS, TaskError

SampleHook = Callable[[torch.Tensor, int, int], Iterable[TrainingEvent]]
"""Called with (samples, epoch, step): the generator's output for the run's fixed noise,
on the CPU, every `gan.sample_every` steps; what it returns is emitted."""


@dataclass(frozen=True)
class GanSplit:
    """Which layers generate and which discriminate."""

    generator_output: str
    generator: tuple[str, ...]
    discriminator: tuple[str, ...]


def split_gan(spec: NetworkSpec, plan: Plan, info: DatasetInfo, gan: GanSpec) -> GanSplit:
    """Check a GAN against its dataset and split it; a TaskError names the layer and what
    to change."""
    if info.dtype != "float" or spec.input.dtype != "float":
        raise TaskError(f"a gan draws float noise and generates float samples; dataset "
                        f"{info.name!r} and the network's input must both be float")
    shapes = {layer.id: layer.output_shape for layer in plan.summary.layers}
    split = gan.generator_output or next(
        (layer.id for layer in reversed(spec.layers) if shapes[layer.id] == info.input_shape),
        None)
    if split is None:
        raise TaskError(f"no layer gives the dataset's sample shape {info.input_shape}: end the "
                        f"generator with a layer of that shape (e.g. a reshape to "
                        f"{list(info.input_shape)}) or set gan.generator_output")
    if split not in shapes:
        raise TaskError(f"gan.generator_output names {split!r}, not a layer of the network")
    if shapes[split] != info.input_shape:
        raise TaskError(f"the generator's output layer '{split}' gives {shapes[split]} but "
                        f"dataset {info.name!r} has samples of {info.input_shape}, which the "
                        "discriminator reads too: make the generator end in a layer of "
                        f"{list(info.input_shape)}")
    inputs = resolve_inputs(spec.layers)
    generator = _ancestors(split, inputs)
    discriminator = [layer.id for layer in spec.layers if layer.id not in generator]
    last = spec.layers[-1].id
    if last in generator:
        raise TaskError(f"the network's last layer '{last}' is part of the generator (which "
                        f"ends at '{split}'): add the discriminator after '{split}', ending "
                        "in a dense layer of 1 unit")
    for layer_id in discriminator:
        foreign = [i for i in inputs[layer_id] if i != split and i not in discriminator]
        if foreign:
            source = "the noise" if foreign[0] == NETWORK_INPUT else f"generator layer "\
                                                                    f"'{foreign[0]}'"
            raise TaskError(f"discriminator layer '{layer_id}' reads {source}: the "
                            f"discriminator may read only the generator's output '{split}' "
                            "and its own layers")
    if shapes[last] not in ((1,), ()):
        raise TaskError(f"the discriminator's last layer '{last}' gives {shapes[last]} but "
                        "it must give one logit (real or fake): end with a dense layer of "
                        "1 unit")
    order = [layer.id for layer in spec.layers]
    return GanSplit(split, tuple(i for i in order if i in generator), tuple(discriminator))


def _ancestors(layer_id: str, inputs: dict[str, list[str]]) -> set[str]:
    found, todo = set(), [layer_id]
    while todo:
        current = todo.pop()
        if current not in found and current != NETWORK_INPUT:
            found.add(current)
            todo.extend(inputs[current])
    return found


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    logits = logits.reshape(-1)
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


class GanTrainer(Trainer):
    """Trains a GAN: per batch of real samples, `d_steps` discriminator updates and then
    `g_steps` generator updates (the non-saturating loss), each on fresh noise."""

    def __init__(self, *args: Any, split: GanSplit, sample_hook: SampleHook | None = None,
                 **kwargs: Any) -> None:
        """Trainer's arguments, plus the split and where sample grids go."""
        super().__init__(*args, **kwargs)
        assert isinstance(self.model, GraphNet)
        self.net: GraphNet = self.model
        self.split, self.sample_hook = split, sample_hook
        self.gan = self.config.gan
        self.noise_shape = tuple(self.net.spec.input.shape)
        self.d_params = self._trainable(split.discriminator)
        self.g_params = self._trainable(split.generator)
        seeded = torch.Generator().manual_seed(self.config.seed + 1)
        self.fixed_noise = torch.randn((self.gan.samples, *self.noise_shape),
                                       generator=seeded).to(self.device)
        self._sampled: int | None = None  # the step of the last grid

    def _trainable(self, layer_ids: tuple[str, ...]) -> list[torch.nn.Parameter]:
        return [p for i in layer_ids for p in self.net.layer(i).parameters() if p.requires_grad]

    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        return self.net.run(noise, until=self.split.generator_output)

    def discriminate(self, samples: torch.Tensor) -> torch.Tensor:
        return self.net.run(samples, after=self.split.generator_output)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        if generator is None:
            return torch.randn((n, *self.noise_shape), device=self.device)
        return torch.randn((n, *self.noise_shape), generator=generator).to(self.device)

    @contextmanager
    def _frozen(self, params: list[torch.nn.Parameter]) -> Iterator[None]:
        """The other side stays still: no gradients reach it, so the step skips it."""
        for p in params:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p in params:
                p.requires_grad_(True)

    def _update(self, loss: torch.Tensor, params: list[torch.nn.Parameter]) -> None:
        if not params:  # that side is frozen altogether (trainable: false)
            return
        extra = penalty(self.model, self.config.l1, self.config.l2)  # this side's weights
        self.speed.optimize(self.optimizer, loss if extra is None else loss + extra, params,
                            self.config.grad_clip)

    def _step(self, xb: torch.Tensor, yb: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor | None, int, list[torch.Tensor]]:
        if self.pos.step == 0:
            self._sample(0)  # what the untrained generator makes
        n, real_label = xb.shape[0], 1.0 - self.gan.label_smoothing
        # the forward passes in the run's precision; the logits, losses and metrics in fp32
        with self._frozen(self.g_params):
            for _ in range(self.gan.d_steps):
                with self.speed.autocast:
                    real = self.discriminate(xb)
                    fake = self.discriminate(self.generate(self.noise(n)))
                real, fake = real.float(), fake.float()
                d_loss = _bce(real, real_label) + _bce(fake, 0.0)
                self._update(d_loss, self.d_params)
        with self._frozen(self.d_params):
            for _ in range(self.gan.g_steps):
                with self.speed.autocast:
                    judged = self.discriminate(self.generate(self.noise(n)))
                g_loss = _bce(judged.float(), 1.0)
                self._update(g_loss, self.g_params)
        d_loss, g_loss = d_loss.detach(), g_loss.detach()
        d_real, d_fake = torch.sigmoid(real.detach()).mean(), torch.sigmoid(fake.detach()).mean()
        # _run_epoch counts this step once it returns
        if (self.pos.step + 1) % self.gan.sample_every == 0:
            self._sample(self.pos.step + 1)
        return d_loss + g_loss, None, n, [d_loss, g_loss, d_real, d_fake]

    @torch.no_grad()
    def _evaluate(self, x: torch.Tensor, y: torch.Tensor, prefix: str) -> dict[str, float]:
        """Both losses on held-out real samples against as many generated ones, from
        noise seeded the same at every evaluation so epochs compare."""
        if x.shape[0] == 0:
            return {}
        was_training = self.model.training
        self.model.eval()
        seeded = torch.Generator().manual_seed(self.config.seed + 2)
        sums = torch.zeros(len(GAN_TERMS), dtype=torch.float64, device=x.device)
        for start in range(0, x.shape[0], self._eval_batch()):
            real_x = x[start:start + self._eval_batch()]
            n = real_x.shape[0]
            real, fake = self.discriminate(real_x), self.discriminate(
                self.generate(self.noise(n, seeded)))
            parts = (_bce(real, 1.0) + _bce(fake, 0.0), _bce(fake, 1.0),
                     torch.sigmoid(real).mean(), torch.sigmoid(fake).mean())
            sums += torch.stack(parts).double() * n
        self.model.train(was_training)
        means = dict(zip(GAN_TERMS, (sums / x.shape[0]).tolist(), strict=True))  # one sync
        metrics = {f"{prefix}_loss": means["discriminator"] + means["generator"]}
        return metrics | {f"{prefix}_{name}": value for name, value in means.items()}

    def _finish(self, event: FinishedEvent) -> FinishedEvent:
        if event.status == "completed" and self._sampled != self.pos.step:
            if self.early.best_weights is not None:
                self.model.load_state_dict(self.early.best_weights)
            self._sample(self.pos.step)  # the generator the run ends with
        return super()._finish(event)

    @torch.no_grad()
    def _sample(self, step: int) -> None:
        """The generator's samples for the fixed noise, handed to the sample hook."""
        if self.sample_hook is None:
            return
        was_training = self.model.training
        self.model.eval()
        samples = self.generate(self.fixed_noise).float().cpu()
        self.model.train(was_training)
        self._sampled = step
        for event in self.sample_hook(samples, self.pos.epoch, step):
            self.emit(event)
