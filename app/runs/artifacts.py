"""What a run leaves in its folder besides the checkpoint, for a look inside later:
the weights at each epoch's end (thinned to a bounded count) and the weight and
gradient histograms of every epoch. The epoch hooks here write them in the worker;
the readers serve the inspection API. A 2-D model's decision boundary is streamed."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from app.datasets.base import describe_dataset, load_dataset, point_options
from app.datasets.plane import POINT
from app.inspect import boundary, parameter_histograms
from app.inspect.histograms import EpochHistograms
from app.nn.graph_module import GraphNet
from app.runs.facts import RunFacts
from app.spec import NetworkSpec, SpecLimits
from app.spec.events import BoundaryEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.spec.views import OutputKind
from app.train import DiskWriteError, EpochHook, holdout
from app.train.disk import write_refused
from app.train.session import check_training

HISTOGRAMS = "histograms.jsonl"
KEEP_EPOCHS = 20  # weight snapshots kept per run; older ones are thinned out evenly
BOUNDARY_EVERY = 0.25  # least seconds between streamed boundaries (and the last epoch's)
BOUNDARY_RESOLUTION = 50


def thin(numbers: list[int], keep: int) -> list[int]:
    """Which snapshots to delete so that `keep` remain: the first and last always stay;
    each drop removes the snapshot whose neighbours are closest together (the earliest
    on a tie), so older ones thin out evenly while the latest stay dense."""
    numbers, drop = list(numbers), []
    while len(numbers) > max(keep, 2):
        gaps = [numbers[i + 1] - numbers[i - 1] for i in range(1, len(numbers) - 1)]
        index = 1 + gaps.index(min(gaps))
        drop.append(numbers.pop(index))
    return drop


@dataclass(frozen=True)
class Series:
    """Numbered safetensors files in a folder of a run's, `<prefix>-<n>.safetensors`,
    written atomically and thinned to the `keep` newest-dense ones."""

    folder: str
    prefix: str
    digits: int
    keep: int
    what: str  # a file of it, for errors: "the weights of epoch {}"

    def path(self, run_dir: Path, number: int) -> Path:
        return run_dir / self.folder / f"{self.prefix}-{number:0{self.digits}d}.safetensors"

    def kept(self, run_dir: Path) -> list[int]:
        """The numbers that have a file, in order."""
        folder = run_dir / self.folder
        if not folder.is_dir():
            return []
        pattern = re.compile(rf"{self.prefix}-(\d{{{self.digits}}})\.safetensors")
        return sorted(int(m.group(1)) for p in folder.iterdir()
                      if (m := pattern.fullmatch(p.name)))

    def save(self, run_dir: Path, number: int, tensors: dict[str, torch.Tensor]) -> None:
        """Write one file and thin the series. A write the disk refuses raises
        DiskWriteError (the run fails at once, its checkpoint intact, and can resume)."""
        path = self.path(run_dir, number)
        temporary = path.with_suffix(".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as file:
                file.write(save(tensors))
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise DiskWriteError(write_refused(exc, self.what.format(number))) from exc
        for old in thin(self.kept(run_dir), self.keep):
            self.path(run_dir, old).unlink(missing_ok=True)


EPOCHS = Series("epochs", "epoch", 5, KEEP_EPOCHS, "the weights of epoch {}")


def epoch_path(run_dir: Path, epoch: int) -> Path:
    return EPOCHS.path(run_dir, epoch)


def saved_epochs(run_dir: Path) -> list[int]:
    """Epochs whose end-of-epoch weights are kept, oldest first."""
    return EPOCHS.kept(run_dir)


def load_epoch_weights(run_dir: Path, epoch: int) -> dict[str, torch.Tensor]:
    return load_file(epoch_path(run_dir, epoch))


def read_histograms(run_dir: Path) -> list[EpochHistograms]:
    """Every recorded epoch's histograms; a re-run epoch (after a resume) counts once."""
    path = run_dir / HISTOGRAMS
    if not path.exists():
        return []
    by_epoch: dict[int, EpochHistograms] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                entry = EpochHistograms.model_validate_json(line)
            except ValueError:  # a line cut short by a crash
                continue
            by_epoch[entry.epoch] = entry
    return [by_epoch[e] for e in sorted(by_epoch)]


class EpochWeights:
    """Saves the weights at each epoch's end (atomically), keeping at most `keep`."""

    def __init__(self, run_dir: Path, keep: int = KEEP_EPOCHS) -> None:
        self.run_dir, self.series = run_dir, replace(EPOCHS, keep=keep)

    def __call__(self, model: torch.nn.Module, epoch: int, step: int) -> Iterable[TrainingEvent]:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        self.series.save(self.run_dir, epoch, state)
        return ()


class Histograms:
    """Appends each epoch's weight and gradient histograms to the run's JSON-lines file."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / HISTOGRAMS

    def __call__(self, model: torch.nn.Module, epoch: int, step: int) -> Iterable[TrainingEvent]:
        assert isinstance(model, GraphNet)
        line = parameter_histograms(model, epoch, step).model_dump_json()
        try:  # a line cut short by a full disk is skipped by read_histograms
            with self.path.open("a") as file:
                file.write("\n" + line + "\n")
        except OSError as exc:
            raise DiskWriteError(write_refused(exc, f"the histograms of epoch {epoch}")) from exc
        return ()


class BoundaryStream:
    """For a network over 2-D points: the decision boundary as an event, at most every
    BOUNDARY_EVERY seconds, so it can be watched forming."""

    def __init__(self, spec: NetworkSpec, training: TrainingSpec,
                 limits: SpecLimits | None = None) -> None:
        self.spec, self.training, self.limits = spec, training, limits
        self._data: tuple[torch.Tensor, torch.Tensor] | None = None
        self._kind: OutputKind | None = None
        self._features: tuple[str, ...] = POINT
        self._last = -float("inf")

    @staticmethod
    def applies(spec: NetworkSpec, training: TrainingSpec) -> bool:
        """A network over 2-D points with an output to draw over the plane (a GAN's 2-D
        input is its noise, not a plane)."""
        return RunFacts.of(spec, training).plane

    def __call__(self, model: torch.nn.Module, epoch: int, step: int) -> Iterable[TrainingEvent]:
        assert isinstance(model, GraphNet)
        now = time.monotonic()
        if now - self._last < BOUNDARY_EVERY and epoch < self.training.epochs - 1:
            return ()
        self._last = now
        if self._data is None or self._kind is None:
            task = check_training(self.spec, self.training, self.limits).task
            name, options = self.training.dataset.name, self.training.dataset.options
            self._features = describe_dataset(name, options).plane or POINT
            data = load_dataset(name, point_options(name, options))  # as points (x, y)
            _, train = holdout(len(data.x_train), self.training.validation_split,
                               self.training.seed)
            self._kind = task.output
            self._data = data.x_train[train], data.y_train[train]  # the points it learns
        grid = boundary(model, *self._data, self._kind, BOUNDARY_RESOLUTION, self._features)
        return (BoundaryEvent(epoch=epoch, step=step, boundary=grid),)


def epoch_hooks(run_dir: Path, spec: NetworkSpec, training: TrainingSpec,
                limits: SpecLimits | None = None) -> list[EpochHook]:
    """The recorders a worker attaches to a run's trainer."""
    hooks: list[EpochHook] = [EpochWeights(run_dir), Histograms(run_dir)]
    if BoundaryStream.applies(spec, training):
        hooks.append(BoundaryStream(spec, training, limits))
    return hooks
