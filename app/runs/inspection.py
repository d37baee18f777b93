"""A run made ready for a look inside: its network rebuilt with the weights of its latest
checkpoint (or of an epoch's end), its dataset and splits. Everything works on copies in
the server process, so inspecting a running run never touches its training. The views
themselves are in app.runs.views."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from app.datasets.base import (
    DatasetInfo,
    TensorData,
    describe_dataset,
    load_dataset,
    point_options,
)
from app.inspect import InspectError, OutputKind, decode, from_png
from app.nn.graph_module import GraphNet
from app.runs.artifacts import epoch_path, load_epoch_weights, saved_epochs
from app.runs.service import RunService, RunStateError, no_weights_yet
from app.spec.arrays import EncodedArray
from app.spec.views import Split
from app.store.base import RunRecord
from app.train import CHECKPOINT_NAME, Task, holdout
from app.train.checkpoint import previous_path
from app.train.memory import fitting_batch
from app.train.session import check_training
from app.train.task_kinds import TaskKindDef, kind_of

MODELS_KEPT = 4
INSPECT_BATCH = 1024  # the most samples a view runs through the network at once
DATASETS_KEPT = 2


@dataclass
class Subject:
    """One run's network with the weights to inspect; `lock` serializes views on it
    (forward hooks and attention capture are per module)."""

    run: RunRecord
    model: GraphNet
    epoch: int | None  # None: the latest checkpoint
    task: Task
    info: DatasetInfo
    batch: int = INSPECT_BATCH  # samples run at once: fewer where activations would not fit
    lock: threading.Lock = field(default_factory=threading.Lock)
    memo: dict[Any, Any] = field(default_factory=dict)
    """What views worked out for these weights and may share (a split's predicted
    classes); read and written under `lock`."""
    answers: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    """The views' answers for these weights, by view and parameters, the latest last."""

    @property
    def output(self) -> OutputKind:
        return self.task.output

    @property
    def class_names(self) -> list[str] | None:
        return list(self.info.class_names) if self.info.class_names else None


def task_kind_of(run: RunRecord) -> TaskKindDef:
    """The kind a run trains (the dataset's first when its settings name none)."""
    info = describe_dataset(run.training.dataset.name, run.training.dataset.options)
    return kind_of(run.training.task, info)


