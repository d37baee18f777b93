"""A server whose runs train on Ray (LAYERLAB_EXECUTOR=ray): a run goes through the
API, trains in a Ray actor and streams its events to a client as with local workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.client import LayerLab
from app.settings import Settings
from tests.conftest import serving_app
from tests.runs.conftest import TOY_NET, toy_training

pytestmark = pytest.mark.usefixtures("ray_cluster")


def test_a_run_on_ray_completes_and_streams_its_events(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, executor="ray", stop_timeout=3.0)
    with serving_app(settings) as (url, app), LayerLab(url) as lab:
        assert type(app.state.runs.executor).__name__ == "RayExecutor"
        run = lab.submit(TOY_NET, toy_training(epochs=2))
        kinds = [message["kind"] for message in run.stream()]
        info = run.wait(timeout=120)
    assert info["status"] == "completed", info.get("error")
    assert kinds[0] == "snapshot" and kinds[-1] == "finished"
    assert "epoch" in kinds or info["epoch"] == 2  # a late stream may begin after them
    assert info["test_metrics"]["test_accuracy"] > 0.5
