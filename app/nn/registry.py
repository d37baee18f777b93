"""Layer type -> builder. Each builder turns a layer spec and its input shapes into a
Recipe; shapes, parameters and FLOPs then come from running the module itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import torch

from app.nn.errors import layer_error, shape_text
from app.nn.recipe import Recipe
from app.spec import InputSpec, LayerSpecBase


@dataclass(frozen=True)
class LayerContext:
    """What a builder knows: the layer's input shapes (no batch dim) and dtypes."""

    layer_id: str
    in_ids: list[str]
    in_shapes: list[tuple[int, ...]]
    in_dtypes: list[torch.dtype]
    network_input: InputSpec

    @property
    def shape(self) -> tuple[int, ...]:
        """The (first) input's shape."""
        return self.in_shapes[0]

    def fail(self, message: str, field: str | None = None, code: str | None = None,
             **params: Any) -> NoReturn:
        """Refuse the layer: `message` in English, `code` and `params` for a UI's words."""
        raise layer_error(self.layer_id, message, field, code, params)

    def require_rank(self, ranks: tuple[int, ...], layout: str, hint: str) -> None:
        """Fail unless the input has one of `ranks` dimensions (without the batch)."""
        if len(self.shape) not in ranks:
            code = "too_few_dimensions" if len(self.shape) < min(ranks) else "too_many_dimensions"
            self.fail(f"expects a {layout} input but follows a {shape_text(self.shape)} "
                      f"output: {hint}", None, code, shape=self.shape, dims=list(ranks))

    def require_float(self) -> None:
        if not self.in_dtypes[0].is_floating_point:
            self.fail("reads token ids, which are integers: put an embedding layer first",
                      None, "needs_float_input")


Builder = Callable[[Any, LayerContext], Recipe]
BUILDERS: dict[str, Builder] = {}
S = TypeVar("S", bound=LayerSpecBase)


def register_layer(type_name: str) -> Callable[[Callable[[S, LayerContext], Recipe]],
                                                Callable[[S, LayerContext], Recipe]]:
    """Register the builder of one layer type; each type is registered once."""

    def decorate(fn: Callable[[S, LayerContext], Recipe]) -> Callable[[S, LayerContext], Recipe]:
        if type_name in BUILDERS:
            raise ValueError(f"layer type {type_name!r} is registered twice")
        BUILDERS[type_name] = fn
        return fn

    return decorate
