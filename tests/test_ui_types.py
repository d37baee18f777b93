"""The browser UI's API types are generated from the server's OpenAPI schema, never
written by hand: these fail when the committed ones are stale (`make api-types`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.api import create_app

STATIC = Path(__file__).resolve().parent.parent / "static"
HINT = "the UI's API types are stale: run `make api-types` and commit the result"


def test_the_committed_openapi_schema_is_the_servers() -> None:
    committed = json.loads((STATIC / "src" / "api" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(create_app().openapi())), HINT


def test_the_typescript_types_are_generated_from_it(tmp_path: Path) -> None:
    generator = STATIC / "node_modules" / ".bin" / "openapi-typescript"
    if not generator.exists():
        pytest.fail("static/node_modules is missing: run `make ui` first")
    assert shutil.which("node"), "Node.js is needed to build the UI"
    fresh = tmp_path / "schema.d.ts"
    subprocess.run([str(generator), "src/api/openapi.json", "-o", str(fresh)], cwd=STATIC,
                   check=True, capture_output=True, timeout=120)
    assert fresh.read_text() == (STATIC / "src" / "api" / "schema.d.ts").read_text(), HINT
