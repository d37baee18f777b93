"""Helpers that turn a problem found while building into a SpecError naming the layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.spec import SpecError


def layer_error(layer_id: str, message: str, field: str | None = None,
                code: str | None = None, params: Mapping[str, Any] | None = None) -> SpecError:
    return SpecError.single(message, layer_id, field, code, params)


def shape_text(shape: tuple[int, ...]) -> str:
    """(32, 7, 7) as people write it: "(32, 7, 7)", and (10,) as "(10,)"."""
    return str(tuple(shape))
