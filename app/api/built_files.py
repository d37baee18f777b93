"""The files /static serves: the built UI and the plain stylesheet, nothing else."""

from __future__ import annotations

from pathlib import PurePath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

BUILT_FOLDER = "dist"
# The stylesheet the page falls back on before the UI is built, and the login page's.
LOOSE_FILES = frozenset({"style.css"})


def is_served(path: str) -> bool:
    """Whether a path under static/ (already normalised, '..' resolved) may be served:
    Vite's output in dist/ and the loose files. Sources, package.json, node_modules and
    hidden entries (Vite's .vite/manifest.json, which the server reads itself) are not."""
    parts = PurePath(path).parts
    if any(part.startswith(".") for part in parts):
        return False
    return path in LOOSE_FILES or (len(parts) > 1 and parts[0] == BUILT_FOLDER)


class BuiltFiles(StaticFiles):
    """StaticFiles over static/ that answers 404 for anything `is_served` refuses, so the
    templates keep their `url_for('static', path='dist/...')` links."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not is_served(path):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)