class SubjectCache:
    """Builds and caches inspection subjects and the datasets they read (a few of each at
    a time): what every inspect view starts from."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs
        self._models: OrderedDict[tuple[str, int | None, int], Subject] = OrderedDict()
        self._datasets: OrderedDict[str, TensorData] = OrderedDict()
        self._lock = threading.Lock()

    def run_dir(self, run: RunRecord) -> Path:
        return self.runs.run_dir(run.id)

    def clear(self) -> None:
        """Forget every network (with the answers kept with it) and dataset."""
        with self._lock:
            self._models.clear()
            self._datasets.clear()

    def subject(self, run_id: str, epoch: int | None = None) -> Subject:
        """The run's network with its latest weights, or those at the end of `epoch`."""
        run = self.runs.get(run_id)
        path = self._weights_path(run, epoch)
        try:
            key = (run.id, epoch, path.stat().st_mtime_ns)
            with self._lock:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            weights = (self.runs.weights(run.id) if epoch is None
                       else load_epoch_weights(self.run_dir(run), epoch))
        except FileNotFoundError:  # thinned out (or the run deleted) since it was listed
            raise InspectError(f"epoch: the weights of epoch {epoch} are no longer kept; see "
                               "/inspect/epochs") from None
        # a trained run is inspected whatever the batch bound is now
        checked = check_training(run.spec, run.training, self.runs.limits, batch_bound=False)
        model = checked.build(inspecting=True)
        try:
            model.load_state_dict(weights)
        except RuntimeError as exc:  # what load_state_dict raises for keys or shapes
            # weights on disk that do not fit the run's network (a file replaced by another
            # model's, or crafted) are the run's problem, not the server's
            first = str(exc).strip().splitlines()[0].rstrip(":")
            which = "its latest checkpoint" if epoch is None else f"epoch {epoch}"
            raise RunStateError(f"run {run.id}: the weights of {which} do not fit its "
                                f"network ({first})") from None
        model.eval()
        subject = Subject(run, model, epoch, checked.task, checked.dataset.info(checked.options),
                          fitting_batch(checked.plan.summary, self.runs.limits, INSPECT_BATCH))
        with self._lock:
            self._models[key] = subject
            while len(self._models) > MODELS_KEPT:
                self._models.popitem(last=False)
        return subject

    def _weights_path(self, run: RunRecord, epoch: int | None) -> Path:
        run_dir = self.run_dir(run)
        if epoch is None:
            path = run_dir / CHECKPOINT_NAME
            if not path.exists():  # mid-rotation, or the latest was set aside as damaged
                path = previous_path(path)
            if not path.exists():
                raise no_weights_yet(run)
            return path
        kept = saved_epochs(run_dir)
        if epoch not in kept:
            listed = ", ".join(map(str, kept)) or "none yet"
            raise InspectError(f"epoch: no weights kept for epoch {epoch} (kept: {listed})")
        return epoch_path(run_dir, epoch)

    def data(self, run: RunRecord) -> TensorData:
        return self._load(run.training.dataset.name, run.training.dataset.options)

    def _load(self, name: str, options: dict[str, Any]) -> TensorData:
        key = json.dumps([name, options], sort_keys=True)
        with self._lock:
            if key in self._datasets:
                self._datasets.move_to_end(key)
                return self._datasets[key]
        data = load_dataset(name, options)
        with self._lock:
            self._datasets[key] = data
            while len(self._datasets) > DATASETS_KEPT:
                self._datasets.popitem(last=False)
        return data

    def split(self, run: RunRecord, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of a split as the run saw it, for views that feed it to the network:
        `val` is its held-out validation split."""
        kind = task_kind_of(run)
        if not kind.reads_samples:
            raise InspectError(f"a {kind.name}'s network reads noise, not {split} samples: "
                               "look at what it generates (/inspect/samples), its filters or "
                               "histograms")
        return self.samples(run, split)

    def samples(self, run: RunRecord, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of a split of the run's dataset, whatever its network reads."""
        return self._split(run, self.data(run), split)

    def points(self, run: RunRecord, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(points (N, 2), y) of a split of a 2-D set: each sample as its point (x, y) on
        the plane, whatever features of it the network reads."""
        dataset = run.training.dataset
        data = self._load(dataset.name, point_options(dataset.name, dataset.options))
        return self._split(run, data, split)

    @staticmethod
    def _split(run: RunRecord, data: TensorData, split: Split
               ) -> tuple[torch.Tensor, torch.Tensor]:
        if split == "test":
            return data.x_test, data.y_test
        val, train = holdout(len(data.x_train), run.training.validation_split,
                             run.training.seed)
        index = val if split == "val" else train
        return data.x_train[index], data.y_train[index]

    def input(self, subject: Subject, sample: int | None = None, split: Split = "test",
              array: EncodedArray | None = None, png: str | None = None) -> torch.Tensor:
        """One input: sample `sample` of a split, or an array or PNG the user sent."""
        given = [v is not None for v in (sample, array, png)]
        if sum(given) != 1:
            raise InspectError("give exactly one of sample, array or png")
        shape = tuple(subject.run.spec.input.shape)
        if array is not None:
            return decode(array, shape)
        if png is not None:
            return from_png(png, shape)
        x, _ = self.split(subject.run, split)  # a gan refuses: its input is noise
        assert sample is not None
        if not 0 <= sample < len(x):
            raise InspectError(f"sample: the {split} split has {len(x)} samples (0 to "
                               f"{len(x) - 1}), not {sample}")
        return x[sample]
