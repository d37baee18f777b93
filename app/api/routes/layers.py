from __future__ import annotations

import inspect
from functools import cache, lru_cache
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.schemas import LayerTypeOut
from app.nn.activation_curves import (
    ACTIVATIONS,
    NEGATIVE_SLOPE,
    Form,
    activation_curve,
    sample_points,
)
from app.spec import LAYER_TYPES, ActivationName

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


class ActivationCurveOut(BaseModel):
    name: ActivationName
    form: Form = Field(description=(
        "elementwise: f applied to each x; first_of_pair: softmax and log_softmax mix a "
        "whole axis, so f(x) is the first output for the pair [x, 0] (softmax: sigmoid(x)) "
        "and f' its Jacobian's diagonal entry ∂f₀/∂x₀."))
    f: list[float] = Field(description="f at each x.")
    df: list[float] = Field(description="f' at each x, by autograd.")


class ActivationCurvesOut(BaseModel):
    x: list[float] = Field(description="The points every curve is sampled at, evenly spaced.")
    negative_slope: float = Field(description="The slope of leaky_relu below zero.")
    activations: list[ActivationCurveOut] = Field(description=(
        "Every activation a layer's `activation` field takes, in the catalog's order."))


@lru_cache(maxsize=16)
def activation_catalog(negative_slope: float = NEGATIVE_SLOPE) -> ActivationCurvesOut:
    curves = [activation_curve(name, negative_slope=negative_slope) for name in ACTIVATIONS]
    return ActivationCurvesOut(
        x=[round(float(v), 6) for v in sample_points().tolist()], negative_slope=negative_slope,
        activations=[ActivationCurveOut(name=c.name, form=c.form, f=c.f, df=c.df)
                     for c in curves])


SlopeQuery = Annotated[float, Query(ge=0.0, le=1.0, description=(
    "leaky_relu's slope below zero, as an activation layer's `negative_slope` (default: "
    "its default, the one a dense or convolution layer's `activation` uses)."))]


@router.get("/activations")
def list_activations(negative_slope: SlopeQuery = NEGATIVE_SLOPE) -> ActivationCurvesOut:
    """Every activation's f(x) and f'(x), computed by the modules a network is built with."""
    return activation_catalog(negative_slope)
