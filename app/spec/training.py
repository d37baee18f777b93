"""The training config: what to train on and how. Pure data, like the network spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.spec.base import LayerId, Pair, SpecModel

TaskKind = Literal["classification", "regression", "reconstruction", "sequence", "seq2seq", "vae",
                   "gan"]
LossName = Literal["mse", "mae", "rmse", "huber", "cross_entropy", "bce", "nll"]
OptimizerName = Literal["sgd", "adagrad", "rmsprop", "adam", "adamw"]
DeviceName = Literal["auto", "cpu", "cuda", "mps"]
PrecisionName = Literal["fp32", "bf16", "fp16"]


class DatasetSpec(SpecModel):
    """A registered dataset and its options (each dataset validates its own)."""

    name: str = Field(min_length=1, max_length=64, description="A dataset from GET /datasets.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Dataset options, e.g. {'noise': 0.1} for toy sets."
    )


def _only_for(*names: str) -> dict[str, Any]:
    """A setting only these optimizers read, as its schema names them (`optimizers`): a
    form shows it for them alone (the others take no such argument)."""
    return {"optimizers": list(names)}


class OptimizerSpec(SpecModel):
    name: OptimizerName = Field(default="adam", description="The update rule.")
    lr: float = Field(default=1e-3, gt=0.0, le=10.0, description="Learning rate.")
    momentum: float = Field(default=0.0, ge=0.0, lt=1.0, description="SGD or RMSprop momentum.",
                            json_schema_extra=_only_for("sgd", "rmsprop"))
    nesterov: bool = Field(default=False, description="Nesterov momentum (SGD, momentum > 0).",
                           json_schema_extra=_only_for("sgd"))
    betas: Pair[float] = Field(default=(0.9, 0.999), description="Adam/AdamW betas.",
                               json_schema_extra=_only_for("adam", "adamw"))
    alpha: float = Field(default=0.99, gt=0.0, lt=1.0, description="RMSprop smoothing.",
                         json_schema_extra=_only_for("rmsprop"))
    weight_decay: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Decoupled decay (AdamW) or L2 in the update."
    )

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> OptimizerSpec:
        if self.nesterov and (self.name != "sgd" or self.momentum == 0):
            raise ValueError("nesterov needs the sgd optimizer with momentum > 0")
        return self


class ScheduleSpec(SpecModel):
    """Learning-rate schedule, stepped once per epoch."""

    name: Literal["none", "step", "exponential", "cosine", "reduce_on_plateau"] = "none"
    step_size: int = Field(default=10, ge=1, le=10_000, description="Epochs per step (step).")
    gamma: float = Field(default=0.1, gt=0.0, le=1.0, description="Decay factor.")
    patience: int = Field(default=3, ge=0, le=1000, description="Epochs (reduce_on_plateau).")
    min_lr: float = Field(default=0.0, ge=0.0, description="Lower bound (cosine, plateau).")


class EarlyStoppingSpec(SpecModel):
    enabled: bool = Field(default=False, description="Stop when the monitor stops improving.")
    monitor: str = Field(default="val_loss", description="An epoch metric, e.g. val_accuracy.")
    mode: Literal["min", "max", "auto"] = Field(
        default="auto", description="auto: max for accuracy/r2, min otherwise."
    )
    patience: int = Field(default=5, ge=0, le=1000, description="Epochs without improvement.")
    min_delta: float = Field(default=0.0, ge=0.0, description="Smallest change that counts.")
    restore_best: bool = Field(default=True, description="End with the best epoch's weights.")


class AugmentSpec(SpecModel):
    """Random changes to each training image each time a batch holds it (classification
    on images only; validation and test images stay as they are)."""

    flip: bool = Field(default=False, description="Flip half the images left to right.")
    shift: int = Field(default=0, ge=0, le=16, description=(
        "Move each image by up to this many pixels each way (the edge fills with 0)."))
    rotate: float = Field(default=0.0, ge=0.0, le=45.0, description=(
        "Turn each image by up to this many degrees either way."))

    @property
    def active(self) -> bool:
        return self.flip or self.shift > 0 or self.rotate > 0


class GanSpec(SpecModel):
    """A GAN's settings (task gan). The network is the generator followed by the
    discriminator: its input is the noise, the generator's last layer gives a fake
    sample, and the layers after it read that sample and end in one logit."""

    generator_output: LayerId | None = Field(default=None, description=(
        "The generator's last layer; the layers after it are the discriminator. Default: "
        "the last layer whose output has the dataset's sample shape."))
    d_steps: int = Field(default=1, ge=1, le=10, description=(
        "Discriminator updates per batch of real samples, each on fresh noise."))
    g_steps: int = Field(default=1, ge=1, le=10, description="Generator updates per batch.")
    label_smoothing: float = Field(default=0.0, ge=0.0, le=0.4, description=(
        "One-sided label smoothing: the discriminator learns to call real samples "
        "1 - this, not 1."))
    sample_every: int = Field(default=50, ge=1, le=100_000, description=(
        "Steps between the sample grids drawn from one fixed noise batch, to scrub "
        "through later."))
    samples: int = Field(default=64, ge=1, le=256, description="Samples in each grid.")


class TrainingSpec(SpecModel):
    """How to train a network."""

    dataset: DatasetSpec
    task: TaskKind | None = Field(
        default=None, description="Default: the dataset's first task kind."
    )
    loss: LossName | None = Field(
        default=None, description=(
            "Default: cross_entropy for classification, mse otherwise. A classifier may "
            "also train with mse, mae, rmse or huber: they compare the softmax of its "
            "logits (one per class) with one-hot targets."))
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)
    batch_size: int = Field(default=64, ge=1, le=65536)
    epochs: int = Field(default=10, ge=1, le=10_000)
    validation_split: float = Field(
        default=0.1, ge=0.0, le=0.5, description="Fraction of the training split held out."
    )
    beta: float = Field(default=1.0, ge=0.0, le=100.0, description=(
        "vae: the weight of the KL term (beta-VAE); 0 gives a plain autoencoder."))
    input_noise: float = Field(default=0.0, ge=0.0, le=10.0, description=(
        "reconstruction and vae: the std of gaussian noise added to each training input, "
        "the clean input staying the target (a denoising autoencoder)."))
    gan: GanSpec = Field(default_factory=GanSpec, description="gan: the generator/"
                         "discriminator split, updates per side, smoothing and samples.")
    l1: float = Field(default=0.0, ge=0.0, le=1.0, description="L1 penalty on weights.")
    l2: float = Field(default=0.0, ge=0.0, le=1.0, description="L2 penalty on weights.")
    grad_clip: float | None = Field(
        default=None, gt=0.0, le=1e6, description="Clip the gradient norm to this value."
    )
    early_stopping: EarlyStoppingSpec = Field(default_factory=EarlyStoppingSpec)
    augment: AugmentSpec = Field(default_factory=AugmentSpec)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    device: DeviceName = Field(default="auto", description="auto picks CUDA, then MPS, then CPU.")
    report_every: int = Field(
        default=20, ge=1, le=100_000, description="Steps between metric reports."
    )
    layer_lr: dict[LayerId, Annotated[float, Field(gt=0.0, le=100.0)]] = Field(
        default_factory=dict, max_length=256,
        description="Learning-rate multipliers by layer id, e.g. {\"conv1\": 0.1} to "
                    "fine-tune pretrained layers gently; other layers get 1.")
    precision: PrecisionName = Field(default="fp32", description=(
        "Mixed precision: bf16 or fp16 runs the training forward pass under autocast on "
        "the run's device (fp16 with a gradient scaler); weights, optimizer state, the "
        "loss and every metric stay fp32. Faster on GPUs with tensor cores and on CPUs "
        "with bf16 units, often slower elsewhere."))
    channels_last: bool = Field(default=False, description=(
        "Keep image batches (N, C, H, W) and convolution weights in the channels_last "
        "memory format, which convolutions on recent GPUs (with bf16 or fp16) and oneDNN "
        "CPUs run faster; a network without 4-D tensors is unchanged."))
    compile: bool = Field(default=False, description=(
        "Train through torch.compile: the first steps take longer while it compiles, "
        "the later ones may run faster. Checkpoints, exports and inspection use the "
        "plain network. Not for task gan."))

    @model_validator(mode="after")
    def _compile_not_for_gan(self) -> TrainingSpec:
        if self.compile and self.task == "gan":
            raise ValueError("compile is not available for task gan (its generator and "
                             "discriminator run as separate halves of the network): set "
                             "compile to false")
        return self


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in changes.items():
        old = merged.get(key)
        merged[key] = (merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping)
                       else value)
    return merged


def lay_over(base: TrainingSpec, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base`'s settings with `changes` laid over them, group by group (a lesson's
    experiment over its lesson's, a request over a preset's). Naming another dataset
    starts from none of base's dataset options: one dataset's options do not fit
    another."""
    settings = base.model_dump(mode="json")
    dataset = changes.get("dataset")
    if isinstance(dataset, Mapping) and dataset.get("name", settings["dataset"]["name"]) != \
            settings["dataset"]["name"]:
        settings["dataset"]["options"] = {}
    return merge(settings, changes)
