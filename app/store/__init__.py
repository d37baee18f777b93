"""Where runs and their metrics live: store backends chosen by URL scheme.

Backends are imported lazily (like mlflow's `get_store(uri)`), so importing this
package costs nothing until a store is opened.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.store.base import RunStore

# scheme -> "module:attribute" of a callable taking the URL and returning a RunStore.
_BACKENDS: dict[str, str] = {
    "sqlite": "app.store.sql:SqlRunStore",
    "postgresql": "app.store.sql:SqlRunStore",
}


def known_schemes() -> list[str]:
    return sorted(_BACKENDS)


def url_scheme(url: str) -> str:
    """'postgresql+psycopg://...' -> 'postgresql'; '' when the URL has no scheme."""
    head, sep, _ = url.partition("://")
    return head.split("+", 1)[0].lower() if sep else ""


def get_store(url: str, **options: Any) -> RunStore:
    """Open the store a URL names: sqlite:///path/layerlab.db or postgresql+psycopg://...;
    `options` go to the backend's factory (SqlRunStore: pool)."""
    scheme = url_scheme(url)
    target = _BACKENDS.get(scheme)
    if target is None:
        raise ValueError(
            f"unknown store URL scheme {scheme or '(none)'!r}; "  # the URL may hold a password
            f"known schemes: {', '.join(known_schemes())}"
        )
    module_name, _, attribute = target.partition(":")
    factory: Any = getattr(importlib.import_module(module_name), attribute)
    store: RunStore = factory(url, **options)
    return store


def data_folder() -> Path:
    """$LAYERLAB_HOME, or ~/.local/share/layerlab."""
    home = os.environ.get("LAYERLAB_HOME")
    folder = Path(home) if home else Path.home() / ".local" / "share" / "layerlab"
    return folder.expanduser().resolve()


def default_database_url() -> str:
    return f"sqlite:///{(data_folder() / 'layerlab.db').as_posix()}"


__all__ = [
    "data_folder",
    "default_database_url",
    "get_store",
    "known_schemes",
    "url_scheme",
]
