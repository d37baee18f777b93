"""Uploaded CSV tables on disk: `<folder>/<id>.csv`, kept under the server's home.

The folder is the server's (`Settings.uploads_dir`): the server names it at start-up
(`use_uploads_dir`), scopes each request to its own (`uploads_in`, for several servers
in one process), and hands it to the workers with their jobs. Without a server it is
`$LAYERLAB_HOME/uploads` (~/.local/share/layerlab/uploads).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.datasets.base import DatasetError

UPLOAD_ID = r"^[0-9a-f]{32}$"
MAX_BYTES = 5 * 2**20
DEFAULT_QUOTA_BYTES = 500_000_000
FREE_SPACE = ("delete uploads you no longer need (GET /api/v1/datasets/csv/uploads lists "
              "the tables; DELETE /api/v1/datasets/csv/uploads/{id} or "
              "/api/v1/datasets/images/uploads/{id} removes one) or raise "
              "LAYERLAB_UPLOAD_QUOTA_BYTES")

_process_folder: Path | None = None
_request_folder: ContextVar[Path | None] = ContextVar("uploads_folder", default=None)
writing = threading.Lock()  # the quota is checked and an upload written as one step


class UploadNotFound(DatasetError):
    """No upload has this id (an API 404)."""


class UploadQuotaExceeded(DatasetError):
    """The upload would take the folder over its quota (an API 413)."""


@dataclass(frozen=True)
class UploadFile:
    """One stored upload."""

    id: str
    size: int  # bytes
    created_at: datetime


def use_uploads_dir(folder: Path) -> None:
    """This process's uploads folder from now on (a server's, or a worker's server's)."""
    global _process_folder
    _process_folder = folder


@contextmanager
def uploads_in(folder: Path) -> Iterator[None]:
    """Within the block (and the threads it hands work to), uploads are in `folder`."""
    token = _request_folder.set(folder)
    try:
        yield
    finally:
        _request_folder.reset(token)


def use_request_uploads(folder: Path) -> None:
    """From here to the end of the request (its task, and the threads it hands work to),
    uploads are in `folder`: a signed-in user's own."""
    _request_folder.set(folder)


def user_uploads(root: Path, owner: str | None) -> Path:
    """A user's own uploads folder under a server's (on a server with accounts), or the
    server's for work of no user."""
    return root if owner is None else root / "users" / owner


def uploads_dir() -> Path:
    """Where uploaded tables are kept now (see the module docstring)."""
    folder = _request_folder.get() or _process_folder
    if folder is not None:
        return folder
    home = os.environ.get("LAYERLAB_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "layerlab"
    return base.expanduser().resolve() / "uploads"


def upload_path(upload_id: str) -> Path:
    """The file of an upload; `upload_id` must already match UPLOAD_ID (never a path)."""
    return uploads_dir() / f"{upload_id}.csv"


def list_uploads() -> list[UploadFile]:
    """Every stored upload, newest first."""
    found = []
    folder = uploads_dir()
    if not folder.is_dir():
        return []
    for path in folder.glob("*.csv"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # deleted meanwhile
            continue
        found.append(UploadFile(path.stem, stat.st_size,
                                datetime.fromtimestamp(stat.st_mtime, UTC)))
    return sorted(found, key=lambda u: (u.created_at, u.id), reverse=True)


def used_bytes() -> int:
    """What the stored uploads (and any being written) take, in bytes: the CSV tables and
    the image folders' files."""
    folder = uploads_dir()
    if not folder.is_dir():
        return 0
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:
            continue
    return total


def save_upload(data: bytes, max_bytes: int = MAX_BYTES,
                quota_bytes: int = DEFAULT_QUOTA_BYTES) -> str:
    """Store an uploaded CSV file and return its new id (32 hex digits).

    Refuses empty, over-size and non-UTF-8 data (DatasetError), and data that would take
    the folder over `quota_bytes` (UploadQuotaExceeded). The id is generated here, never
    taken from the request, and names the file `uploads_dir()/<id>.csv`.
    """
    if not data.strip():
        raise DatasetError("the uploaded file is empty")
    if len(data) > max_bytes:
        raise DatasetError(f"the uploaded file has {len(data):,} bytes; the limit is "
                           f"{max_bytes:,}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"the uploaded file is not UTF-8 text (byte {exc.start})") from None
    upload_id = uuid.uuid4().hex
    folder = uploads_dir()
    with writing:
        used = used_bytes()
        if used + len(data) > quota_bytes:
            raise UploadQuotaExceeded(
                f"the uploads take {used:,} of their {quota_bytes:,}-byte quota; this "
                f"file's {len(data):,} bytes would go over it: {FREE_SPACE}")
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{upload_id}.part"
        part.write_bytes(data)
        os.replace(part, folder / f"{upload_id}.csv")  # readers never see half a file
    return upload_id


def delete_upload(upload_id: str) -> None:
    """Remove an upload's file; UploadNotFound when there is none."""
    try:
        upload_path(upload_id).unlink()
    except FileNotFoundError:
        raise UploadNotFound(f"no uploaded table {upload_id!r}") from None
