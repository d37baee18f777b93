"""Checked downloads: mirrors tried in order, md5 verified, files moved into place atomically."""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from app.datasets.base import DatasetError

CHUNK = 1 << 20
TIMEOUT_S = 60.0
SCHEMES = ("http", "https", "file")


def md5_of(path: Path) -> str:
    """The hex md5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(urls: list[str], md5: str, dest: Path) -> Path:
    """Return `dest` holding the file whose md5 is `md5`, downloading it if needed.

    A `dest` that already exists with the right md5 is returned untouched. Otherwise
    each URL is tried in order: the body streams into a temporary file beside `dest`
    and only replaces `dest` (os.replace, atomic) once its md5 matches. A failed or
    mismatched attempt leaves nothing behind and moves on to the next mirror.
    """
    if dest.is_file() and md5_of(dest) == md5:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            actual = _download(url, md5, dest)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError: OSError
            failures.append(f"{url}: {exc}")
            continue
        if actual == md5:
            return dest
        failures.append(f"{url}: md5 {actual}")
    tried = "; ".join(failures) or "no mirrors given"
    raise DatasetError(
        f"could not get {dest.name}: expected md5 {md5}; {tried}. Download the file "
        f"yourself into {dest.parent} or point the dataset's folder variable at a copy."
    )


def _download(url: str, md5: str, dest: Path) -> str:
    """Stream `url` to a temporary file; move it to `dest` when its md5 is `md5`.

    Returns the md5 that was read; the temporary file never outlives this call.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        request = urllib.request.Request(url, headers={"User-Agent": "layerlab"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT_S) as body:
            while chunk := body.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual == md5:
            os.replace(tmp, dest)
        return actual
    finally:
        tmp.unlink(missing_ok=True)
