"""The VAE: the sampling layer's reparameterisation and KL against the closed form, the
vae task's loss as reconstruction + beta * KL with both terms reported, and its errors."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from app.nn import build
from app.nn.modules import Sampling
from app.runs.in_process import run_local
from app.spec import SpecError, parse_network
from app.spec.events import EpochEvent, MetricsEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.train import TaskError
from app.train.session import check_training

TINY_VAE: dict[str, Any] = {"input": {"shape": [1, 8, 8]}, "layers": [
    {"id": "flat", "type": "flatten"},
    {"id": "enc", "type": "dense", "units": 32, "activation": "relu"},
    {"id": "mu", "type": "dense", "units": 2, "inputs": ["enc"]},
    {"id": "log_var", "type": "dense", "units": 2, "inputs": ["enc"]},
    {"id": "z", "type": "sampling", "inputs": ["mu", "log_var"]},
    {"id": "dec", "type": "dense", "units": 64},
    {"id": "image", "type": "reshape", "shape": [1, 8, 8]}]}
DIGITS = {"name": "digits", "options": {"layout": "image"}}


def training(**overrides: Any) -> TrainingSpec:
    return TrainingSpec.model_validate({"dataset": DIGITS, "task": "vae", "epochs": 2,
                                        "batch_size": 64, "device": "cpu"} | overrides)


def test_the_kl_term_equals_the_closed_form() -> None:
    """KL(N(mu, s^2) || N(0, 1)) = (s^2 + mu^2 - 1 - ln s^2) / 2 per dimension."""
    layer = Sampling().eval()
    mean, log_var = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    z = layer(mean, log_var)
    assert torch.equal(z, mean)  # evaluation passes the mean
    expected = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 0 - 1 - math.log(4.0))
    assert float(layer.kl) == pytest.approx(expected)


def test_training_draws_from_the_gaussian_it_is_given() -> None:
    torch.manual_seed(0)
    layer = Sampling().train()
    mean, log_var = torch.full((20_000, 1), 2.0), torch.full((20_000, 1), math.log(0.25))
    z = layer(mean, log_var)
    assert float(z.mean()) == pytest.approx(2.0, abs=0.02)
    assert float(z.std()) == pytest.approx(0.5, abs=0.02)  # exp(log_var / 2)


def test_a_vae_trains_and_reports_both_terms() -> None:
    seen: list[TrainingEvent] = []
    final = run_local(parse_network(TINY_VAE), training(beta=2.0), seen.append)
    assert final.status == "completed", final.reason
    steps = [e for e in seen if isinstance(e, MetricsEvent)]
    assert {"train_loss", "train_reconstruction", "train_kl"} == set(steps[0].values)
    for event in steps:  # loss = reconstruction + beta * KL, at every step
        for loss, rec, kl in zip(*(event.values[k] for k in ("train_loss",
                                   "train_reconstruction", "train_kl")), strict=True):
            assert loss == pytest.approx(rec + 2.0 * kl, rel=1e-5)
    epoch = next(e for e in seen if isinstance(e, EpochEvent)).metrics
    assert {"val_reconstruction", "val_kl", "train_reconstruction", "train_kl"} <= set(epoch)
    assert epoch["val_loss"] == pytest.approx(epoch["val_reconstruction"] + 2 * epoch["val_kl"],
                                              rel=1e-5)
    assert final.metrics["test_kl"] > 0


@torch.no_grad()
def test_beta_zero_is_a_plain_reconstruction_loss() -> None:
    """The reconstruction term is the loss summed over a sample's values, averaged over
    the batch; with beta 0 it is the whole loss."""
    model = build(parse_network(TINY_VAE)).eval()
    task = check_training(parse_network(TINY_VAE), training(beta=0.0)).task
    x = torch.rand(4, 1, 8, 8)
    out = model(x)
    loss, (reconstruction, kl) = task.loss_terms(model, out, x)
    assert kl.item() > 0 and loss.item() == pytest.approx(reconstruction.item())
    summed = torch.nn.functional.mse_loss(out, x, reduction="sum") / 4
    assert reconstruction.item() == pytest.approx(summed.item(), rel=1e-5)


def test_vae_mistakes_are_named() -> None:
    plain = {**TINY_VAE, "layers": [layer for layer in TINY_VAE["layers"]
                                    if layer["id"] not in ("log_var", "z")]}
    plain["layers"][3] = {"id": "dec", "type": "dense", "units": 64, "inputs": ["mu"]}
    with pytest.raises(TaskError, match="a vae needs a sampling layer"):
        check_training(parse_network(plain), training())
    with pytest.raises(TaskError, match="supports classification, gan, not vae"):
        check_training(parse_network({"input": {"shape": [2]}, "layers": [
            {"id": "out", "type": "dense", "units": 2}]}),
            training(dataset={"name": "xor"}))
    uneven = {**TINY_VAE, "layers": [*TINY_VAE["layers"][:3],
                                     {"id": "log_var", "type": "dense", "units": 3,
                                      "inputs": ["enc"]}, *TINY_VAE["layers"][4:]]}
    with pytest.raises(SpecError) as refused:
        build(parse_network(uneven))
    assert refused.value.issues[0].layer_id == "z"
    assert "same shape" in refused.value.issues[0].message


def test_a_denoising_autoencoder_sees_noisy_inputs_and_clean_targets() -> None:
    """With input_noise, each training batch goes in with gaussian noise of that std
    added, while the loss compares the output with the clean batch."""
    from app.datasets.base import load_dataset
    from app.train import Trainer
    from app.train.tasks import Task

    spec = parse_network({"input": {"shape": [1, 8, 8]}, "layers": [
        {"id": "flat", "type": "flatten"}, {"id": "code", "type": "dense", "units": 8},
        {"id": "dec", "type": "dense", "units": 64},
        {"id": "image", "type": "reshape", "shape": [1, 8, 8]}]})
    config = training(task="reconstruction", input_noise=0.5, epochs=1,
                      validation_split=0.0)
    checked = check_training(spec, config)
    seen_in: list[torch.Tensor] = []
    seen_target: list[torch.Tensor] = []

    def recording_loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        seen_target.append(target.detach().clone())
        return torch.nn.functional.mse_loss(out, target)

    task = Task(checked.task.kind, checked.task.loss_name, recording_loss)
    model = build(spec)
    model.layer("flat").register_forward_pre_hook(
        lambda _, args: seen_in.append(args[0].detach().clone()) if model.training else None)
    data = load_dataset("digits", {"layout": "image"})
    Trainer(model, data, config, task, lambda _: None, torch.device("cpu")).fit()
    steps = len(seen_in)  # the training steps; the test evaluation comes after them
    assert steps > 10 and len(seen_target) == steps + 1
    noise = torch.cat([a - b for a, b in zip(seen_in, seen_target[:steps], strict=True)])
    assert float(noise.std()) == pytest.approx(0.5, rel=0.05)
    assert float(noise.mean()) == pytest.approx(0.0, abs=0.01)
    assert float(torch.cat(seen_target).min()) >= 0  # the clean digits
    with pytest.raises(TaskError, match="input_noise is for reconstruction and vae"):
        check_training(parse_network({"input": {"shape": [1, 8, 8]}, "layers": [
            {"id": "flat", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}]}),
            training(task="classification", input_noise=0.1))
