"""A run whose training batch would not fit in memory is refused when it is created,
with a 422 that gives the estimate, the bound and what to change, instead of being killed
by the kernel once it trains. The estimate counts every layer's output and attention's
(heads, queries, keys) score matrices, times the batch size; the bound is a setting whose
default is a share of the worker's memory, or of the machine's. The estimates and bounds
are recorded (`record_property("detail", ...)`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.nn import analyze
from app.settings import Settings
from app.spec import NetworkSpec, SpecLimits, parse_network
from app.spec.lessons import load_lessons
from app.spec.limits import BATCH_MEMORY_SHARE, machine_memory_mb
from app.spec.training import TrainingSpec
from app.train import TaskError
from app.train.memory import check_batch_memory, fitting_batch
from app.train.session import check_training
from tests.conftest import IMAGENET_PRESETS, MODELS_DIR

API = "/api/v1"
CIRCLE = {"name": "circle", "options": {"n_samples": 64}}


def conv_upsample(filters: int = 4096) -> dict[str, Any]:
    """4096 28x28 feature maps enlarged to 56x56: about 61 MiB per sample."""
    return {"version": 1, "input": {"shape": [1, 28, 28]}, "layers": [
        {"id": "conv", "type": "conv2d", "filters": filters, "kernel_size": 3,
         "padding": "same"},
        {"id": "up", "type": "upsample2d"}]}


def attention(layer: str, tokens: int, heads: int, width: int = 64) -> dict[str, Any]:
    return {"version": 1, "input": {"shape": [tokens, width]}, "layers": [
        {"id": "att", "type": layer, "num_heads": heads}]}


def run_body(spec: dict[str, Any], batch_size: int, **training: Any) -> dict[str, Any]:
    return {"model": spec, "training": {"dataset": CIRCLE, "epochs": 1, "device": "cpu",
                                        "batch_size": batch_size, **training}}


def wide_dense(units: int = 65536) -> dict[str, Any]:
    """A circle classifier whose hidden layer alone is `units` floats per sample."""
    return {"version": 1, "input": {"shape": [2]}, "layers": [
        {"id": "wide", "type": "dense", "units": units, "activation": "relu"},
        {"id": "out", "type": "dense", "units": 2}]}


def per_sample_mb(client: TestClient, spec: dict[str, Any]) -> float:
    response = client.post(f"{API}/specs/validate", json=spec)
    assert response.status_code == 200, response.text
    return float(response.json()["activation_mb"])


def run_count(client: TestClient) -> int:
    return len(client.get(f"{API}/runs", params={"limit": 500}).json()["runs"])


@pytest.fixture
def bounded(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A server whose batches may take 16 MiB of activations (or the test's parameter)."""
    bound = getattr(request, "param", 16)
    settings = Settings(home=tmp_path, allowed_hosts=["testserver"], max_concurrent_runs=1,
                        limits=SpecLimits(max_batch_activation_mb=bound))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_default_bound_is_a_share_of_the_machines_memory_or_the_workers(
        monkeypatch: pytest.MonkeyPatch, record_property: Any) -> None:
    machine = BATCH_MEMORY_SHARE * machine_memory_mb()
    assert Settings().limits.max_batch_activation_mb == pytest.approx(machine, abs=0.1)
    assert SpecLimits().batch_bound_mb() == pytest.approx(machine)
    assert Settings(worker_memory_mb=2048).limits.max_batch_activation_mb == 1024
    monkeypatch.setenv("LAYERLAB_WORKER_MEMORY_MB", "4096")
    assert Settings().limits.max_batch_activation_mb == 2048
    monkeypatch.setenv("LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB", "300")
    assert Settings().limits.max_batch_activation_mb == 300  # the setting wins
    record_property("detail", f"machine {machine_memory_mb():,.0f} MiB -> batch bound "
                              f"{machine:,.0f} MiB; worker 2048 MiB -> 1,024 MiB")


def test_a_conv_bomb_at_a_large_batch_is_refused_at_run_creation(
        client: TestClient, record_property: Any) -> None:
    spec = conv_upsample()
    per_sample = per_sample_mb(client, spec)  # one sample alone is accepted
    assert per_sample > 60
    before = run_count(client)
    response = client.post(f"{API}/runs", json=run_body(spec, 8000))
    assert response.status_code == 422, response.text
    message = response.json()["detail"]
    bound = client.app.state.settings.limits.max_batch_activation_mb  # type: ignore[attr-defined]
    assert per_sample * 8000 > bound
    assert f"{per_sample * 8000:,.0f} MiB" in message and f"{bound:,.0f} MiB" in message
    assert "training.batch_size" in message and "fewer filters" in message
    assert run_count(client) == before  # nothing queued
    record_property("detail", f"{per_sample} MiB/sample x 8000 = {per_sample * 8000:,.0f} MiB "
                              f"> bound {bound:,.0f} MiB -> 422")


