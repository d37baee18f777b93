"""GANs: the generator/discriminator split and its mistakes, and training checked against
a plain PyTorch loop with two optimizers (the textbook way to write one)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from app.datasets.base import load_dataset
from app.nn import build
from app.nn.graph_module import GraphNet
from app.runs import run_local
from app.spec import parse_network
from app.spec.events import EpochEvent, MetricsEvent, TrainingEvent
from app.spec.training import TrainingSpec
from app.train import CHECKPOINT_NAME, TaskError, holdout
from app.train.gan import GanTrainer
from app.train.session import check_training
from tests.train.test_checkpoints import PauseAt

DIGITS = {"name": "digits", "options": {"layout": "image"}}  # 8x8 images in [0, 1]
TINY_GAN: dict[str, Any] = {"input": {"shape": [4]}, "layers": [
    {"id": "g1", "type": "dense", "units": 16, "activation": "relu"},
    {"id": "g2", "type": "dense", "units": 64, "activation": "sigmoid"},
    {"id": "fake", "type": "reshape", "shape": [1, 8, 8]},
    {"id": "d_flat", "type": "flatten"},
    {"id": "d1", "type": "dense", "units": 16},
    {"id": "d1_act", "type": "activation", "activation": "leaky_relu", "negative_slope": 0.2},
    {"id": "verdict", "type": "dense", "units": 1},
]}


def training(**changes: Any) -> TrainingSpec:
    base = {"dataset": DIGITS, "task": "gan", "epochs": 1, "batch_size": 64,
            "validation_split": 0.0, "device": "cpu",
            "optimizer": {"name": "adam", "lr": 2e-3, "betas": [0.5, 0.999]}}
    return TrainingSpec.model_validate(base | changes)


def with_layers(**changed: dict[str, Any]) -> dict[str, Any]:
    layers = [changed.get(layer["id"], layer) for layer in TINY_GAN["layers"]]
    return {**TINY_GAN, "layers": layers}


def test_the_split_defaults_to_the_last_layer_of_the_sample_shape() -> None:
    split = check_training(parse_network(TINY_GAN), training()).gan
    assert split is not None and split.generator_output == "fake"
    assert split.generator == ("g1", "g2", "fake")
    assert split.discriminator == ("d_flat", "d1", "d1_act", "verdict")
    explicit = training(gan={"generator_output": "fake"})
    assert check_training(parse_network(TINY_GAN), explicit).gan == split


@pytest.mark.parametrize(("spec", "config", "message"), [
    (with_layers(g2={"id": "g2", "type": "dense", "units": 49, "activation": "sigmoid"},
                 fake={"id": "fake", "type": "reshape", "shape": [1, 7, 7]}),
     {}, "no layer gives the dataset's sample shape"),
    (with_layers(g2={"id": "g2", "type": "dense", "units": 49, "activation": "sigmoid"},
                 fake={"id": "fake", "type": "reshape", "shape": [1, 7, 7]}),
     {"gan": {"generator_output": "fake"}},
     r"generator's output layer 'fake' gives \(1, 7, 7\) but dataset 'digits' has samples "
     r"of \(1, 8, 8\)"),
    (TINY_GAN, {"gan": {"generator_output": "nope"}}, "names 'nope', not a layer"),
    (with_layers(d1={"id": "d1", "type": "dense", "units": 16, "inputs": ["g1"]}), {},
     "discriminator layer 'd1' reads generator layer 'g1'"),
    (with_layers(d1={"id": "d1", "type": "dense", "units": 16, "inputs": ["input"]}), {},
     "discriminator layer 'd1' reads the noise"),
    (with_layers(verdict={"id": "verdict", "type": "dense", "units": 2}), {},
     r"discriminator's last layer 'verdict' gives \(2,\).*dense layer of 1 unit"),
    ({**TINY_GAN, "layers": TINY_GAN["layers"][:3]}, {},
     "the network's last layer 'fake' is part of the generator"),
    (TINY_GAN, {"loss": "mse"}, "a gan trains with bce"),
    (TINY_GAN, {"input_noise": 0.1}, "input_noise is for reconstruction and vae"),
])
def test_gan_mistakes_name_the_layer(spec: dict[str, Any], config: dict[str, Any],
                                     message: str) -> None:
    with pytest.raises(TaskError, match=message):
        check_training(parse_network(spec), training(**config))


def test_a_gan_of_tokens_is_refused() -> None:
    spec = {"input": {"shape": [4]}, "layers": [
        {"id": "fake", "type": "dense", "units": 16}, {"id": "out", "type": "dense", "units": 1}]}
    config = training(dataset={"name": "chars"})
    with pytest.raises(TaskError, match="not gan"):
        check_training(parse_network(spec), config)


def reference_fit(model: GraphNet, config: TrainingSpec, x: torch.Tensor) -> None:
    """One epoch the textbook way: two Adam optimizers, D on real and detached fakes,
    then G through D with the non-saturating loss."""
    names = [node.layer_id for node in model.nodes]
    cut = names.index("fake") + 1
    g_params = [p for i in names[:cut] for p in model.layer(i).parameters()]
    d_params = [p for i in names[cut:] for p in model.layer(i).parameters()]
    spec, gan = config.optimizer, config.gan
    opt_g = torch.optim.Adam(g_params, lr=spec.lr, betas=spec.betas)
    opt_d = torch.optim.Adam(d_params, lr=spec.lr, betas=spec.betas)
    x = x[holdout(len(x), config.validation_split, config.seed)[1]]  # as the trainer splits
    x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(config.seed))]

    def bce(logits: torch.Tensor, label: float) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))

    for start in range(0, len(x), config.batch_size):
        real = x[start:start + config.batch_size]
        n = len(real)
        for _ in range(gan.d_steps):
            fake = model.run(torch.randn(n, 4), until="fake").detach()
            d_loss = (bce(model.run(real, after="fake"), 1 - gan.label_smoothing)
                      + bce(model.run(fake, after="fake"), 0.0))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        for _ in range(gan.g_steps):
            g_loss = bce(model.run(model.run(torch.randn(n, 4), until="fake"), after="fake"), 1.0)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()


@pytest.mark.parametrize("gan", [{}, {"d_steps": 2, "g_steps": 3, "label_smoothing": 0.1}])
def test_training_matches_a_plain_two_optimizer_loop(gan: dict[str, Any]) -> None:
    config = training(gan=gan)
    data = load_dataset("digits", {"layout": "image"})
    data.x_train = data.x_train[:300]  # 5 batches, the last one short
    data.y_train = data.y_train[:300]
    torch.manual_seed(0)
    model = build(parse_network(TINY_GAN))
    twin = copy.deepcopy(model)
    checked = check_training(parse_network(TINY_GAN), config)
    events: list[TrainingEvent] = []
    assert checked.gan is not None
    trainer = GanTrainer(model, data, config, checked.task, events.append, torch.device("cpu"),
                         split=checked.gan)
    torch.manual_seed(1)
    trainer.fit()
    torch.manual_seed(1)
    reference_fit(twin, config, data.x_train)
    for (name, ours), theirs in zip(model.state_dict().items(), twin.state_dict().values(),
                                    strict=True):
        assert torch.allclose(ours, theirs, atol=1e-6), name
    metrics = [e for e in events if isinstance(e, MetricsEvent)]
    columns = metrics[0].values
    assert set(columns) == {"train_loss", "train_discriminator", "train_generator",
                            "train_d_real", "train_d_fake"}
    assert columns["train_loss"][0] == pytest.approx(
        columns["train_discriminator"][0] + columns["train_generator"][0])
    assert 0 < columns["train_d_real"][0] < 1 and 0 < columns["train_d_fake"][0] < 1


def test_a_frozen_layer_stays_and_the_samples_are_drawn_on_schedule() -> None:
    spec = parse_network(with_layers(g1={**TINY_GAN["layers"][0], "trainable": False}))
    config = training(epochs=2, validation_split=0.2, gan={"sample_every": 4, "samples": 9})
    checked = check_training(spec, config)
    assert checked.gan is not None
    torch.manual_seed(0)
    model = build(spec)
    before = {i: copy.deepcopy(model.layer(i).state_dict()) for i in ("g1", "g2", "d1")}
    grids: list[tuple[int, int, torch.Tensor]] = []

    def keep(samples: torch.Tensor, epoch: int, step: int) -> list[TrainingEvent]:
        grids.append((epoch, step, samples))
        return []

    events: list[TrainingEvent] = []
    trainer = GanTrainer(model, load_dataset("digits", {"layout": "image"}), config,
                         checked.task, events.append, torch.device("cpu"), split=checked.gan,
                         sample_hook=keep)
    final = trainer.fit()
    assert final.status == "completed", final.reason
    last = 2 * trainer.steps_per_epoch
    assert [step for _, step, _ in grids] == [0, *range(4, last, 4), last]
    drawn_in = [epoch for epoch, _, _ in grids]
    assert drawn_in == sorted(drawn_in) and drawn_in[0] == 0 and drawn_in[-1] == 1
    assert all(g.shape == (9, 1, 8, 8) and g.min() >= 0 and g.max() <= 1 for _, _, g in grids)
    assert not torch.equal(grids[0][2], grids[-1][2])  # the generator learned something

    def same(layer: str) -> bool:
        now = model.layer(layer).state_dict()
        return all(torch.equal(now[k], v) for k, v in before[layer].items())

    assert same("g1") and not same("g2") and not same("d1")
    epoch = next(e for e in events if isinstance(e, EpochEvent))
    assert {"val_loss", "val_discriminator", "val_generator", "val_d_real",
            "val_d_fake"} <= set(epoch.metrics)
    assert {"test_discriminator", "test_generator"} <= set(final.metrics)


def test_run_local_trains_a_gan_to_the_end() -> None:
    final = run_local(parse_network(TINY_GAN), training(validation_split=0.1), lambda e: None)
    assert final.status == "completed", final.reason
    assert final.metrics["test_loss"] == pytest.approx(
        final.metrics["test_discriminator"] + final.metrics["test_generator"])


def test_pause_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    """The noise comes from the checkpointed RNG, so a paused GAN resumes exactly."""
    config = training(epochs=2, validation_split=0.2, report_every=5,
                      gan={"d_steps": 2, "label_smoothing": 0.1})
    spec = parse_network(TINY_GAN)
    checked = check_training(spec, config)
    assert checked.gan is not None
    data = load_dataset("digits", {"layout": "image"})

    def fit(control: PauseAt | None = None, resume: bool = False) -> tuple[Any, GraphNet]:
        torch.manual_seed(config.seed)
        model = build(spec)
        trainer = GanTrainer(model, data, config, checked.task, lambda e: None,
                             torch.device("cpu"), tmp_path, control, split=checked.gan)
        return trainer.fit(tmp_path / CHECKPOINT_NAME if resume else None), model

    reference, uninterrupted = fit()
    assert fit(PauseAt(3))[0].status == "paused"
    resumed, model = fit(resume=True)
    assert resumed.status == "completed" and resumed.metrics == reference.metrics
    for (name, ours), theirs in zip(model.state_dict().items(),
                                    uninterrupted.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs), name
