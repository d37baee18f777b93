"""Views of one input (POST): the input is a sample of a split, an array or a drawn PNG;
and the views that feed the network inputs of their own (one training step, text a
character model writes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import torch
from pydantic import BaseModel, Field

from app.inspect import (
    ActivationsOut,
    AttentionOut,
    InspectError,
    PredictOut,
    SaliencyOut,
    activations,
    attention,
    predict,
    saliency,
)
from app.inspect.activations import MAX_CHANNELS
from app.inspect.channel import ChannelOut, channel_detail
from app.inspect.saliency import MAX_STEPS
from app.inspect.sequences import MAX_LENGTH, writing
from app.inspect.step import MAX_BATCH, StepOut, training_step
from app.runs.facts import RunFacts
from app.runs.inspection import Split, Subject
from app.runs.views.registry import BodyIn, Look, fed, view
from app.spec.arrays import EncodedArray
from app.spec.lesson_checks import ATTENTION_LAYERS
from app.train import objective
from app.train.optim import make_optimizer


class InputIn(BodyIn):
    """One input: exactly one of a dataset sample, an array or a PNG image."""

    model_config = {"extra": "forbid",
                    "json_schema_extra": {"examples": [{"sample": 0, "split": "test"}]}}
    sample: int | None = Field(default=None, ge=0, le=10_000_000,
                               description="Index of a sample in `split`.")
    split: Split = Field(default="test", description="Where `sample` is taken from.")
    array: EncodedArray | None = Field(default=None, description="An input shaped like the "
                                                                 "network's.")
    png: str | None = Field(default=None, max_length=8_000_000, description=(
        "A base64 PNG (or data URL), resized to the input; e.g. a drawn digit."))


def _input(look: Look, params: InputIn) -> torch.Tensor:
    return look.cache.input(look.subject, params.sample, params.split, params.array,
                            params.png)


class ActivationsIn(InputIn):
    layers: list[str] | None = Field(default=None, max_length=1024,
                                     description="Layer ids; default: every layer.")
    max_channels: int = Field(default=64, ge=1, le=MAX_CHANNELS,
                              description="Feature maps (or steps) sent per layer.")
    first_channel: int = Field(default=0, ge=0, le=1_000_000, description=(
        "The first feature map (or step) sent: a later page of a wide layer."))


def _label(look: Look, params: InputIn) -> float | None:
    """The true label of the sample asked for (None for an input the user sent)."""
    if params.sample is None:
        return None
    _, y = look.split(params.split)
    label = y[params.sample].reshape(-1)
    return float(label[0]) if label.numel() == 1 else None


@view("activations", "Activations", method="POST", applies=fed)
def _activations(look: Look, params: ActivationsIn) -> ActivationsOut:
    """Every layer's output for one input (feature maps, vectors, sequences), beside the
    input's true label and the network's prediction."""
    subject = look.subject
    answer = activations(subject.model, _input(look, params), params.layers,
                         params.max_channels, params.first_channel, subject.output,
                         subject.class_names)
    answer.label = _label(look, params)
    return answer


class ChannelIn(InputIn):
    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [
        {"sample": 0, "layer": "conv1", "channel": 0}]}}
    layer: str = Field(min_length=1, max_length=64, description="The layer's id.")
    channel: int = Field(ge=0, le=1_000_000, description="Its output channel (feature map).")


def _maps(facts: RunFacts) -> bool:
    """Networks whose layers can output feature maps: over images, signals or sequences."""
    return facts.fed and len(facts.input_shape) >= 2


@view("activations/channel", "Feature map", method="POST", applies=_maps)
def _channel(look: Look, params: ChannelIn) -> ChannelOut:
    """One feature map of a layer for one input, in full; for a convolution, also the
    input channels it reads and the kernel that made it from them, with its stride and
    padding, so each output value can be traced to the input patch it came from."""
    return channel_detail(look.subject.model, _input(look, params), params.layer,
                          params.channel)


@view("attention", "Attention", method="POST",
      applies=lambda facts: facts.fed and facts.has(*ATTENTION_LAYERS))
def _attention(look: Look, params: InputIn) -> AttentionOut:
    """Per attention layer and head, the attention weights for one input sequence."""
    return attention(look.subject.model, _input(look, params), look.subject.class_names)


class SaliencyIn(InputIn):
    target: int | None = Field(default=None, ge=0, le=1_000_000,
                               description="Output unit to explain; default: the predicted "
                                           "class.")
    steps: int = Field(default=32, ge=1, le=MAX_STEPS, description="Integrated-gradient steps.")


@view("saliency", "Saliency", method="POST",
      applies=lambda facts: facts.fed and facts.input_dtype != "token")
def _saliency(look: Look, params: SaliencyIn) -> SaliencyOut:
    """Gradient x input and integrated gradients of one output unit for one input."""
    subject = look.subject
    return saliency(subject.model, _input(look, params), subject.output, params.target,
                    params.steps)


@view("predict", "Prediction", method="POST", applies=fed)
def _predict(look: Look, params: InputIn) -> PredictOut:
    """The network's answer for one input: class probabilities, a value or a reconstruction."""
    subject = look.subject
    return predict(subject.model, _input(look, params), subject.output, subject.class_names)


