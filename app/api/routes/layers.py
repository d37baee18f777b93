from __future__ import annotations

import inspect
from functools import cache

from fastapi import APIRouter

from app.api.schemas import LayerTypeOut
from app.spec import LAYER_TYPES

router = APIRouter(tags=["layers"])


@cache
def layer_catalog() -> list[LayerTypeOut]:
    return [
        LayerTypeOut(type=name, category=cls.category,
                     description=inspect.cleandoc(cls.__doc__ or ""),
                     min_inputs=cls.min_inputs, max_inputs=cls.max_inputs,
                     json_schema=cls.model_json_schema())
        for name, cls in LAYER_TYPES.items()
    ]


@router.get("/layers", response_model_by_alias=True)
def list_layers() -> list[LayerTypeOut]:
    """The layer catalog: each type's category, description and JSON schema."""
    return layer_catalog()
