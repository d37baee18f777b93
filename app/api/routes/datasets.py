from __future__ import annotations

import inspect
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.deps import RunsDep, read_body
from app.api.schemas import DatasetDetailOut, DatasetOut, ErrorOut, UploadOut, UploadsOut
from app.datasets import (
    DATASETS,
    UploadNotFound,
    UploadQuotaExceeded,
    delete_upload,
    list_uploads,
    points,
    preview,
    save_upload,
)
from app.datasets.base import Dataset, DatasetError
from app.datasets.image_dirs import FoldersNotAllowed, save_image_dir
from app.datasets.image_zips import (
    MAX_ZIP_BYTES,
    ImageFolder,
    delete_image_folder,
    list_image_folders,
    save_image_zip,
)
from app.datasets.uploads import UPLOAD_ID, used_bytes
from app.settings import Settings

router = APIRouter(prefix="/datasets", tags=["datasets"])
UPLOADS_PATH = "/datasets/csv/uploads"
CSV_TYPE = "text/csv"
IMAGES_PATH = "/datasets/images/uploads"
ZIP_TYPE = "application/zip"
UploadId = Annotated[str, Path(pattern=UPLOAD_ID, description="The id the upload returned.")]


def _describe(dataset: Dataset, options: dict[str, Any] | None = None) -> DatasetOut:
    schema = dataset.Options.model_json_schema()
    try:
        info = dataset.info(dataset.parse_options(options or {}))
    except DatasetError:  # needs options first (e.g. an uploaded table)
        doc = getattr(dataset, "description", None) or inspect.cleandoc(
            type(dataset).__doc__ or dataset.name).splitlines()[0]
        return DatasetOut(name=dataset.name, description=doc, tasks=[], input_shape=[],
                          dtype="float", num_classes=None, class_names=None, target_shape=[],
                          vocab_size=None, splits={}, options_schema=schema)
    return DatasetOut(name=info.name, description=info.description, tasks=list(info.tasks),
                      input_shape=list(info.input_shape), dtype=info.dtype,
                      num_classes=info.num_classes,
                      class_names=list(info.class_names) if info.class_names else None,
                      target_shape=list(info.target_shape), vocab_size=info.vocab_size,
                      splits=info.splits,
                      features=list(info.features) if info.features else None,
                      options_schema=schema)


def _options(dataset: Dataset, text: str | None) -> dict[str, Any]:
    """The options a query names, checked against the dataset's (422 naming the bad one)."""
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(422, f"options: not JSON ({exc.msg}); send an object such as "
                                 '{"n_samples": 300}') from None
    if not isinstance(options, dict):
        raise HTTPException(422, 'options: send a JSON object such as {"n_samples": 300}')
    try:
        dataset.parse_options(options)
    except DatasetError as exc:
        raise HTTPException(422, str(exc)) from None
    return options


@router.get("")
def list_datasets() -> list[DatasetOut]:
    """Every dataset: description, task kinds, shapes, classes, split sizes, options; the
    built-in sets first, then those of the user's own data (uploads, points placed by
    hand)."""
    return [_describe(dataset) for dataset in sorted(DATASETS.values(), key=lambda d: d.own)]


@router.get("/csv/uploads")
def list_csv_uploads(request: Request) -> UploadsOut:
    """The uploaded CSV tables, newest first, with their sizes and the quota they share."""
    settings: Settings = request.app.state.settings
    uploads = [UploadOut(upload_id=u.id, size=u.size, created_at=u.created_at)
               for u in list_uploads()]
    return UploadsOut(uploads=uploads, used_bytes=used_bytes(),
                      quota_bytes=settings.upload_quota_bytes)


