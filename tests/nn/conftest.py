"""What the export and import tests share: each preset's ONNX export, made once a session
(the current exporter takes a second or two a network)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from app.nn.export import Exported, export_model
from app.spec import NetworkSpec
from tests.nn.trained_weights import trained_state

OnnxOf = Callable[[NetworkSpec], tuple[Exported, dict[str, torch.Tensor]]]


@pytest.fixture(scope="session")
def onnx_of() -> OnnxOf:
    """The ONNX export of a network with its trained-looking weights, and those weights."""
    made: dict[str, tuple[Exported, dict[str, torch.Tensor]]] = {}

    def export(spec: NetworkSpec) -> tuple[Exported, dict[str, torch.Tensor]]:
        key = spec.model_dump_json()
        if key not in made:
            state = trained_state(spec)
            made[key] = export_model(spec, state, "onnx", name=spec.name), state
        return made[key]

    return export
