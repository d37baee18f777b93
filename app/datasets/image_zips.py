"""Uploaded image folders: a zip laid out one folder per class (`cats/1.png`,
`dogs/a.jpg`, or the same under one top folder), checked whole before anything is
written, then kept under the uploads folder as `images/<id>/` with a manifest.

What is refused, naming the file at fault, with nothing written:
- a body over MAX_ZIP_BYTES, or not a zip;
- more than MAX_FILES entries, or more than MAX_UNPACKED_BYTES unpacked, or an entry that
  unpacks to over MAX_RATIO times its packed size (a zip bomb: counted from the entries'
  headers before anything is unpacked, and again as each is read, headers not trusted);
- a path that is absolute, climbs out with `..`, or is not `class/file` (zip-slip: no
  entry's name is ever a path here, the files are stored under names made here);
- a file that is not the PNG or JPEG image its extension says (Pillow reads each), or of
  more than MAX_PIXELS pixels;
- fewer than two classes;
- the uploads' quota overrun (all uploads together, CSV tables included).

Pillow reads the images: the well-kept library for the formats, and the guard against
decompression bombs in them."""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from PIL import Image

from app.datasets.base import DatasetError
from app.datasets.uploads import (
    DEFAULT_QUOTA_BYTES,
    FREE_SPACE,
    UploadNotFound,
    UploadQuotaExceeded,
    uploads_dir,
    used_bytes,
    writing,
)

MAX_ZIP_BYTES = 50 * 2**20
MAX_FILES = 20_000
MAX_UNPACKED_BYTES = 200 * 2**20
MAX_RATIO = 200  # unpacked / packed bytes of one entry
MAX_PIXELS = 4096 * 4096
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # what zip tools add by themselves
MANIFEST = "manifest.json"
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


@dataclass(frozen=True)
class ImageFolder:
    """An uploaded image folder as stored: its classes, its images (class index and
    stored file name) and whether any is in colour."""

    id: str
    classes: tuple[str, ...]
    images: tuple[tuple[int, str], ...]
    colour: bool
    side: int  # the median of the images' shorter sides, in pixels
    name: str = "images"  # what the user calls it: the zip's name, or the server folder's

    @property
    def folder(self) -> Path:
        return images_dir() / self.id


def images_dir() -> Path:
    return uploads_dir() / "images"


