"""Access token and bind address rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings

TOKEN = "s3cret-access-token-0123456789-AbCdEf"


def test_token_required_on_api_but_not_health(tmp_path: Path) -> None:
    settings = Settings(token=TOKEN, home=tmp_path, allowed_hosts=["testserver"])
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/layers").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.get("/api/v1/layers", headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/v1/layers", headers=right).status_code == 200


def test_public_bind_needs_a_token() -> None:
    with pytest.raises(ValueError, match="LAYERLAB_TOKEN"):
        Settings(host="0.0.0.0").check_exposure()
    Settings(host="0.0.0.0", token=TOKEN).check_exposure()
    Settings(host="0.0.0.0").check_exposure(accounts=True)  # each user signs in
    Settings().check_exposure()


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYERLAB_LIMITS__MAX_PARAMS", "1000")
    assert Settings().limits.max_params == 1000
