"""One training session from specs: dataset + builder + trainer, as a worker runs it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file

from app.datasets.base import Dataset, DatasetInfo, DatasetOptions, get_dataset
from app.nn import GraphNet, Plan, build_from_plan, trace
from app.nn.logits import Squash, final_squash, logits_notice
from app.spec import NetworkSpec, SpecLimits
from app.spec.events import FinishedEvent
from app.spec.training import TaskKind, TrainingSpec
from app.train.devices import resolve_device
from app.train.gan import GanSplit, GanTrainer, SampleHook, split_gan
from app.train.loop import EVAL_BATCH, Control, Emit, EpochHook, Trainer
from app.train.memory import check_batch_memory, fitting_batch, layers_mb
from app.train.task_kinds import kind_of
from app.train.tasks import Task, TaskError, make_task

LOGIT_OUTPUTS = ("classes", "binary", "tokens")
"""The outputs inspection reads as logits (app.spec.views.OutputKind)."""


@dataclass(frozen=True)
class Checked:
    """A spec and training config that fit together, ready to load and build."""

    plan: Plan
    dataset: Dataset
    options: DatasetOptions
    task: Task
    gan: GanSplit | None = None  # task gan: which layers generate, which discriminate

    @property
    def on_logits(self) -> Squash | None:
        """The output's final squash when the loss applies it itself: training (and
        inspection, which reads logits) then runs without it (app.nn.logits)."""
        squash = final_squash(self.plan)
        return squash if squash == self.task.kind.squash_in_loss(self.task.loss_name) else None

    def build(self, device: torch.device | str | None = None, *,
              inspecting: bool = False) -> GraphNet:
        """The network to train, giving logits where the loss squashes them. Inspecting,
        it gives logits only where inspection reads logits (classes, a binary logit,
        tokens), and what the spec says elsewhere (an autoencoder's sigmoid pixels)."""
        model = build_from_plan(self.plan, device)
        if self.on_logits is not None and not (
                inspecting and self.task.output not in LOGIT_OUTPUTS):
            model.output_logits()
        return model

    def notice(self) -> str | None:
        """What the user is told as training starts: that it reads the logits."""
        squash = self.on_logits
        return None if squash is None else logits_notice(self.plan, squash,
                                                         self.task.loss_name)


def dataset_task(training: TrainingSpec) -> TaskKind | None:
    """The task kind a training config trains for: its own, else its dataset's first; None
    when the dataset cannot say (unknown here, or its options no longer valid: an
    uploaded table deleted since)."""
    try:
        dataset = get_dataset(training.dataset.name)
        return kind_of(training.task, dataset.info(dataset.parse_options(
            training.dataset.options))).name
    except (ValueError, OSError):  # DatasetError and TaskError are ValueErrors
        return None


def check_training(spec: NetworkSpec, training: TrainingSpec,
                   limits: SpecLimits | None = None, *, batch_bound: bool = True) -> Checked:
    """Everything that can be checked without loading data: the spec, the dataset and its
    options, input shape, task and loss against the network's output, and (with
    `batch_bound`) a training batch's activations against the limit. Raises SpecError,
    DatasetError or TaskError naming the cause."""
    plan = trace(spec, limits)
    if batch_bound:
        check_batch_memory(plan.summary, training.batch_size, limits)
    dataset = get_dataset(training.dataset.name)
    options = dataset.parse_options(training.dataset.options)
    info = dataset.info(options)
    if kind_of(training.task, info).reads_samples:
        _check_input(spec, info)
    task = make_task(info, training.task, training.loss, plan.summary.output_shape,
                     spec.layers[-1].id, training.beta)
    images = len(info.input_shape) == 3 and task.kind.name == "classification"
    if training.augment.active and not images:
        raise TaskError(f"augment changes images of a classifier; dataset {info.name!r} gives "
                        f"{tuple(info.input_shape)} for task {task.kind.name}: turn augment off")
    task.kind.check_network(spec)
    # a network that reads noise is a generator before a discriminator: where it splits
    gan = None if task.kind.reads_samples else split_gan(spec, plan, info, training.gan)
    if gan is not None and batch_bound:
        check_batch_memory(plan.summary, training.batch_size, limits,
                           layers_mb(plan.summary, gan.discriminator))
    return Checked(plan, dataset, options, _common_checks(spec, training, task), gan)


def training_note(spec: NetworkSpec, training: TrainingSpec,
                  limits: SpecLimits | None = None) -> str | None:
    """How training differs from a literal reading of the spec (it reads the logits
    before the output's softmax, say), for an export's README; None when it does not,
    or when the settings no longer check (a dataset gone, say)."""
    try:
        return check_training(spec, training, limits, batch_bound=False).notice()
    except ValueError:  # SpecError, DatasetError, TaskError
        return None


def _check_input(spec: NetworkSpec, info: DatasetInfo) -> None:
    """The network reads the dataset's samples: their shape and kind of values."""
    wanted = tuple(spec.input.shape)
    if wanted != info.input_shape or spec.input.dtype != info.dtype:
        dtype_hint = f" and input.dtype to '{info.dtype}'" if spec.input.dtype != info.dtype else ""
        raise TaskError(f"the network's input is {spec.input.dtype} {wanted} but dataset "
                        f"{info.name!r} gives {info.dtype} {info.input_shape}: set input.shape "
                        f"to {list(info.input_shape)}{dtype_hint}")
    if info.dtype == "token" and (spec.input.vocab_size or 0) < (info.vocab_size or 0):
        raise TaskError(f"dataset {info.name!r} has {info.vocab_size} tokens but the input's "
                        f"vocab_size is {spec.input.vocab_size}")


def _common_checks(spec: NetworkSpec, training: TrainingSpec, task: Task) -> Task:
    """The checks of the training settings that every task shares."""
    if training.input_noise and not task.kind.reconstructs:
        raise TaskError(f"input_noise is for reconstruction and vae (the clean input is the "
                        f"target), not {task.kind.name}: set it to 0")
    unknown = sorted(set(training.layer_lr) - {layer.id for layer in spec.layers})
    if unknown:
        raise TaskError(f"layer_lr names {', '.join(map(repr, unknown))}, not a layer of the "
                        "network: use layer ids from the spec")
    stopping = training.early_stopping
    if stopping.enabled and stopping.monitor.startswith("val_") and not training.validation_split:
        raise TaskError(f"early stopping watches {stopping.monitor}, but validation_split is "
                        "0: set validation_split above 0 or monitor train_loss")
    return task


@dataclass(frozen=True)
class Start:
    """Where a new run starts: some weights taken from another (a partial state dict
    saved as safetensors), and the (epoch, step) it counts on from."""

    weights: Path | None = None
    epoch: int = 0
    step: int = 0


def train_network(spec: NetworkSpec, training: TrainingSpec, emit: Emit, *,
                  checkpoint_dir: Path | None = None, control: Control | None = None,
                  resume: Path | None = None, limits: SpecLimits | None = None,
                  hooks: Sequence[EpochHook] = (), start: Start | None = None,
                  sample_hook: SampleHook | None = None) -> FinishedEvent:
    """Check, load, build and train. Raises on bad input (SpecError, DatasetError,
    TaskError); a diverging loss is a result, not an error. A `resume` checkpoint wins
    over `start`. `sample_hook` takes a GAN's sample grids."""
    torch.manual_seed(training.seed)
    checked = check_training(spec, training, limits)
    data = checked.dataset.load(checked.options)
    device = resolve_device(training.device)
    model = checked.build(device)
    start = start or Start()
    if start.weights is not None and resume is None:
        unexpected = model.load_state_dict(load_file(start.weights), strict=False).unexpected_keys
        if unexpected:
            raise TaskError(f"the starting weights name tensors this network lacks: "
                            f"{', '.join(unexpected[:5])}")
    args = (model, data, training, checked.task, emit, device, checkpoint_dir, control)
    notice = checked.notice()
    # evaluation holds every layer's output of its batch, as training does
    eval_batch = fitting_batch(checked.plan.summary, limits, EVAL_BATCH)
    if checked.gan is not None:
        return GanTrainer(*args, hooks=hooks, start=(start.epoch, start.step),
                          eval_batch=eval_batch, notice=notice, split=checked.gan,
                          sample_hook=sample_hook).fit(resume)
    return Trainer(*args, hooks=hooks, start=(start.epoch, start.step),
                   eval_batch=eval_batch, notice=notice).fit(resume)
