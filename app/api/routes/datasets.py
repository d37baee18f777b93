from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from app.api.schemas import DatasetDetailOut, DatasetOut, ErrorOut
from app.datasets import DATASETS, preview, save_upload
from app.datasets.base import Dataset, DatasetError

router = APIRouter(prefix="/datasets", tags=["datasets"])


def _describe(dataset: Dataset) -> DatasetOut:
    schema = dataset.Options.model_json_schema()
    try:
        info = dataset.info(dataset.parse_options({}))
    except DatasetError:  # needs options first (e.g. an uploaded table)
        doc = inspect.cleandoc(type(dataset).__doc__ or dataset.name).splitlines()[0]
        return DatasetOut(name=dataset.name, description=doc, tasks=[], input_shape=[],
                          dtype="float", num_classes=None, class_names=None, target_shape=[],
                          vocab_size=None, splits={}, options_schema=schema)
    return DatasetOut(name=info.name, description=info.description, tasks=list(info.tasks),
                      input_shape=list(info.input_shape), dtype=info.dtype,
                      num_classes=info.num_classes,
                      class_names=list(info.class_names) if info.class_names else None,
                      target_shape=list(info.target_shape), vocab_size=info.vocab_size,
                      splits=info.splits, options_schema=schema)


@router.get("")
def list_datasets() -> list[DatasetOut]:
    """Every dataset: description, task kinds, shapes, classes, split sizes, options."""
    return [_describe(dataset) for dataset in DATASETS.values()]


@router.get("/{name}", responses={404: {"model": ErrorOut}})
def get_dataset(name: str, samples: Annotated[int, Query(ge=1, le=64)] = 8) -> DatasetDetailOut:
    """One dataset with its first training samples (empty when the files are missing)."""
    if name not in DATASETS:
        raise HTTPException(404, f"no dataset named {name!r}; known: {', '.join(DATASETS)}")
    described = _describe(DATASETS[name])
    try:
        samples_out = preview(name, None, samples) if described.input_shape else []
    except DatasetError:
        samples_out = []
    return DatasetDetailOut(**described.model_dump(), preview=samples_out)


@router.post("/csv/uploads", status_code=201, responses={422: {"model": ErrorOut}})
async def upload_csv(request: Request) -> dict[str, str]:
    """Upload a CSV table (the raw file as the body); train on it as dataset 'csv' with
    options {upload_id, target, task}."""
    try:
        return {"upload_id": save_upload(await request.body())}
    except DatasetError as exc:
        raise HTTPException(422, str(exc)) from None
