"""Image folders on the server, named instead of uploaded: allowed only under the folder
the server's setting names (LAYERLAB_IMAGE_FOLDERS_ROOT), for data already on the machine
(a shared drive, a class's dataset). The folder is laid out as a zip is, one subfolder a
class; its images are read with the upload's checks and bounds and copied into the
uploads as an image folder of their own, so a run's data stays as it trained on it.

Refused, naming the path at fault: a path that leaves the root (`..`, an absolute path,
a link pointing out), a folder that is not there, a layout other than class/image, more
than MAX_FILES images or MAX_UNPACKED_BYTES, a file that is not the image its name says."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from app.datasets.base import DatasetError
from app.datasets.image_zips import (
    FORMATS,
    MAX_FILES,
    MAX_UNPACKED_BYTES,
    SKIPPED,
    ImageFolder,
    checked_image,
    store_images,
)
from app.datasets.uploads import DEFAULT_QUOTA_BYTES


class FoldersNotAllowed(DatasetError):
    """The server names no root for image folders (an API 403)."""


def save_image_dir(root: Path | None, relative: str,
                   quota_bytes: int = DEFAULT_QUOTA_BYTES) -> ImageFolder:
    """Check the folder `relative` under `root` whole, then store a copy of its images."""
    if root is None:
        raise FoldersNotAllowed("this server takes no image folders of its own: upload a zip, "
                                "or set LAYERLAB_IMAGE_FOLDERS_ROOT to a folder whose "
                                "subfolders may be named")
    folder = _inside(root, relative)
    files = [path for path in sorted(folder.rglob("*"))
             if not path.is_dir() and not any(part in path.name for part in SKIPPED)]
    if len(files) > MAX_FILES:
        raise DatasetError(f"{relative} holds {len(files):,} files; the limit is {MAX_FILES:,}")
    if not files:
        raise DatasetError(f"{relative} holds no images")
    size = sum(path.stat().st_size for path in files)
    if size > MAX_UNPACKED_BYTES:
        raise DatasetError(f"{relative} holds {size:,} bytes; the limit is "
                           f"{MAX_UNPACKED_BYTES:,}")
    images = []
    for path in files:
        shown = str(PurePosixPath(relative) / path.relative_to(folder).as_posix())
        inner = path.relative_to(folder).parts
        if len(inner) != 2:
            raise DatasetError(f"{shown}: each image must lie in its class's folder "
                               "(class/image.png), not at the top or deeper")
        if path.suffix.lower() not in FORMATS:
            raise DatasetError(f"{shown}: only PNG and JPEG images (.png, .jpg, .jpeg)")
        _inside(root, str(path.relative_to(root.resolve())))  # a link pointing out
        images.append((inner[0], shown, *checked_image(shown, path.read_bytes())))
    return store_images(images, quota_bytes, relative)


def _inside(root: Path, relative: str) -> Path:
    """root/relative, resolved (links followed), refused unless it lies under root."""
    if not relative or Path(relative).is_absolute() or ".." in PurePosixPath(relative).parts:
        raise DatasetError(f"{relative!r}: name a folder inside the server's image folders, "
                           "as a relative path without '..'")
    base = root.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base):
        raise DatasetError(f"{relative!r} leads outside the server's image folders")
    if not path.exists():
        raise DatasetError(f"{relative!r}: no such folder among the server's image folders")
    return path