class DrawIn(BodyIn):
    png: str = Field(max_length=8_000_000, description=(
        "A base64 PNG (or data URL) of the drawing, resized to the input."))


@view("draw", "Draw", method="POST",
      applies=lambda facts: facts.fed and facts.image and facts.input_shape[0] == 1)
def _draw(look: Look, params: DrawIn) -> PredictOut:
    """The network's answer for an image drawn by hand (a grey image input, e.g. a digit)."""
    subject = look.subject
    x = look.cache.input(subject, png=params.png)
    return predict(subject.model, x, subject.output, subject.class_names)


class StepIn(BodyIn):
    """Samples of a split for one training step: `count` of them from `sample` on."""

    sample: int = Field(default=0, ge=0, le=10_000_000, description="The first sample.")
    count: int = Field(default=1, ge=1, le=MAX_BATCH, description="How many (a tiny batch).")
    split: Split = Field(default="train", description="Where the samples are taken from.")


@view("step", "One step", method="POST", applies=fed)
def _step(look: Look, params: StepIn) -> StepOut:
    """One training step laid bare on a few samples: each layer's inputs and output, the
    loss, each parameter's gradient and the update the run's optimizer makes (from a
    fresh optimizer state, on a copy: the run's weights do not change)."""
    subject, config = look.subject, look.run.training
    task = subject.task
    if not task.kind.reads_samples:
        raise InspectError(f"the one-step view follows one network's step; a {task.kind.name} "
                           "alternates two (see its loss terms and samples)")
    xs, ys = look.split(params.split)
    first, count = params.sample, params.count
    if first + count > len(xs):
        raise InspectError(f"sample: the {params.split} split has {len(xs)} samples, so "
                           f"{count} from {first} do not fit")
    if count > subject.batch:
        raise InspectError(f"count: {count} samples' activations would not fit the memory "
                           f"bound (LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB): take "
                           f"{subject.batch} or fewer")
    x, y = xs[first:first + count], ys[first:first + count]

    def loss(model: torch.nn.Module, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return objective(model, task, config, *task.outputs_and_targets(out, x, target))[0]

    return training_step(subject.model, x, y, loss, lambda model: make_optimizer(
        model, config.optimizer, config.layer_lr), seed=config.seed)


class GenerateIn(BodyIn):
    prompt: str = Field(default="", max_length=2000, description="Text to go on from.")
    length: int = Field(default=200, ge=1, le=MAX_LENGTH, description="Characters to write.")
    temperature: float = Field(default=0.8, ge=0.0, le=5.0, description=(
        "Below 1: safer, repetitive; above 1: wilder; 0: always the likeliest character."))
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class GeneratedOut(BaseModel):
    prompt: str
    text: str = Field(description="What the model wrote after the prompt.")


def _writes_text(facts: RunFacts) -> bool:
    return facts.output == "tokens" and facts.input_dtype == "token"


def written(subject: Subject, params: GenerateIn, lock: threading.Lock | None = None
            ) -> Iterator[str]:
    """The characters a character model writes on from the prompt, one at a time as
    each is drawn (never the unknown symbol, which stands for no character). The prompt
    is checked when this is called; each step holds `lock` (the model's, unless the
    caller holds it already) while it runs."""
    prompt = params.prompt
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
    # it writes characters: a token that stands for none (the unknown symbol) is not drawn
    symbols = [i for i, token in enumerate(vocab) if len(token) != 1]
    ids = writing(subject.model, [index[c] for c in prompt], params.length,
                  params.temperature, params.seed, index.get(" ", 0), symbols, lock)
    return (vocab[i] for i in ids)


@view("generate", "Generate", method="POST", applies=_writes_text, own=True)
def _generate(look: Look, params: GenerateIn) -> GeneratedOut:
    """A character model writes on from a prompt, one character at a time (never the
    unknown symbol, which stands for no character). POST /inspect/generate/stream
    sends the characters as they are written."""
    text = "".join(written(look.subject, params))  # the view holds the model's lock
    return GeneratedOut(prompt=params.prompt, text=text)
