"""The browser UI's API code is generated from the server's OpenAPI schema, never
written by hand: these fail when the committed code is stale (`make api-types`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.api import create_app

STATIC = Path(__file__).resolve().parent.parent / "static"
GENERATED = STATIC / "src" / "api" / "gen"
HINT = "the UI's API code is stale: run `make api-types` and commit the result"


def _tool(name: str) -> Path:
    tool = STATIC / "node_modules" / ".bin" / name
    if not tool.exists():
        pytest.fail("static/node_modules is missing: run `make ui` first")
    assert shutil.which("node"), "Node.js is needed to build the UI"
    return tool


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_the_committed_openapi_schema_is_the_servers() -> None:
    committed = json.loads((STATIC / "src" / "api" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(create_app().openapi())), HINT


def test_the_typescript_types_are_generated_from_it(tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    subprocess.run([str(_tool("openapi-typescript")), "src/api/openapi.json", "-o", str(fresh)],
                   cwd=STATIC, check=True, capture_output=True, timeout=120)
    assert fresh.read_text() == (STATIC / "src" / "api" / "schema.d.ts").read_text(), HINT


def test_the_client_is_generated_from_it(tmp_path: Path) -> None:
    """The generated client (static/openapi-ts.config.ts) as committed, file for file."""
    fresh = tmp_path / "gen"
    subprocess.run([str(_tool("openapi-ts")), "-o", str(fresh)], cwd=STATIC, check=True,
                   capture_output=True, timeout=180)
    committed = _files(GENERATED)
    assert committed, "static/src/api/gen is missing: run `make api-types`"
    assert _files(fresh) == committed, HINT


def test_the_ui_type_checks_against_the_generated_code() -> None:
    """The stream's decoder (src/train/stream.ts) and every call are checked against the
    generated types: a message field renamed on one side only fails here."""
    result = subprocess.run([str(_tool("tsc")), "--noEmit", "-p", "."], cwd=STATIC,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:]
