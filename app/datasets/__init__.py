"""Datasets: a registry of named datasets, each describing itself and loading as tensors.

Importing this package registers every dataset module below.
"""

from app.datasets import (
    cifar,
    csv_table,
    drawn,
    idx,
    image_folder,
    sequences,
    tables,
    toys,
    translation,
)
from app.datasets.base import (
    DATASETS,
    Dataset,
    DatasetError,
    DatasetInfo,
    DatasetOptions,
    TaskKind,
    TensorData,
    data_dir,
    describe_dataset,
    get_dataset,
    load_dataset,
    register_dataset,
)
from app.datasets.download import fetch, md5_of
from app.datasets.preview import points, preview
from app.datasets.uploads import (
    UploadFile,
    UploadNotFound,
    UploadQuotaExceeded,
    delete_upload,
    list_uploads,
    save_upload,
    uploads_in,
    use_request_uploads,
    use_uploads_dir,
    user_uploads,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetError",
    "DatasetInfo",
    "DatasetOptions",
    "TaskKind",
    "TensorData",
    "UploadFile",
    "UploadNotFound",
    "UploadQuotaExceeded",
    "cifar",
    "csv_table",
    "data_dir",
    "delete_upload",
    "describe_dataset",
    "drawn",
    "fetch",
    "get_dataset",
    "idx",
    "image_folder",
    "list_uploads",
    "load_dataset",
    "md5_of",
    "points",
    "preview",
    "register_dataset",
    "save_upload",
    "sequences",
    "tables",
    "toys",
    "translation",
    "uploads_in",
    "use_request_uploads",
    "use_uploads_dir",
    "user_uploads",
]
