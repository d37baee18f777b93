"""Shared fixtures: one app and one client for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from app.spec import NetworkSpec
from app.spec.presets import load_presets

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@pytest.fixture(scope="session")
def presets() -> dict[str, NetworkSpec]:
    return load_presets(MODELS_DIR)


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("layerlab-home"),
                        allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client
