"""Sequence lessons: a regression's predictions next to the truth over consecutive
samples (a forecaster's test windows trace the series), and text generated one token at
a time by a next-token model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from pydantic import BaseModel

from app.inspect.arrays import InspectError, encode
from app.inspect.capture import evaluating
from app.inspect.outputs import OutputKind
from app.nn.graph_module import GraphNet
from app.spec.arrays import EncodedArray

MAX_SAMPLES = 2000
MAX_LENGTH = 500
EVAL_BATCH = 1024


class PredictionsOut(BaseModel):
    """Truth and prediction for the first `samples` of a split, in order: (N, outputs)."""

    truth: EncodedArray
    prediction: EncodedArray
    mae: float
    rmse: float


@torch.no_grad()
def predictions(model: GraphNet, x: torch.Tensor, y: torch.Tensor, output: OutputKind,
                samples: int = 500, max_batch: int = EVAL_BATCH) -> PredictionsOut:
    if output != "value":
        raise InspectError("predictions vs truth is for regression networks; a classifier's "
                           "answers are in /inspect/confusion")
    x, y = x[:min(samples, MAX_SAMPLES)], y[:min(samples, MAX_SAMPLES)]
    device = next(model.parameters(), torch.empty(0)).device
    step = min(EVAL_BATCH, max_batch)
    with evaluating(model):
        out = torch.cat([model(x[i:i + step].to(device)).float().cpu()
                         for i in range(0, len(x), step)])
    truth, guess = y.float().reshape(len(y), -1), out.reshape(len(out), -1)
    error = guess - truth
    return PredictionsOut(truth=encode(truth, "float32"), prediction=encode(guess, "float32"),
                          mae=float(error.abs().mean()), rmse=float(error.pow(2).mean().sqrt()))


def generate(model: GraphNet, prompt: list[int], length: int, temperature: float,
             seed: int = 0, pad: int = 0, banned: Sequence[int] = ()) -> list[int]:
    """`length` token ids after `prompt`, each drawn from the model's next-token
    distribution at `temperature` (0: always the likeliest), never one of `banned`. The
    model sees the last window of ids (its input length), left-padded with `pad` while
    the text is shorter."""
    return list(writing(model, prompt, length, temperature, seed, pad, banned))


def writing(model: GraphNet, prompt: list[int], length: int, temperature: float,
            seed: int = 0, pad: int = 0, banned: Sequence[int] = (),
            lock: AbstractContextManager[object] | None = None) -> Iterator[int]:
    """The token ids `generate` writes, one at a time as each is drawn. The checks come
    first, when it is called; each step holds `lock` (the model's, shared with the views
    that hook its layers) only while it runs."""
    spec = model.spec.input
    if spec.dtype != "token" or len(spec.shape) != 1:
        raise InspectError("text generation needs a network over a sequence of token ids")
    window, vocab = spec.shape[0], spec.vocab_size or 0
    if not 1 <= length <= MAX_LENGTH:
        raise InspectError(f"length: 1 to {MAX_LENGTH} tokens")
    return _steps(model, list(prompt), length, temperature, seed, pad, banned, window, vocab,
                  lock or nullcontext())


def _steps(model: GraphNet, ids: list[int], length: int, temperature: float, seed: int,
           pad: int, banned: Sequence[int], window: int, vocab: int,
           lock: AbstractContextManager[object]) -> Iterator[int]:
    device = next(model.parameters(), torch.empty(0)).device
    generator = torch.Generator().manual_seed(seed)
    for _ in range(length):
        context = ([pad] * window + ids)[-window:]
        with lock, torch.no_grad(), evaluating(model):
            out = model(torch.tensor([context], device=device)).float().cpu()
        logits = out[0, -1] if out.dim() == 3 else out[0]
        if logits.dim() != 1 or len(logits) != vocab:
            raise InspectError(f"the network's output {tuple(out.shape[1:])} is not one "
                               f"score per token ({vocab}) for the next position")
        logits[list(banned)] = -torch.inf
        if temperature <= 0:
            ids.append(int(logits.argmax()))
        else:
            probs = torch.softmax(logits / temperature, dim=0)
            ids.append(int(torch.multinomial(probs, 1, generator=generator)))
        yield ids[-1]