@router.get("/{name}", responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def get_dataset(name: str, samples: Annotated[int, Query(ge=1, le=64)] = 8,
                options: Annotated[str | None, Query(description=(
                    "The dataset's options as a JSON object, e.g. "
                    '{"n_samples": 300}; its defaults when left out.'))] = None,
                ) -> DatasetDetailOut:
    """One dataset, with these options, with its first training samples and a 2-D set's
    points (no samples when the files are missing)."""
    if name not in DATASETS:
        raise HTTPException(404, f"no dataset named {name!r}; known: {', '.join(DATASETS)}")
    chosen = _options(DATASETS[name], options)
    described = _describe(DATASETS[name], chosen)
    try:
        samples_out = preview(name, chosen, samples) if described.input_shape else []
        points_out = points(name, chosen)
    except DatasetError:
        samples_out, points_out = [], None
    return DatasetDetailOut(**described.model_dump(), preview=samples_out, points=points_out)


@router.post("/csv/uploads", status_code=201, responses={
    413: {"model": ErrorOut, "description": "The body is over the size limit, or the "
          "uploads would go over their quota (delete some)."},
    415: {"model": ErrorOut, "description": "The body is not sent as text/csv."},
    422: {"model": ErrorOut}},
    openapi_extra={"requestBody": {"required": True, "content": {
        CSV_TYPE: {"schema": {"type": "string", "description": "The CSV file, UTF-8, with "
                              "a header row."}}}}})
async def upload_csv(request: Request) -> dict[str, str]:
    """Upload a CSV table (the raw file as the body, `Content-Type: text/csv`); train on it
    as dataset 'csv' with options {upload_id, target, task}. It is kept in the server's
    home until deleted, within LAYERLAB_UPLOAD_QUOTA_BYTES for all uploads together."""
    settings: Settings = request.app.state.settings
    try:
        return {"upload_id": save_upload(await request.body(),
                                         quota_bytes=settings.upload_quota_bytes)}
    except UploadQuotaExceeded as exc:
        raise HTTPException(413, str(exc)) from None
    except DatasetError as exc:
        raise HTTPException(422, str(exc)) from None


class ImageFolderOut(BaseModel):
    """An uploaded image folder: train on it as dataset 'images' with {upload_id}."""

    upload_id: str
    name: str = Field(description="What it is called: the zip's name, or the server "
                                  "folder's path.")
    classes: list[str] = Field(description="The class folders' names, sorted: class ids.")
    images: int
    colour: bool = Field(description="Whether any image is in colour (rgb by default).")
    side: int = Field(description="The median shorter side of the images, in pixels.")




@router.post("/images/uploads", status_code=201, responses={
    413: {"model": ErrorOut, "description": "The zip is over the size limit, or the uploads "
          "would go over their quota (delete some)."},
    422: {"model": ErrorOut, "description": "Not a zip of class folders of PNG or JPEG "
          "images within the bounds; the detail names the file at fault."}},
    openapi_extra={"requestBody": {"required": True, "content": {
        ZIP_TYPE: {"schema": {"type": "string", "format": "binary", "description": (
            "A zip of one folder per class (cats/1.png, dogs/2.jpg), or of one folder "
            "holding those.")}}}}})
async def upload_images(request: Request, name: Annotated[str, Query(
        max_length=120, description="What to call it (default: images).")] = "images",
) -> ImageFolderOut:
    """Upload a folder of images as a zip (the raw file as the body); train on it as dataset
    'images' with options {upload_id, side, colour}. Checked whole before anything is
    written (zip bombs, paths outside the folders, files that are not the images their
    names say are refused); kept within LAYERLAB_UPLOAD_QUOTA_BYTES with the tables."""
    settings: Settings = request.app.state.settings
    data = await read_body(request, MAX_ZIP_BYTES)
    try:
        folder = await run_in_threadpool(save_image_zip, data, settings.upload_quota_bytes,
                                         name.strip() or "images")
    except UploadQuotaExceeded as exc:
        raise HTTPException(413, str(exc)) from None
    except DatasetError as exc:
        raise HTTPException(422, str(exc)) from None
    return _folder_out(folder)


def _folder_out(folder: ImageFolder) -> ImageFolderOut:
    return ImageFolderOut(upload_id=folder.id, name=folder.name, classes=list(folder.classes),
                          images=len(folder.images), colour=folder.colour, side=folder.side)


class StoredImageFolderOut(ImageFolderOut):
    created_at: datetime


class ImageFoldersOut(BaseModel):
    """The stored image folders, newest first, and the space the uploads take of their
    quota."""

    folders: list[StoredImageFolderOut]
    used_bytes: int
    quota_bytes: int


@router.get("/images/uploads")
def list_image_uploads(request: Request) -> ImageFoldersOut:
    """The image folders uploaded or copied from the server's folders, newest first."""
    settings: Settings = request.app.state.settings
    folders = [StoredImageFolderOut(**_folder_out(folder).model_dump(), created_at=stored)
               for folder, stored in list_image_folders()]
    return ImageFoldersOut(folders=folders, used_bytes=used_bytes(),
                           quota_bytes=settings.upload_quota_bytes)


class ImageFolderIn(BaseModel):
    path: str = Field(min_length=1, max_length=1000, description=(
        "The folder, relative to the server's LAYERLAB_IMAGE_FOLDERS_ROOT: one subfolder "
        "of PNG or JPEG images a class."))


@router.post("/images/folders", status_code=201, responses={
    403: {"model": ErrorOut, "description": "The server takes no folders of its own "
          "(LAYERLAB_IMAGE_FOLDERS_ROOT is not set)."},
    413: {"model": ErrorOut, "description": "The copy would take the uploads over their "
          "quota."},
    422: {"model": ErrorOut, "description": "A path outside the server's image folders, or "
          "a folder that is not class folders of images within the bounds; the detail "
          "names the file at fault."}})
def copy_image_folder(body: ImageFolderIn, request: Request) -> ImageFolderOut:
    """Name a folder of images on the server (under LAYERLAB_IMAGE_FOLDERS_ROOT) instead of
    uploading it: checked as a zip is, then copied into the uploads; train on it as
    dataset 'images' with {upload_id}."""
    settings: Settings = request.app.state.settings
    try:
        folder = save_image_dir(settings.image_folders_root, body.path,
                                settings.upload_quota_bytes)
    except FoldersNotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except UploadQuotaExceeded as exc:
        raise HTTPException(413, str(exc)) from None
    except DatasetError as exc:
        raise HTTPException(422, str(exc)) from None
    return _folder_out(folder)


@router.delete("/images/uploads/{upload_id}", status_code=204, responses={
    404: {"model": ErrorOut, "description": "No image folder has this id."},
    409: {"model": ErrorOut, "description": "A run that trains, or may train again, uses it."}})
def delete_images_upload(upload_id: UploadId, runs: RunsDep) -> Response:
    """Delete an uploaded image folder; refused while a queued, running, paused or
    interrupted run uses it."""
    user = runs.using_upload(upload_id)
    if user is not None:
        raise HTTPException(409, f"run {user.id} ({user.name!r}, {user.status}) trains on "
                                 f"upload {upload_id}: stop or delete that run first")
    try:
        delete_image_folder(upload_id)
    except UploadNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)


@router.delete("/csv/uploads/{upload_id}", status_code=204, responses={
    404: {"model": ErrorOut, "description": "No upload has this id."},
    409: {"model": ErrorOut, "description": "A run that trains, or may train again, uses it."}})
def delete_csv_upload(upload_id: UploadId, runs: RunsDep) -> Response:
    """Delete an uploaded table; refused while a queued, running, paused or interrupted run
    uses it (delete or finish that run first)."""
    user = runs.using_upload(upload_id)
    if user is not None:
        raise HTTPException(409, f"run {user.id} ({user.name!r}, {user.status}) trains on "
                                 f"upload {upload_id}: stop or delete that run first")
    try:
        delete_upload(upload_id)
    except UploadNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)
