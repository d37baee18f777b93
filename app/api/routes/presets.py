from __future__ import annotations

from fastapi import APIRouter, HTTPException

from app.api.deps import PresetsDep
from app.api.schemas import ErrorOut, PresetOut
from app.spec import NetworkSpec

router = APIRouter(prefix="/presets", tags=["presets"])


@router.get("")
def list_presets(presets: PresetsDep) -> list[PresetOut]:
    """The preset networks, each with what it teaches and the settings it trains with."""
    return [
        PresetOut(name=name, title=spec.name, description=spec.description,
                  input_shape=spec.input.shape, layers=len(spec.layers),
                  dataset=None if training is None else training.dataset.name,
                  training=training)
        for name, preset in presets.items()
        for spec, training in [(preset.network, preset.training)]
    ]


@router.get("/{name}", responses={404: {"model": ErrorOut, "description": "No such preset."}})
def get_preset(name: str, presets: PresetsDep) -> NetworkSpec:
    """One preset's full spec, ready to edit or train."""
    if name not in presets:
        raise HTTPException(404, f"no preset named {name!r}; known: {', '.join(presets)}")
    return presets[name].network
