"""get_store picks a backend by URL scheme; the default URL is a SQLite file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.store import default_database_url, get_store, known_schemes, url_scheme
from app.store.sql import SqlRunStore


def test_known_schemes() -> None:
    assert known_schemes() == ["postgresql", "sqlite"]


@pytest.mark.parametrize(("url", "scheme"), [
    ("sqlite:///x.db", "sqlite"),
    ("postgresql+psycopg://u@/db?host=/tmp", "postgresql"),
    ("PostgreSQL://u@h/db", "postgresql"),
    ("mysql://h/db", "mysql"),
    ("layerlab.db", ""),
])
def test_url_scheme(url: str, scheme: str) -> None:
    assert url_scheme(url) == scheme


def test_get_store_opens_each_backend(store_url: str) -> None:
    store = get_store(store_url)
    try:
        assert isinstance(store, SqlRunStore)
        assert store.list_runs() == []
    finally:
        store.close()


@pytest.mark.parametrize("url", ["mysql://h/db", "layerlab.db", "mongodb://h"])
def test_unknown_scheme_lists_the_known_ones(url: str) -> None:
    with pytest.raises(ValueError, match="known schemes: postgresql, sqlite"):
        get_store(url)


def test_backends_are_imported_lazily() -> None:
    code = ("import sys, app.store; "
            "assert 'app.store.sql' not in sys.modules; assert 'sqlalchemy' not in sys.modules")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_default_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    assert default_database_url() == f"sqlite:///{(tmp_path / 'home').resolve()}/layerlab.db"
    monkeypatch.delenv("LAYERLAB_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path.resolve() / ".local" / "share" / "layerlab" / "layerlab.db"
    assert default_database_url() == f"sqlite:///{expected}"