def save_image_zip(data: bytes, quota_bytes: int = DEFAULT_QUOTA_BYTES,
                   name: str = "images") -> ImageFolder:
    """Check an uploaded zip whole, then store its images; returns what was stored.
    DatasetError (or UploadQuotaExceeded) naming what is wrong, with nothing written."""
    if len(data) > MAX_ZIP_BYTES:
        raise DatasetError(f"the zip has {len(data):,} bytes; the limit is {MAX_ZIP_BYTES:,}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetError("the upload is not a zip file") from None
    with archive:
        images = [(label, entry, *checked_image(entry, _read(archive, info)))
                  for label, entry, info in _entries(archive)]
    return store_images(images, quota_bytes, name)


def store_images(images: list[tuple[str, str, Image.Image, bytes]],
                 quota_bytes: int, name: str = "images") -> ImageFolder:
    """Store checked images, each (class, name shown in errors, image, file bytes), as a
    new image folder; DatasetError for fewer than two classes, UploadQuotaExceeded."""
    classes = tuple(sorted({label for label, *_ in images}))
    if len(classes) < 2:
        raise DatasetError(f"the images are in {len(classes)} class folder(s); put the images "
                           "of each class in a folder of its own, at least two")
    stored = [(classes.index(label), f"{i}{PurePosixPath(shown).suffix.lower()}", image, raw)
              for i, (label, shown, image, raw) in enumerate(images)]
    sides = sorted(min(image.size) for _, _, image, _ in stored)
    folder = ImageFolder(
        uuid.uuid4().hex, classes, tuple((label, name) for label, name, _, _ in stored),
        colour=any(image.mode not in GREY_MODES for _, _, image, _ in stored),
        side=sides[len(sides) // 2], name=name[:120] or "images")
    _write(folder, {f"{label}/{name}": raw for label, name, _, raw in stored}, quota_bytes)
    return folder


def _write(folder: ImageFolder, files: dict[str, bytes], quota_bytes: int) -> None:
    """Store the files and the manifest under a folder of their own, in one rename, within
    the uploads' quota."""
    size = sum(len(raw) for raw in files.values())
    with writing:
        used = used_bytes()
        if used + size > quota_bytes:
            raise UploadQuotaExceeded(
                f"the uploads take {used:,} of their {quota_bytes:,}-byte quota; these "
                f"images' {size:,} bytes would go over it: {FREE_SPACE}")
        part = images_dir() / f".{folder.id}.part"
        try:
            for name, raw in files.items():
                (part / name).parent.mkdir(parents=True, exist_ok=True)
                (part / name).write_bytes(raw)
            (part / MANIFEST).write_text(json.dumps({
                "classes": folder.classes, "images": folder.images, "colour": folder.colour,
                "side": folder.side, "name": folder.name}))
            os.replace(part, folder.folder)  # readers never see half a folder
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise


def image_folder(upload_id: str) -> ImageFolder:
    """A stored image folder by its id (which must match UPLOAD_ID); UploadNotFound."""
    try:
        manifest = json.loads((images_dir() / upload_id / MANIFEST).read_text())
    except FileNotFoundError:
        raise UploadNotFound(f"no uploaded image folder {upload_id!r}") from None
    return ImageFolder(upload_id, tuple(manifest["classes"]),
                       tuple((int(c), str(f)) for c, f in manifest["images"]),
                       bool(manifest["colour"]), int(manifest["side"]),
                       str(manifest.get("name", "images")))


def list_image_folders() -> list[tuple[ImageFolder, datetime]]:
    """Every stored image folder with when it was stored, newest first."""
    found = []
    root = images_dir()
    for path in root.iterdir() if root.is_dir() else ():
        if path.name.startswith("."):
            continue
        try:
            folder = image_folder(path.name)
            stored = datetime.fromtimestamp((path / MANIFEST).stat().st_mtime, UTC)
        except (UploadNotFound, FileNotFoundError):  # deleted meanwhile
            continue
        found.append((folder, stored))
    return sorted(found, key=lambda pair: (pair[1], pair[0].id), reverse=True)


def delete_image_folder(upload_id: str) -> None:
    """Remove an uploaded image folder; UploadNotFound when there is none."""
    folder = image_folder(upload_id).folder
    shutil.rmtree(folder)


def _entries(archive: zipfile.ZipFile) -> list[tuple[str, str, zipfile.ZipInfo]]:
    """(class, entry name, entry) of each image, the layout and bounds checked."""
    infos = [i for i in archive.infolist() if not i.is_dir()
             and not any(part in i.filename for part in SKIPPED)]
    if len(infos) > MAX_FILES:
        raise DatasetError(f"the zip holds {len(infos):,} files; the limit is {MAX_FILES:,}")
    if not infos:
        raise DatasetError("the zip holds no images")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise DatasetError(f"the zip unpacks to {unpacked:,} bytes; the limit is "
                           f"{MAX_UNPACKED_BYTES:,}")
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 2**20:
            raise DatasetError(f"{info.filename} unpacks to {info.file_size:,} bytes from "
                               f"{info.compress_size:,}: refused as a zip bomb")
    paths = [_safe(info.filename) for info in infos]
    top = {p.parts[0] for p in paths}
    nested = len(top) == 1 and all(len(p.parts) == 3 for p in paths)  # one folder around it
    found = []
    for info, path in zip(infos, paths, strict=True):
        parts = path.parts[1:] if nested else path.parts
        if len(parts) != 2:
            raise DatasetError(f"{info.filename}: each image must lie in its class's folder "
                               "(class/image.png), not at the top or deeper")
        if path.suffix.lower() not in FORMATS:
            raise DatasetError(f"{info.filename}: only PNG and JPEG images (.png, .jpg, "
                               ".jpeg)")
        found.append((parts[0], info.filename, info))
    return found


def _safe(name: str) -> PurePosixPath:
    """An entry's name as a relative path inside the archive (zip-slip refused)."""
    path = PurePosixPath(name)
    if "\\" in name or path.is_absolute() or ".." in path.parts or not path.parts:
        raise DatasetError(f"{name}: a path outside the archive's folders is refused")
    return path


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, read with a cap (headers are not trusted)."""
    with archive.open(info) as entry:
        raw = entry.read(info.file_size + 1)
    if len(raw) > info.file_size:
        raise DatasetError(f"{info.filename} unpacks to more than its header says")
    return raw


def checked_image(name: str, raw: bytes) -> tuple[Image.Image, bytes]:
    """A file's bytes as the image its extension says (Pillow reads it whole), within
    MAX_PIXELS; DatasetError naming the file otherwise."""
    expected = FORMATS[PurePosixPath(name).suffix.lower()]
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format != expected:
                raise DatasetError(f"{name} is {probe.format or 'not an image'}, "
                                   f"not the {expected} its name says")
            if probe.width * probe.height > MAX_PIXELS:
                raise DatasetError(f"{name} has {probe.width}x{probe.height} "
                                   f"pixels; the limit is {MAX_PIXELS:,}")
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise DatasetError(f"{name} is not a readable {expected} image: {exc}") from None
    return image, raw
