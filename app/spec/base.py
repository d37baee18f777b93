"""Fields and the base class that every layer spec shares."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Strict

LAYER_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
NETWORK_INPUT = "input"
"""The name a layer uses in `inputs` to read the network input."""

LayerId = Annotated[str, Field(pattern=LAYER_ID_PATTERN, description="A layer id.")]

ActivationName = Literal[
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "swish",
    "silu",
    "softplus",
    "linear",
]

Category = Literal["core", "convolution", "normalization", "sequence", "merge", "generative"]


T = TypeVar("T")

Pair = Annotated[tuple[Annotated[T, Strict()], Annotated[T, Strict()]], Strict(False)]
"""Two values as a JSON array: strict mode would take only a Python tuple, so the pair is
lax and its items strict."""


class SpecModel(BaseModel):
    """Strict pydantic base: unknown fields are errors, never silently dropped, and values
    keep their JSON types: `true` or `"5"` is no number, `1` no boolean (a whole number is
    still a float). A tuple field is a `Pair`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _type_is_required(schema: dict[str, Any]) -> None:
    """`type` has a default in Python (the class implies it) but JSON must state it."""
    if "type" in schema.get("properties", {}):
        schema["required"] = [*schema.get("required", []), "type"]


class LayerSpecBase(SpecModel):
    """Fields every layer has. Subclasses add `type` and their own settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_is_required)

    category: ClassVar[Category]
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int] = 1

    id: str = Field(
        pattern=LAYER_ID_PATTERN,
        description="Unique layer id: a letter, then letters, digits, '_' or '-' (64 at most).",
    )
    inputs: list[LayerId] | None = Field(
        default=None,
        min_length=1,
        max_length=16,
        description=(
            "Ids of the layers this one reads. Default: the previous layer "
            "(the network input for the first one); 'input' names the network input."
        ),
    )
    trainable: bool = Field(
        default=True, description="False freezes this layer's parameters (transfer learning)."
    )
