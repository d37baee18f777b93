"""The Dockerfile and docker-compose.yml, checked without a Docker daemon: the settings
they set exist, the server and the Ray head share one image and one runs volume, the
image runs as a non-root user and its health check asks a real route."""

from __future__ import annotations

import json
import re
import shlex
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app.api.app import API_PREFIX
from app.api.routes import health
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def image_env() -> dict[str, str]:
    """The ENV the final image sets (KEY=value form)."""
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "FROM":
            env = {}
        elif word == "ENV":
            env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    return env


def known_variables() -> set[str]:
    """LAYERLAB_* names the app reads: the Settings fields, and the few names the
    dataset code reads directly (quoted "LAYERLAB_..." literals in app/)."""
    names = {f"LAYERLAB_{name.upper()}" for name in Settings.model_fields}
    for path in (ROOT / "app").rglob("*.py"):
        names |= set(re.findall(r"[\"'](LAYERLAB_[A-Z0-9_]+)[\"']", path.read_text("utf-8")))
    return names


def is_known(name: str, known: set[str]) -> bool:
    if "__" in name:  # nested, e.g. LAYERLAB_LIMITS__MAX_PARAMS
        name = name.split("__", 1)[0]
    return name in known


def test_image_env_names_are_real_settings() -> None:
    known = known_variables()
    env = image_env()
    assert env["LAYERLAB_HOST"] == "0.0.0.0"
    assert [name for name in env if name.startswith("LAYERLAB_") and not is_known(name, known)] \
        == []


def test_image_builds_the_ui_and_ends_as_a_non_root_user() -> None:
    steps = instructions()
    froms = [rest for word, rest in steps if word == "FROM"]
    assert froms[0].endswith(" AS ui") and froms[-1] == "${BASE_IMAGE}"
    assert ("ARG", "BASE_IMAGE=python:3.11-slim") in steps
    assert ("RUN", "npm run build") in steps
    assert ("COPY", "--from=ui /ui/dist ./static/dist") in steps
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [word for word, _ in steps][-2:] == ["USER", "CMD"]
    # the EXTRAS arg reaches pip as an optional [extra]
    assert any(word == "RUN" and '-e ".${EXTRAS:+[${EXTRAS}]}"' in rest for word, rest in steps)


def test_healthcheck_asks_the_health_route(monkeypatch: pytest.MonkeyPatch) -> None:
    command = next(rest for word, rest in instructions() if word == "HEALTHCHECK")
    argv = json.loads(command[command.index("CMD") + 3:])
    assert argv[:2] == ["python", "-c"]
    routes = {API_PREFIX + route.path for route in health.router.routes}  # type: ignore[attr-defined]
    asked: list[urllib.request.Request] = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: asked.append(request))
    monkeypatch.setenv("LAYERLAB_PORT", "8123")
    monkeypatch.setenv("LAYERLAB_ALLOWED_HOSTS", '["*.example.org", "lab.example.org"]')
    exec(argv[2], {})  # the check's own code, with urlopen caught
    assert asked[0].full_url == f"http://127.0.0.1:8123{API_PREFIX}/health"
    assert f"{API_PREFIX}/health" in routes
    assert asked[0].get_header("Host") == "lab.example.org"  # an allowed host, not a pattern
    monkeypatch.delenv("LAYERLAB_ALLOWED_HOSTS")
    exec(argv[2], {})
    assert asked[1].get_header("Host") == "127.0.0.1"


# docker-compose.yml: parsed with PyYAML where it is installed (no new dependency for it).


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: compose file unchecked")
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (service.get("environment") or {}).items()}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> path inside the container."""
    return dict(volume.split(":")[:2] for volume in service.get("volumes", []))


def test_compose_sets_only_real_settings(compose: dict[str, Any]) -> None:
    known = known_variables()
    for name, service in compose["services"].items():
        unknown = [key for key in environment(service)
                   if key.startswith("LAYERLAB_") and not is_known(key, known)]
        assert unknown == [], name


def test_server_and_ray_head_share_one_image_and_the_runs_volume(
        compose: dict[str, Any]) -> None:
    services = compose["services"]
    server, head = services["layerlab"], services["ray-head"]
    assert server["image"] == head["image"] and server["build"] == head["build"]
    assert "ray" in server["build"]["args"]["EXTRAS"].split(",")
    home = environment(server).get("LAYERLAB_HOME", image_env()["LAYERLAB_HOME"])
    assert environment(head).get("LAYERLAB_HOME", home) == home
    shared = {volume: path for volume, path in mounts(server).items()
              if mounts(head).get(volume) == path}
    assert home in shared.values(), "LAYERLAB_HOME must be one volume at one path in both"
    assert set(mounts(server)) <= set(compose["volumes"])


def test_server_talks_to_postgres_and_the_ray_head(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = environment(services["layerlab"])
    assert env["LAYERLAB_EXECUTOR"] == "ray"
    assert env["LAYERLAB_TOKEN"].startswith("${LAYERLAB_TOKEN")  # from the environment
    head_command = services["ray-head"]["command"]
    port = re.search(r"--port=(\d+)", head_command).group(1)  # type: ignore[union-attr]
    assert "--head" in head_command and "--block" in head_command
    assert env["LAYERLAB_RAY_ADDRESS"] == f"ray-head:{port}"
    assert f"--address=ray-head:{port}" in " ".join(services["layerlab"]["command"])
    for name in ("layerlab", "ray-head"):  # one Ray token, token mode on both sides
        assert environment(services[name])["RAY_AUTH_MODE"] == "token"
        assert environment(services[name])["RAY_AUTH_TOKEN"].startswith("${RAY_AUTH_TOKEN")

    postgres = environment(services["postgres"])
    url = env["LAYERLAB_DATABASE_URL"]
    assert url.startswith(f"postgresql+psycopg://{postgres['POSTGRES_USER']}:")
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]

    depends = services["layerlab"]["depends_on"]
    for name in ("postgres", "ray-head"):
        assert depends[name]["condition"] == "service_healthy"
        assert services[name]["healthcheck"]["test"]
    assert services["layerlab"]["ports"] == ["8000:8000"]
