"""A run made ready for a look inside: its network rebuilt with the weights of its latest
checkpoint (or of an epoch's end), its dataset and splits. Everything works on copies in
the server process, so inspecting a running run never touches its training."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import torch

from app.datasets.base import DatasetInfo, TensorData, describe_dataset, load_dataset
from app.inspect import InspectError, OutputKind, decode, encode, from_png, output_kind
from app.inspect.histograms import EpochHistograms
from app.inspect.latent import (
    DecodedOut,
    LatentOut,
    decode_codes,
    encoder_means,
    grid_codes,
    interpolation_codes,
    latent_points,
    latent_size,
)
from app.inspect.sequences import generate
from app.inspect.step import StepOut, training_step
from app.nn import build
from app.nn.graph_module import GraphNet
from app.runs.artifacts import epoch_path, load_epoch_weights, read_histograms, saved_epochs
from app.runs.gan_samples import SamplesOut, load_grid, sampled_steps
from app.runs.service import RunService, RunStateError, no_weights_yet
from app.spec.arrays import EncodedArray
from app.store.base import RunRecord
from app.train import CHECKPOINT_NAME, holdout, objective
from app.train.checkpoint import previous_path
from app.train.optim import make_optimizer
from app.train.session import check_training

Split = Literal["train", "val", "test"]
MODELS_KEPT = 4
DATASETS_KEPT = 2


@dataclass
class Subject:
    """One run's network with the weights to inspect; `lock` serializes views on it
    (forward hooks and attention capture are per module)."""

    run: RunRecord
    model: GraphNet
    epoch: int | None  # None: the latest checkpoint
    output: OutputKind
    info: DatasetInfo
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def class_names(self) -> list[str] | None:
        return list(self.info.class_names) if self.info.class_names else None


class Inspector:
    """Builds and caches inspection subjects (a few models and datasets at a time)."""

    def __init__(self, runs: RunService) -> None:
        self.runs = runs
        self._models: OrderedDict[tuple[str, int | None, int], Subject] = OrderedDict()
        self._datasets: OrderedDict[str, TensorData] = OrderedDict()
        self._lock = threading.Lock()

    def subject(self, run_id: str, epoch: int | None = None) -> Subject:
        """The run's network with its latest weights, or those at the end of `epoch`."""
        run = self.runs.get(run_id)
        run_dir = self.runs.run_dir(run.id)
        if epoch is None:
            path = run_dir / CHECKPOINT_NAME
            if not path.exists():  # mid-rotation, or the latest was set aside as damaged
                path = previous_path(path)
            if not path.exists():
                raise no_weights_yet(run)
        else:
            kept = saved_epochs(run_dir)
            if epoch not in kept:
                listed = ", ".join(map(str, kept)) or "none yet"
                raise InspectError(f"epoch: no weights kept for epoch {epoch} (kept: {listed})")
            path = epoch_path(run_dir, epoch)
        try:
            key = (run.id, epoch, path.stat().st_mtime_ns)
            with self._lock:
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            weights = (self.runs.weights(run.id) if epoch is None
                       else load_epoch_weights(run_dir, epoch))
        except FileNotFoundError:  # thinned out (or the run deleted) since it was listed
            raise InspectError(f"epoch: the weights of epoch {epoch} are no longer kept; see "
                               "/inspect/epochs") from None
        model = build(run.spec, self.runs.limits)
        model.load_state_dict(weights)
        model.eval()
        task = check_training(run.spec, run.training, self.runs.limits).task
        info = describe_dataset(run.training.dataset.name, run.training.dataset.options)
        subject = Subject(run, model, epoch, output_kind(task.kind, task.loss_name), info)
        with self._lock:
            self._models[key] = subject
            while len(self._models) > MODELS_KEPT:
                self._models.popitem(last=False)
        return subject

    def data(self, run: RunRecord) -> TensorData:
        key = json.dumps([run.training.dataset.name, run.training.dataset.options],
                         sort_keys=True)
        with self._lock:
            if key in self._datasets:
                self._datasets.move_to_end(key)
                return self._datasets[key]
        data = load_dataset(run.training.dataset.name, run.training.dataset.options)
        with self._lock:
            self._datasets[key] = data
            while len(self._datasets) > DATASETS_KEPT:
                self._datasets.popitem(last=False)
        return data

    def split(self, run: RunRecord, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of a split as the run saw it, for views that feed it to the network:
        `val` is its held-out validation split."""
        if run.training.task == "gan":
            raise InspectError(f"a gan's network reads noise, not {split} samples: look at "
                               "what it generates (/inspect/samples), its filters or "
                               "histograms")
        return self._split(run, split)

    def _split(self, run: RunRecord, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        data = self.data(run)
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
            return decode(array)
        if png is not None:
            return from_png(png, shape)
        x, _ = self.split(subject.run, split)  # a gan refuses: its input is noise
        assert sample is not None
        if not 0 <= sample < len(x):
            raise InspectError(f"sample: the {split} split has {len(x)} samples (0 to "
                               f"{len(x) - 1}), not {sample}")
        return x[sample]

    def step(self, subject: Subject, sample: int, split: Split = "train",
             count: int = 1) -> StepOut:
        """One training step, laid bare, on `count` samples of a split from `sample` on:
        the run's loss (with its L1/L2 penalties) and optimizer, on a copy of its network."""
        run, config = subject.run, subject.run.training
        if config.task == "gan":
            raise InspectError("the one-step view follows one network's step; a gan "
                               "alternates two (see its loss terms and samples)")
        xs, ys = self.split(run, split)
        if sample + count > len(xs):
            raise InspectError(f"sample: the {split} split has {len(xs)} samples, so "
                               f"{count} from {sample} do not fit")
        x, y = xs[sample:sample + count], ys[sample:sample + count]
        task = check_training(run.spec, config, self.runs.limits).task

        def loss(model: torch.nn.Module, out: torch.Tensor, target: torch.Tensor
                 ) -> torch.Tensor:
            return objective(model, task, config, *task.outputs_and_targets(out, x, target))[0]

        with subject.lock:  # the copy must not take another view's hooks with it
            return training_step(subject.model, x, y, loss, lambda model: make_optimizer(
                model, config.optimizer, config.layer_lr), seed=config.seed)

    def generate(self, subject: Subject, prompt: str, length: int, temperature: float,
                 seed: int = 0) -> str:
        """Text a character model writes after `prompt`, in its dataset's vocabulary."""
        vocab = subject.class_names
        if subject.output != "tokens" or not vocab:
            raise InspectError("text generation needs a next-token model over characters "
                               "(e.g. the chars dataset)")
        index = {token: i for i, token in enumerate(vocab)}
        if not any(c.isupper() for c in vocab):  # a lower-case vocabulary reads any case
            prompt = prompt.lower()
        unknown = sorted({c for c in prompt if c not in index})
        if unknown:
            raise InspectError(f"prompt: {', '.join(map(repr, unknown[:10]))} not in the "
                               f"model's vocabulary of {len(vocab)} characters")
        pad = index.get(" ", 0)
        with subject.lock:
            ids = generate(subject.model, [index[c] for c in prompt], length, temperature,
                           seed, pad)
        return "".join(vocab[i] for i in ids)

    def latent(self, subject: Subject, split: Split, samples: int) -> LatentOut:
        x, y = self.split(subject.run, split)
        with subject.lock:
            return latent_points(subject.model, x, y, samples)

    def latent_grid(self, subject: Subject, steps: int, extent: float) -> DecodedOut:
        """What a grid over the first two latent dimensions decodes to."""
        with subject.lock:
            codes = grid_codes(latent_size(subject.model), steps, extent)
            return decode_codes(subject.model, codes, self._squash(subject))

    def interpolate(self, subject: Subject, a: int, b: int, split: Split,
                    steps: int) -> DecodedOut:
        """Decoded codes on the line from sample a's latent mean to sample b's."""
        x, _ = self.split(subject.run, split)
        for name, index in (("a", a), ("b", b)):
            if not 0 <= index < len(x):
                raise InspectError(f"{name}: the {split} split has {len(x)} samples (0 to "
                                   f"{len(x) - 1}), not {index}")
        with subject.lock:
            start, end = encoder_means(subject.model, x[[a, b]])
            return decode_codes(subject.model, interpolation_codes(start, end, steps),
                                self._squash(subject))

    @staticmethod
    def _squash(subject: Subject) -> bool:
        """A bce-trained decoder gives logits: shown through a sigmoid."""
        return subject.run.training.loss == "bce"

    def samples(self, run_id: str, step: int | None, real: bool) -> SamplesOut:
        """A GAN's sample grid drawn at `step` (default: the latest), with as many real
        training samples beside it when `real`."""
        run = self.runs.get(run_id)
        run_dir = self.runs.run_dir(run.id)
        steps = sampled_steps(run_dir)
        if not steps:
            if run.training.task != "gan":
                raise InspectError(f"samples are drawn by a gan; run {run.id} trains a "
                                   f"{run.training.task or 'network'}")
            raise RunStateError(f"run {run.id} is {run.status} and has drawn no samples yet")
        step = steps[-1] if step is None else step
        if step not in steps:
            near = min(steps, key=lambda s: abs(s - step))
            raise InspectError(f"step: no samples kept for step {step} (nearest: {near}; "
                               f"{len(steps)} grids from {steps[0]} to {steps[-1]})")
        try:
            grid, epoch = load_grid(run_dir, step)
        except FileNotFoundError:  # thinned out since it was listed
            raise InspectError(f"step: the samples of step {step} are no longer kept") from None
        reals = self._split(run, "train")[0][:len(grid)] if real else None
        return SamplesOut(steps=steps, step=step, epoch=epoch, samples=encode(grid),
                          real=None if reals is None else encode(reals))

    def histograms(self, run_id: str) -> list[EpochHistograms]:
        return read_histograms(self.runs.run_dir(self.runs.get(run_id).id))

    def epochs(self, run_id: str) -> list[int]:
        return saved_epochs(self.runs.run_dir(self.runs.get(run_id).id))