def test_a_batch_needing_most_of_the_machine_is_refused_without_a_worker_limit(
        client: TestClient, record_property: Any) -> None:
    """Sized to the machine: a batch whose activations need 80% of its memory."""
    spec = conv_upsample()
    per_sample = per_sample_mb(client, spec)
    batch = min(65536, int(0.8 * machine_memory_mb() / per_sample))
    response = client.post(f"{API}/runs", json=run_body(spec, batch))
    assert response.status_code == 422, response.text
    assert "LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB" in response.json()["detail"]
    record_property("detail", f"batch {batch:,} x {per_sample} MiB = "
                              f"{batch * per_sample:,.0f} MiB of {machine_memory_mb():,.0f} "
                              "MiB -> 422")


@pytest.mark.parametrize("layer", ["transformer_encoder_block", "multihead_attention"])
def test_an_attention_bomb_is_refused_at_validation_and_at_run_creation(
        client: TestClient, layer: str, record_property: Any) -> None:
    """64 heads on 65,536 tokens: score matrices of 64 x 65,536 x 65,536 values."""
    spec = attention(layer, 65536, 64)
    scores_mb = 64 * 65536 * 65536 * 4 / 2**20
    response = client.post(f"{API}/specs/validate", json=spec)
    assert response.status_code == 422, response.text
    issue = response.json()["errors"][0]
    assert issue["layer_id"] == "att"
    assert f"{scores_mb:,.1f} MiB" in issue["message"]
    assert "fewer heads or a shorter sequence" in issue["message"]
    refused = client.post(f"{API}/runs", json=run_body(spec, 1))
    assert refused.status_code == 422, refused.text
    record_property("detail", f"scores {scores_mb:,.0f} MiB per sample -> 422 at validate "
                              "and at /runs")


def test_validation_reports_attention_scores_in_the_per_sample_figure(
        client: TestClient, record_property: Any) -> None:
    spec = attention("transformer_encoder_block", 1024, 8)
    outputs_only = 2 * 1024 * 64 * 4 / 2**20  # the input and the block's output
    scores = 8 * 1024 * 1024 * 4 / 2**20
    reported = per_sample_mb(client, spec)
    assert reported == pytest.approx(outputs_only + scores, abs=1e-3)
    record_property("detail", f"1,024 tokens, 8 heads: {reported} MiB per sample "
                              f"({scores} MiB of scores)")


def decoder(source: int, target: int, heads: int, width: int = 64) -> dict[str, Any]:
    """One (source + target, width) input cut in two: a decoder block reads the target
    and attends across to the source."""
    return {"version": 1, "input": {"shape": [source + target, width]}, "layers": [
        {"id": "src", "type": "slice", "stop": source},
        {"id": "tgt", "type": "slice", "start": source, "inputs": ["input"]},
        {"id": "dec", "type": "transformer_decoder_block", "num_heads": heads,
         "inputs": ["tgt", "src"]}]}


def test_a_decoder_counts_its_self_and_cross_attention_scores(
        client: TestClient, record_property: Any) -> None:
    source, target, heads = 1024, 512, 8
    outputs = (2 * (source + target) + target) * 64 * 4 / 2**20  # input, slices, block
    scores = heads * (target * target + target * source) * 4 / 2**20
    reported = per_sample_mb(client, decoder(source, target, heads))
    assert reported == pytest.approx(outputs + scores, abs=1e-3)
    record_property("detail", f"{target} target x {source} source tokens, {heads} heads: "
                              f"{reported} MiB per sample ({scores} MiB of self- and "
                              "cross-attention scores)")


def test_a_decoder_attention_bomb_is_refused_naming_the_block(
        client: TestClient, record_property: Any) -> None:
    spec = decoder(32768, 32768, 64)
    response = client.post(f"{API}/specs/validate", json=spec)
    assert response.status_code == 422, response.text
    issue = response.json()["errors"][0]
    assert issue["layer_id"] == "dec"
    assert "fewer heads or a shorter sequence" in issue["message"]
    record_property("detail", "64 heads, 32,768 x (32,768 + 32,768) scores: 422 at validate")


def test_a_normal_run_is_still_accepted(client: TestClient) -> None:
    response = client.post(f"{API}/runs", json={"model": {"preset": "toy-mlp"}, "training": {
        "dataset": CIRCLE, "epochs": 1, "batch_size": 32, "device": "cpu"}})
    assert response.status_code == 201, response.text


def test_the_bound_follows_the_setting(bounded: TestClient, record_property: Any) -> None:
    """At 16 MiB, 64 samples of a quarter MiB fit and 65 do not."""
    spec = wide_dense()
    per_sample = per_sample_mb(bounded, spec)
    assert per_sample == 0.25
    accepted = bounded.post(f"{API}/runs", json=run_body(spec, 64))
    assert accepted.status_code == 201, accepted.text
    refused = bounded.post(f"{API}/runs", json=run_body(spec, 65))
    assert refused.status_code == 422, refused.text
    message = refused.json()["detail"]
    assert "set training.batch_size to 64 or less" in message
    record_property("detail", f"bound 16 MiB, {per_sample} MiB/sample: batch 64 -> 201, "
                              f"65 -> 422")


