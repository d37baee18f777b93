"""/static serves the built UI (static/dist) and the plain stylesheet only: never the
front-end sources, its package files, node_modules or Vite's manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.settings import Settings
from tests.security.helpers import AUTH, TOKEN, Lab

HIDDEN = ["src/main.tsx", "package.json", "package-lock.json", "tsconfig.json",
          "vite.config.ts", "node_modules/react/package.json", "dist/.vite/manifest.json",
          "dist/../package.json", "dist/%2e%2e/package.json", "dist", "dist/", ""]


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app over a static folder laid out as the real one, built or not, so every
    case has a file behind it whatever the checkout holds."""
    root = tmp_path_factory.mktemp("static-files")
    static = root / "static"
    files = {name: f"contents of {name}" for name in [
        "src/main.tsx", "package.json", "package-lock.json", "tsconfig.json",
        "vite.config.ts", "node_modules/react/package.json", "dist/.vite/manifest.json",
        "dist/assets/main-abc123.js", "dist/assets/main-abc123.css", "style.css"]}
    for name, text in files.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(text)
    settings = Settings(home=root / "home", token=TOKEN, allowed_hosts=["testserver"],
                        static_dir=static)
    with TestClient(create_app(settings), headers=AUTH) as client:
        yield client


@pytest.mark.parametrize("path", HIDDEN)
def test_sources_are_not_served(ui: TestClient, path: str) -> None:
    assert ui.get(f"/static/{path}").status_code == 404


@pytest.mark.parametrize("path", ["dist/assets/main-abc123.js", "dist/assets/main-abc123.css",
                                  "style.css"])
def test_built_files_are_served(ui: TestClient, path: str) -> None:
    answer = ui.get(f"/static/{path}")
    assert answer.status_code == 200 and answer.text == f"contents of {path}"


@pytest.mark.parametrize("path", ["src/main.tsx", "package.json",
                                  "node_modules/react/package.json"])
def test_the_checkouts_sources_are_not_served(lab: Lab, path: str) -> None:
    """The same on the real static folder, where these files do exist."""
    assert (Path(lab.app.state.settings.static_dir) / path).is_file()
    assert lab.client.get(f"/static/{path}").status_code == 404
