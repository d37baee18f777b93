"""The API reaches runs, metrics and sweeps only through the services in app.runs: no
module of app.api touches a service's store or recorder (the import contract in
pyproject.toml keeps app.store's modules out of it too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import app.api

API_DIR = Path(app.api.__file__).parent
BEHIND_THE_SERVICE = {"store", "recorder", "_store", "_recorder"}


def _reaches_behind(source: str) -> list[str]:
    """Each `x.store` / `x.recorder` (private or not) in `source`, as 'line: .attr'."""
    return [f"{node.lineno}: .{node.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in BEHIND_THE_SERVICE]


@pytest.mark.parametrize("path", sorted(API_DIR.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(API_DIR)))
def test_no_api_module_reaches_behind_the_services(path: Path) -> None:
    assert _reaches_behind(path.read_text(encoding="utf-8")) == []


def test_the_scan_finds_what_it_looks_for() -> None:
    """The check above can fail: a route written the old way is caught."""
    old_way = ("def metrics(runs, run_id):\n"
               "    runs.recorder.flush()\n"
               "    return runs._store.get_metrics(run_id)\n")
    assert _reaches_behind(old_way) == ["2: .recorder", "3: ._store"]