def finished(client: TestClient, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"{API}/runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "diverged", "stopped"):
            return dict(run)
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.mark.parametrize("bounded", [1], indirect=True)
def test_inspection_runs_no_more_samples_at_once_than_the_bound_allows(
        bounded: TestClient, record_property: Any) -> None:
    """At 1 MiB, 4 samples of a quarter MiB fit: the views run 4 at a time, and the
    one-step view refuses 5."""
    created = bounded.post(f"{API}/runs", json=run_body(wide_dense(), 4,
                                                        validation_split=0.25))
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    assert finished(bounded, run_id)["status"] == "completed"
    subject = bounded.app.state.subjects.subject(run_id)  # type: ignore[attr-defined]
    assert subject.batch == 4
    batches: list[int] = []
    subject.model.register_forward_pre_hook(lambda _, args: batches.append(len(args[0])))
    views = f"{API}/runs/{run_id}/inspect"
    confusion = bounded.get(f"{views}/confusion")
    assert confusion.status_code == 200, confusion.text
    samples, confusion_batches = confusion.json()["samples"], list(batches)
    assert samples > 4 and max(confusion_batches) == 4 and sum(confusion_batches) == samples
    assert bounded.post(f"{views}/step", json={"count": 4}).status_code == 200
    refused = bounded.post(f"{views}/step", json={"count": 5})
    assert refused.status_code == 422, refused.text
    assert "take 4 or fewer" in refused.text
    record_property("detail", f"bound 1 MiB, 0.25 MiB/sample: confusion of {samples} samples "
                              f"in batches {confusion_batches}, step of 5 -> 422")


def test_every_preset_and_lesson_fits_the_smallest_worker(
        presets: dict[str, NetworkSpec], record_property: Any) -> None:
    """With the least worker memory allowed, every lesson trains at its batch size and
    every preset at the default one; the ImageNet classics (3x224x224 images) need a
    bigger worker or a smaller batch, and are told which batch fits."""
    limits = Settings(worker_memory_mb=256).limits
    lessons = load_lessons(MODELS_DIR / "lessons", presets)
    batches = [(f"lesson {name}", lesson.network or presets[str(lesson.preset)],
                lesson.training.batch_size) for name, lesson in lessons.items()]
    batches += [(f"preset {name}", spec, 64) for name, spec in presets.items()
                if name not in IMAGENET_PRESETS]
    largest = (0.0, "")
    for name, spec, batch in batches:
        summary = analyze(spec, limits)
        check_batch_memory(summary, batch, limits)
        largest = max(largest, (summary.activation_mb * batch, name))
    fits = {}
    for name in sorted(IMAGENET_PRESETS):
        summary = analyze(presets[name], limits, enforce=False)
        fits[name] = fitting_batch(summary, limits, 64)
        with pytest.raises(TaskError, match=f"batch_size to {fits[name]:,} or less"):
            check_batch_memory(summary, 64, limits)
    record_property("detail", f"bound {limits.max_batch_activation_mb:.0f} MiB; largest: "
                              f"{largest[1]}, {largest[0]:.1f} MiB; ImageNet batches that "
                              f"fit: {fits}")


def test_a_gans_discriminator_counts_twice(record_property: Any) -> None:
    """A GAN's discriminator judges the real batch beside the generated one: a batch
    that fits the network's own estimate is refused once the real batch is counted."""
    spec = parse_network({"version": 1, "input": {"shape": [4]}, "layers": [
        {"id": "g", "type": "dense", "units": 64, "activation": "sigmoid"},
        {"id": "fake", "type": "reshape", "shape": [1, 8, 8]},
        {"id": "d_flat", "type": "flatten"},
        {"id": "d_wide", "type": "dense", "units": 65536, "activation": "relu"},
        {"id": "verdict", "type": "dense", "units": 1}]})
    training = TrainingSpec.model_validate({
        "dataset": {"name": "digits", "options": {"layout": "image"}}, "task": "gan",
        "epochs": 1, "batch_size": 60, "validation_split": 0.0, "device": "cpu"})
    limits = SpecLimits(max_batch_activation_mb=16)
    per_sample = analyze(spec, limits).activation_mb
    assert per_sample * 60 <= 16  # the network alone fits
    with pytest.raises(TaskError, match=r"set training\.batch_size to 31 or less"):
        check_training(spec, training, limits)
    check_training(spec, training.model_copy(update={"batch_size": 31}), limits)
    record_property("detail", f"{per_sample} MiB/sample x 60 = {per_sample * 60:.1f} MiB fits "
                              "16 MiB; with the real batch through the discriminator -> "
                              "refused, 31 fits")
