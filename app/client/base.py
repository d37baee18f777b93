"""What every part of the Python client shares: the API's prefix, the error a refused
request raises, and the answers' encodings."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import httpx2
import numpy as np
from pydantic import BaseModel

API = "/api/v1"
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a snapshot holds every metric so far


def decode_array(array: Mapping[str, Any]) -> np.ndarray:
    """An array from an answer (`{"shape", "dtype", "data"}`) as a numpy array."""
    raw = base64.b64decode(array["data"])
    dtype = np.dtype(array["dtype"]).newbyteorder("<")
    return np.frombuffer(raw, dtype=dtype).reshape(array["shape"])


class LayerLabError(Exception):
    """The server refused a request: its HTTP status, message and per-field issues."""

    def __init__(self, status: int, detail: str,
                 errors: list[dict[str, Any]] | None = None) -> None:
        self.status, self.detail, self.errors = status, detail, list(errors or [])
        lines = [f"{status}: {detail}"]
        for issue in self.errors:
            where = issue.get("layer_id") or issue.get("field")
            lines.append(f"  {where}: {issue.get('message')}" if where
                         else f"  {issue.get('message')}")
        super().__init__("\n".join(lines))

    @classmethod
    def from_response(cls, response: httpx2.Response) -> LayerLabError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "detail" in body:
            detail = body["detail"]
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            return cls(response.status_code, detail if isinstance(detail, str)
                       else json.dumps(detail), errors)
        text = response.text.strip() or response.reason_phrase
        return cls(response.status_code, text[:500])


def jsonable(value: Any) -> Any:
    """A pydantic model (NetworkSpec, TrainingSpec) as JSON data; anything else as is."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
