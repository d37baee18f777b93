"""The network spec: an input and a list of layers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from app.spec.base import SpecModel
from app.spec.errors import SpecError, SpecIssue, issues_from_validation
from app.spec.graph import graph_issues
from app.spec.layers import LayerSpec
from app.spec.limits import SpecLimits

SPEC_VERSION: Literal[1] = 1
HARD_MAX_LAYERS = 1024
"""Parsing stops here whatever the settings say; SpecLimits.max_layers is the real bound."""


class InputSpec(SpecModel):
    """The shape of one sample, without the batch dimension, channels first."""

    shape: list[Annotated[int, Field(ge=1, le=65536)]] = Field(
        min_length=1,
        max_length=4,
        description="e.g. [1, 28, 28] for an MNIST image, [2] for a point.",
    )
    dtype: Literal["float", "token"] = Field(
        default="float", description="'token' for integer ids fed to an embedding layer."
    )
    vocab_size: int | None = Field(
        default=None, ge=2, le=1_000_000, description="Number of distinct token ids (token input)."
    )

    @model_validator(mode="after")
    def _token_needs_vocab(self) -> InputSpec:
        if self.dtype == "token" and self.vocab_size is None:
            raise ValueError("token input needs a vocab_size")
        if self.dtype == "float" and self.vocab_size is not None:
            raise ValueError("vocab_size only applies to token input: set dtype to 'token'")
        return self


class NetworkSpec(SpecModel):
    """A network: its input and its layers. The last layer is the output."""

    version: Literal[1] = Field(default=SPEC_VERSION, description="Spec format version.")
    name: str = Field(default="Untitled network", min_length=1, max_length=120,
                      description="A short name.")
    description: str = Field(default="", max_length=4000, description="What this network is for.")
    input: InputSpec = Field(description="The shape and kind of one input sample.")
    layers: list[LayerSpec] = Field(min_length=1, max_length=HARD_MAX_LAYERS,
                                    description="The layers; each reads the previous one "
                                    "unless it lists its inputs.")

    @model_validator(mode="after")
    def _check_graph(self) -> NetworkSpec:
        issues = graph_issues(self.layers)
        if issues:
            # The issues ride in ctx so parse_network can report every one of them.
            raise PydanticCustomError(
                "layer_graph", "; ".join(str(i) for i in issues),
                {"issues": [i.to_dict() for i in issues]},
            )
        return self

    def layer(self, layer_id: str) -> LayerSpec:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)


def parse_network(data: Any, limits: SpecLimits | None = None) -> NetworkSpec:
    """Validate raw JSON data into a NetworkSpec or raise SpecError naming each problem."""
    limits = limits or SpecLimits()
    try:
        spec = NetworkSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(issues_from_validation(exc, data)) from None
    issues = limits.structure_issues(spec.input.shape, len(spec.layers))
    if issues:
        raise SpecError(issues)
    return spec


__all__ = ["SPEC_VERSION", "InputSpec", "NetworkSpec", "SpecIssue", "parse_network"]
