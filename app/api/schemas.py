"""API answers (…Out models). Requests reuse the spec models themselves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: str = Field(description="'ok' when the server is up.")
    version: str
    torch: str = Field(description="PyTorch version.")
    devices: list[str] = Field(description="Devices training can use, e.g. ['cpu', 'cuda:0'].")


class LayerTypeOut(BaseModel):
    type: str
    category: str = Field(description="core, convolution, normalization, sequence or merge.")
    description: str
    min_inputs: int
    max_inputs: int
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON schema of the fields.")

    model_config = {"populate_by_name": True}


class LayerSummaryOut(BaseModel):
    id: str
    type: str
    input_shapes: list[list[int]]
    output_shape: list[int]
    params: int
    trainable_params: int
    flops: int = Field(description="Floating point operations per sample (forward).")


class ValidateOut(BaseModel):
    valid: bool
    input_shape: list[int]
    output_shape: list[int]
    layers: list[LayerSummaryOut]
    total_params: int
    trainable_params: int
    total_flops: int
    activation_mb: float = Field(description="Estimated activation memory per sample, MiB.")
    warnings: list[str]


class IssueOut(BaseModel):
    layer_id: str | None
    field: str | None
    message: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[IssueOut] = Field(default_factory=list)


class PresetOut(BaseModel):
    name: str = Field(description="The preset's id, used in /presets/{name}.")
    title: str
    description: str
    input_shape: list[int]
    layers: int
