"""The server validates every preset as it starts, the ImageNet classics included (VGG-16
is over the default max_params and is still shown): on the meta device, so start-up
allocates none of their weights. The time, operations and memory measured are recorded
(`record_property("detail", ...)`), never asserted on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from app.api import create_app
from app.nn import analyze
from app.nn.infer import clear_shape_cache
from app.settings import Settings
from app.spec.presets import networks
from tests.conftest import IMAGENET_PRESETS, OVER_DEFAULT_LIMITS
from tests.reliability.test_validate_cost import OpCounter, rss_mb


def test_start_up_validates_every_preset_without_allocating_their_weights(
        tmp_path: Path, record_property: Any) -> None:
    settings = Settings(home=tmp_path, allowed_hosts=["testserver"])
    create_app(settings)  # imports and the meta-device kernels, loaded once per process
    clear_shape_cache()  # every preset traced again, as a fresh server does
    before = rss_mb()
    start = time.perf_counter()
    with OpCounter() as counter:
        app = create_app(settings)
    elapsed_ms = (time.perf_counter() - start) * 1000
    grown = rss_mb() - before
    presets = networks(app.state.presets)
    assert set(presets) >= IMAGENET_PRESETS
    summaries = {name: analyze(spec, settings.limits, enforce=False)
                 for name, spec in presets.items()}
    assert {name for name, s in summaries.items() if s.over_limits} == OVER_DEFAULT_LIMITS
    weights_mb = sum(s.total_params for s in summaries.values()) * 4 / 2**20
    layers = sum(len(s.layers) for s in summaries.values())
    record_property("detail", f"{len(presets)} presets ({layers} layers, {weights_mb:,.0f} "
                              f"MiB of weights) validated in "
                              f"{elapsed_ms:.0f} ms, {counter.ops:,} ops, RSS {grown:+.1f} MB")
    assert grown < weights_mb / 10
