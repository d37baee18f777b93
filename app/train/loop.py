"""The training loop. It reports through one `emit(event)` callback and knows nothing
about HTTP, processes or databases.

Speed rules (see DESIGN.md): data lives on the device, a batch is a slice of the
epoch's shuffled tensors, and per-step metrics stay on the device until the report
interval, when they are copied out in one transfer. The speed settings (precision,
channels_last, compile: app.train.speed) change only the training steps; evaluation,
checkpoints and hooks use the plain module in fp32.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch

from app.datasets.base import TensorData
from app.nn.graph_module import GraphNet
from app.spec.events import (
    CheckpointEvent,
    EpochEvent,
    FinishedEvent,
    MetricsEvent,
    NoteEvent,
    StartedEvent,
    TrainingEvent,
)
from app.spec.training import TrainingSpec
from app.train.advice import WATCHED_EPOCHS, LearningRateWatch, constant_baseline
from app.train.augment import augmented
from app.train.checkpoint import Checkpoint, TrainedWith, load_latest, save_checkpoint
from app.train.devices import device_label
from app.train.disk import DiskWriteError, write_refused
from app.train.early_stopping import EarlyStopping
from app.train.evaluate import evaluate
from app.train.gradients import GradientNorms
from app.train.journal import MetricsJournal
from app.train.optim import make_optimizer, make_schedule, penalty, step_schedule
from app.train.speed import (
    SpeedSettingError,
    optimizer_fusable,
    peak_memory_mb,
    prepare,
    reset_peak_memory,
)
from app.train.tasks import Task

Emit = Callable[[TrainingEvent], None]
EpochHook = Callable[[torch.nn.Module, int, int], Iterable[TrainingEvent]]
"""Called at each epoch's end with (model, epoch, step), gradients of the last step still
in place; what it returns is emitted. Inspection recorders use it."""
Request = Literal["stop", "pause"] | None
CHECKPOINT_NAME = "checkpoint.safetensors"
EVAL_BATCH = 1024  # samples evaluated at once, where memory allows


class CheckpointWriteError(DiskWriteError):
    """A checkpoint could not be written (a full disk, say); the one before stays valid."""


class Control:
    """Lets another thread or process ask a fit to stop or pause. Polled at report points."""

    def requested(self) -> Request:
        return None


@dataclass
class _Position:
    epoch: int = 0
    batch: int = 0
    step: int = 0
    loss_sum: float = 0.0  # this epoch's training sums so far
    correct: float = 0.0
    seen: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)  # the loss's parts (a VAE's)


def objective(model: torch.nn.Module, task: Task, config: TrainingSpec, out: torch.Tensor,
              target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """What a training step minimises: the task's loss plus the L1/L2 penalties; also the
    loss as reported and its parts (`task.terms`)."""
    loss, terms = task.loss_terms(model, out, target)
    extra = penalty(model, config.l1, config.l2)
    return (loss if extra is None else loss + extra), loss, terms


def holdout(n: int, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(validation, training) indices of n samples: the validation split of a run."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(n * fraction)
    return order[:n_val], order[n_val:]


class Trainer:
    """Fits `model` on `data` as `config` says; one instance per run."""

    def __init__(self, model: torch.nn.Module, data: TensorData, config: TrainingSpec,
                 task: Task, emit: Emit, device: torch.device,
                 checkpoint_dir: Path | None = None, control: Control | None = None,
                 checkpoint_every: float = 1.0, hooks: Sequence[EpochHook] = (),
                 start: tuple[int, int] = (0, 0), eval_batch: int = EVAL_BATCH,
                 notice: str | None = None) -> None:
        """`checkpoint_every`: least seconds between epoch checkpoints (tiny epochs would
        otherwise spend their time in fsync); pauses and the end always checkpoint.
        `start`: the (epoch, step) to count on from, for a run continuing another.
        `eval_batch`: samples evaluated at once (never fewer than a training batch).
        `notice`: told as training starts (e.g. that it reads the output's logits)."""
        reset_peak_memory(device)
        self.model = model.to(device)  # the plain module: checkpoints, evaluation, hooks
        self.config, self.task, self.emit, self.device = config, task, emit, device
        self.speed = prepare(self.model, config, device)
        # grad_norm/<layer> in each epoch's metrics; fp16 steps may overflow (then skipped)
        self.gradients = GradientNorms(self.model, device,
                                       skip_overflow=self.speed.scaler is not None)
        self._stepped = False  # the first step tells whether the device can train so
        self.checkpoint_dir, self.control = checkpoint_dir, control or Control()
        self.checkpoint_every, self.hooks = checkpoint_every, hooks
        # what each checkpoint covers is kept beside it (see app.train.journal)
        self._journal = MetricsJournal(checkpoint_dir) if checkpoint_dir is not None else None
        if self._journal is not None:
            self.emit = self._journal.recording(emit)
        self.eval_batch, self.notice = eval_batch, notice
        self._last_save = -float("inf")
        self._saved_step: int | None = None  # where the last good checkpoint was taken
        # A built network knows its spec: each checkpoint records it with the settings,
        # so the file alone rebuilds the model (an export needs no database).
        self._trained_with = (TrainedWith(model.spec, config).meta()
                              if isinstance(model, GraphNet) else {})
        self.optimizer = make_optimizer(self.model, config.optimizer, config.layer_lr,
                                        fused=optimizer_fusable(device))
        self.schedule = make_schedule(self.optimizer, config.schedule, config.epochs)
        self.early = EarlyStopping(config.early_stopping)
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.pos = _Position(epoch=start[0], step=start[1])
        self.perm = torch.empty(0, dtype=torch.long)
        self._split(data)
        n, size = self.x_train.shape[0], config.batch_size
        # A last batch of one sample would break batch norm: it joins the batch before.
        self.steps_per_epoch = n // size if n % size == 1 and n > size else math.ceil(n / size)
        # a GAN's or a VAE's loss is a sum of parts that may rise as they trade off
        self._lr_watch = None if task.terms else LearningRateWatch(
            config.optimizer.lr, constant_baseline(task, self.x_train, self.y_train))

    def _split(self, data: TensorData) -> None:
        """Hold out the validation split (same seed, same split) and move all to the device."""
        val, train = holdout(data.x_train.shape[0], self.config.validation_split,
                             self.config.seed)
        if train.numel() == 0:
            raise ValueError(f"dataset {data.info.name!r} has no training samples left after "
                             "the validation split")
        to = self.device
        self.x_train, self.y_train = data.x_train[train].to(to), data.y_train[train].to(to)
        self.x_val, self.y_val = data.x_train[val].to(to), data.y_train[val].to(to)
        self.x_test, self.y_test = data.x_test.to(to), data.y_test.to(to)

    def fit(self, resume: Path | None = None) -> FinishedEvent:
        """Train to the end (or a stop, pause, divergence); returns the final event."""
        resumed = self._resume(resume) if resume is not None else None
        notice = "; ".join(n for n in (self.notice, resumed) if n) or None
        params = sum(p.numel() for p in self.model.parameters())
        self.emit(StartedEvent(device=device_label(self.device), epochs=self.config.epochs,
                               steps_per_epoch=self.steps_per_epoch, params=params,
                               train_samples=self.x_train.shape[0],
                               val_samples=self.x_val.shape[0], start_epoch=self.pos.epoch,
                               notice=notice))
        while self.pos.epoch < self.config.epochs:
            started = time.perf_counter()
            ended = self._run_epoch()
            if ended is not None:
                return self._finish(ended)
            metrics = self._end_epoch(time.perf_counter() - started)
            if metrics is not None:  # early stopping
                return self._finish(FinishedEvent(
                    status="completed", epoch=self.pos.epoch, step=self.pos.step,
                    reason=metrics))
        return self._finish(FinishedEvent(status="completed", epoch=self.pos.epoch,
                                          step=self.pos.step))

    def _run_epoch(self) -> FinishedEvent | None:
        if self.pos.batch == 0:
            self.perm = torch.randperm(self.x_train.shape[0], generator=self.shuffle)
        perm = self.perm.to(self.device)
        x, y = self.speed.layout(self.x_train[perm]), self.y_train[perm]  # this epoch's order
        self.model.train()
        size, every = self.config.batch_size, self.config.report_every
        # Per-step device scalars, stacked and copied out once per report.
        block: list[torch.Tensor] = []  # loss, correct when accuracy counts, the terms
        counts: list[int] = []
        last = self.steps_per_epoch - 1
        for batch in range(self.pos.batch, self.steps_per_epoch):
            end = x.shape[0] if batch == last else (batch + 1) * size
            xb, yb = x[batch * size:end], y[batch * size:end]
            step = self._step if self._stepped else self._first_step
            loss, correct, count, terms = step(xb, yb)
            block.append(loss)
            if correct is not None:
                block.append(correct.to(loss.dtype))
            block.extend(terms)
            counts.append(count)
            self.pos.batch, self.pos.step = batch + 1, self.pos.step + 1
            if len(counts) == every or batch + 1 == self.steps_per_epoch:
                rows = torch.stack(block).view(len(counts), -1)  # (steps, 1 or 2)
                ended = self._report(rows, counts)
                block, counts = [], []
                if ended is not None:
                    return ended
        return None

    def _first_step(self, xb: torch.Tensor, yb: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor | None, int, list[torch.Tensor]]:
        """The fit's first step: an operation the device cannot run in the chosen precision,
        or a network torch.compile cannot compile here, fails the run naming the setting."""
        try:
            result = self._step(xb, yb)
        except Exception as exc:
            reason = self.speed.explain(exc)
            if reason is None:
                raise
            raise SpeedSettingError(reason) from exc
        self._stepped = True
        return result

    def _step(self, xb: torch.Tensor, yb: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor | None, int, list[torch.Tensor]]:
        noise = self.config.input_noise  # a denoising autoencoder: noisy in, clean target
        inputs = xb + noise * torch.randn_like(xb) if noise else xb
        if self.config.augment.active:  # images of a classifier (check_training)
            inputs = augmented(inputs, self.config.augment)
        with self.speed.autocast:
            raw = self.speed.forward(inputs)
        # the loss and metrics in fp32, whatever the forward pass computed in
        out, target = self.task.outputs_and_targets(raw.float(), xb, yb)
        minimised, loss, terms = objective(self.model, self.task, self.config, out, target)
        self.speed.optimize(self.optimizer, minimised, self.model.parameters(),
                            self.config.grad_clip)
        self.gradients.after_step()
        correct = self.task.correct(out.detach(), target) if self.task.counts_accuracy else None
        return loss.detach(), correct, target.shape[0], [t.detach().float() for t in terms]

    def _report(self, rows: torch.Tensor, counts: list[int]) -> FinishedEvent | None:
        """Copy a block of steps out in one transfer, emit it, check loss and control."""
        values = rows.tolist()  # the one sync per report
        first = self.pos.step - len(values) + 1
        steps = list(range(first, self.pos.step + 1))
        losses = [row[0] for row in values]
        columns = {"train_loss": losses}
        if self.task.counts_accuracy:
            columns["train_accuracy"] = [row[1] / n for row, n in zip(values, counts,
                                                                        strict=True)]
        first_term = 2 if self.task.counts_accuracy else 1
        for index, name in enumerate(self.task.terms, start=first_term):
            columns[f"train_{name}"] = [row[index] for row in values]
        self.emit(MetricsEvent(step=steps, epoch=[self.pos.epoch] * len(steps), values=columns,
                               at=time.time()))
        for step, value in zip(steps, losses, strict=True):
            if not math.isfinite(value):
                return FinishedEvent(status="diverged", epoch=self.pos.epoch, step=step,
                                     reason=f"the loss became {value} at step {step}: lower "
                                            "the learning rate or clip gradients")
        self.pos.loss_sum += sum(row[0] * n for row, n in zip(values, counts, strict=True))
        if self.task.counts_accuracy:
            self.pos.correct += sum(row[1] for row in values)
        for index, name in enumerate(self.task.terms, start=first_term):
            self.pos.terms[name] = self.pos.terms.get(name, 0.0) + sum(
                row[index] * n for row, n in zip(values, counts, strict=True))
        self.pos.seen += sum(counts)
        request = self.control.requested()
        if request == "pause":
            self._save()
            return FinishedEvent(status="paused", epoch=self.pos.epoch, step=self.pos.step)
        if request == "stop":  # the weights reached are kept: exported, inspected
            self._save()
            return FinishedEvent(status="stopped", epoch=self.pos.epoch, step=self.pos.step,
                                 reason="stopped on request")
        return None

    def _end_epoch(self, seconds: float) -> str | None:
        """Validate, schedule, early-stop, checkpoint. Returns why training stops early."""
        pos = self.pos
        metrics = {"train_loss": pos.loss_sum / pos.seen}
        if self.task.counts_accuracy:
            metrics["train_accuracy"] = pos.correct / pos.seen
        metrics |= {f"train_{name}": total / pos.seen for name, total in pos.terms.items()}
        metrics |= self._evaluate(self.x_val, self.y_val, "val")
        metrics |= self.gradients.epoch_metrics()
        metrics["lr"] = float(self.optimizer.param_groups[0]["lr"])
        self.emit(EpochEvent(epoch=pos.epoch, step=pos.step, metrics=metrics, seconds=seconds,
                             memory_mb=peak_memory_mb(self.device)))
        note = (self._lr_watch.after_epoch(metrics["train_loss"])
                if self._lr_watch is not None and pos.epoch < WATCHED_EPOCHS else None)
        if note is not None:
            self.emit(NoteEvent(epoch=pos.epoch, step=pos.step, text=note))
        for hook in self.hooks:
            for event in hook(self.model, pos.epoch, pos.step):
                self.emit(event)
        step_schedule(self.schedule, metrics)
        stop = self.early.update(pos.epoch, metrics, self.model)
        self.pos = _Position(epoch=pos.epoch + 1, step=pos.step)
        if time.monotonic() - self._last_save >= self.checkpoint_every:
            self._save()
        if stop:
            spec = self.config.early_stopping
            return (f"early stopping: {spec.monitor} did not improve for {spec.patience + 1} "
                    f"epochs (best {self.early.best_value:.4g} at epoch {self.early.best_epoch})")
        return None

    def _finish(self, event: FinishedEvent) -> FinishedEvent:
        if event.status == "completed":
            if self.early.best_weights is not None:
                self.model.load_state_dict(self.early.best_weights)
            self._save()  # the final weights, for exports and a later look inside
            test = self._evaluate(self.x_test, self.y_test, "test")
            event = event.model_copy(update={"metrics": test})
        self.emit(event)
        return event

    def _evaluate(self, x: torch.Tensor, y: torch.Tensor, prefix: str) -> dict[str, float]:
        return evaluate(self.model, self.task, x, y, self._eval_batch(), prefix)

    def _eval_batch(self) -> int:
        return max(self.config.batch_size, self.eval_batch)

    def _save(self) -> None:
        if self.checkpoint_dir is None or self._journal is None:  # both or neither
            return
        self._last_save = time.monotonic()
        tensors = {"rng.torch": torch.get_rng_state(), "rng.shuffle": self.shuffle.get_state(),
                   "perm": self.perm, **self.gradients.state()}
        if self.device.type == "cuda":
            tensors["rng.cuda"] = torch.cuda.get_rng_state(self.device)
        scaler = self.speed.scaler
        meta = {"position": vars(self.pos), "early_stopping": self.early.state(),
                "schedule": self.schedule.state_dict() if self.schedule else None,
                "scaler": scaler.state_dict() if scaler is not None else None,
                **self._trained_with}
        try:
            self._journal.commit()  # first: a checkpoint never covers steps not on disk
            save_checkpoint(self.checkpoint_dir / CHECKPOINT_NAME,
                            Checkpoint(self.model.state_dict(), self.optimizer.state_dict(),
                                       meta, tensors, self.early.best_weights))
        except OSError as exc:
            kept = ("no checkpoint was written before it" if self._saved_step is None else
                    f"the one taken at step {self._saved_step} stays valid")
            raise CheckpointWriteError(write_refused(exc, "the checkpoint", kept)) from exc
        self._saved_step = self.pos.step
        self.emit(CheckpointEvent(epoch=self.pos.epoch, step=self.pos.step))

    def _resume(self, path: Path) -> str | None:
        """Restore the newest usable checkpoint at `path`; a refused one is set aside (as
        .damaged, so the next save does not rotate it in) and named in the notice."""
        latest = load_latest(path)
        self._restore(latest.checkpoint)
        self._saved_step = self.pos.step
        if not latest.refused:
            return None
        if latest.path != path and path.exists():
            path.replace(path.with_suffix(".damaged"))
        return (f"{'; '.join(latest.refused)}: resumed from the checkpoint before it "
                f"(epoch {self.pos.epoch}, step {self.pos.step})")

    def _restore(self, checkpoint: Checkpoint) -> None:
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(checkpoint.optimizer)
        if self.schedule is not None and checkpoint.meta["schedule"] is not None:
            self.schedule.load_state_dict(checkpoint.meta["schedule"])
        best = ({k: v.to(self.device) for k, v in checkpoint.best.items()}
                if checkpoint.best is not None else None)
        self.early.load_state(checkpoint.meta["early_stopping"], best)
        if self.speed.scaler is not None and checkpoint.meta.get("scaler"):
            self.speed.scaler.load_state_dict(checkpoint.meta["scaler"])
        self.pos = _Position(**checkpoint.meta["position"])
        torch.set_rng_state(checkpoint.tensors["rng.torch"])
        self.shuffle.set_state(checkpoint.tensors["rng.shuffle"])
        self.perm = checkpoint.tensors["perm"]
        self.gradients.load_state(checkpoint.tensors)
        if "rng.cuda" in checkpoint.tensors and self.device.type == "cuda":
            torch.cuda.set_rng_state(checkpoint.tensors["rng.cuda"], self.device)
